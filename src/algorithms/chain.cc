// Pipelined chains for the rooted collectives: the buffer moves in slices, so every link of the
// chain is busy at once after the first slice. Phase j moves slice j - position.
#include "algorithms/plan_builder.h"
#include "algorithms/schedules.h"

namespace hccl {
namespace {

struct Slices {
  size_t total, slice;
  size_t count() const { return slice == 0 ? 0 : (total + slice - 1) / slice; }
  size_t bytes(size_t k) const { return k + 1 < count() ? slice : total - k * slice; }
};

Slices slicesFor(const CollArgs& a) {
  size_t total = a.count * a.elemSize;
  size_t slice = a.sliceBytes / a.elemSize * a.elemSize;
  if (slice == 0) slice = a.elemSize;
  return {total, total == 0 ? 0 : slice};
}

}  // namespace

Plan planChainBroadcast(const CollArgs& a) {
  Plan plan;
  PlanBuilder b(&plan);
  const int n = a.nranks, p = mod(a.rank - a.root, n);
  const int next = mod(a.rank + 1, n), prev = mod(a.rank - 1, n);
  const Slices s = slicesFor(a);
  const long m = static_cast<long>(s.count());
  b.phase();
  if (p == 0) b.copy(recvAt(0), sendAt(0), s.total);
  for (long j = 0; j < m + n - 2; ++j) {
    if (j > 0) b.phase();
    long out = j - p, in = j - p + 1;
    if (p < n - 1 && out >= 0 && out < m)
      b.send(next, out, p == 0 ? sendAt(out * s.slice) : recvAt(out * s.slice), s.bytes(out));
    if (p > 0 && in >= 0 && in < m) b.recv(prev, in, recvAt(in * s.slice), s.bytes(in));
  }
  return plan;
}

Plan planChainReduce(const CollArgs& a) {
  Plan plan;
  PlanBuilder b(&plan);
  const int n = a.nranks;
  // Position 0 is root+1; the chain ends at the root (position n-1).
  const int p = mod(a.rank - a.root - 1, n);
  const int next = mod(a.rank + 1, n), prev = mod(a.rank - 1, n);
  const Slices s = slicesFor(a);
  const long m = static_cast<long>(s.count());
  if (n == 1) {
    b.copy(recvAt(0), sendAt(0), s.total);
    return plan;
  }
  const bool middle = p > 0 && p < n - 1;
  if (middle) plan.scratchBytes = 2 * s.slice;
  auto slot = [&](long k) { return scratchAt((k % 2) * s.slice); };
  for (long j = 0; j < m + n - 2; ++j) {
    b.phase();
    long out = j - p, in = j - p + 1;
    if (p < n - 1 && out >= 0 && out < m)
      b.send(next, out, p == 0 ? sendAt(out * s.slice) : slot(out), s.bytes(out));
    if (p > 0 && in >= 0 && in < m) {
      Region dst = middle ? slot(in) : recvAt(in * s.slice);
      b.recvReduce(prev, in, dst, sendAt(in * s.slice), s.bytes(in));
    }
  }
  return plan;
}

}  // namespace hccl
