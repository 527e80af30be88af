// Ring schedules: AllReduce (reduce-scatter then all-gather), AllGather, ReduceScatter.
// Each rank sends to rank+1 and receives from rank-1; step s of each stage uses tag s.
#include "algorithms/plan_builder.h"
#include "algorithms/schedules.h"

namespace hccl {

Plan planRingAllReduce(const CollArgs& a) {
  Plan plan;
  PlanBuilder b(&plan);
  const int n = a.nranks, r = a.rank, next = mod(r + 1, n), prev = mod(r - 1, n);
  const ChunkSplit split{a.count, static_cast<size_t>(n)};
  auto bytes = [&](int c) { return split.size(c) * a.elemSize; };
  auto offset = [&](int c) { return split.offset(c) * a.elemSize; };
  if (n == 1) {
    b.copy(recvAt(0), sendAt(0), a.count * a.elemSize);
    return plan;
  }
  // Reduce-scatter: after step n-2, chunk r+1 is complete here.
  for (int s = 0; s < n - 1; ++s) {
    b.phase();
    int out = mod(r - s, n), in = mod(r - s - 1, n);
    b.send(next, s, s == 0 ? sendAt(offset(out)) : recvAt(offset(out)), bytes(out));
    b.recvReduce(prev, s, recvAt(offset(in)), sendAt(offset(in)), bytes(in));
  }
  // All-gather of the complete chunks.
  for (int s = 0; s < n - 1; ++s) {
    b.phase();
    int out = mod(r + 1 - s, n), in = mod(r - s, n);
    b.send(next, n - 1 + s, recvAt(offset(out)), bytes(out));
    b.recv(prev, n - 1 + s, recvAt(offset(in)), bytes(in));
  }
  return plan;
}

Plan planRingAllGather(const CollArgs& a) {
  Plan plan;
  PlanBuilder b(&plan);
  const int n = a.nranks, r = a.rank, next = mod(r + 1, n), prev = mod(r - 1, n);
  const size_t chunk = a.count * a.elemSize;
  b.phase();
  b.copy(recvAt(r * chunk), sendAt(0), chunk);
  for (int s = 0; s < n - 1; ++s) {
    if (s > 0) b.phase();
    b.send(next, s, recvAt(mod(r - s, n) * chunk), chunk);
    b.recv(prev, s, recvAt(mod(r - s - 1, n) * chunk), chunk);
  }
  return plan;
}

Plan planRingReduceScatter(const CollArgs& a) {
  Plan plan;
  PlanBuilder b(&plan);
  const int n = a.nranks, r = a.rank, next = mod(r + 1, n), prev = mod(r - 1, n);
  const size_t chunk = a.count * a.elemSize;
  if (n == 1) {
    b.copy(recvAt(0), sendAt(0), chunk);
    return plan;
  }
  // Partial sums travel the ring through two scratch slots, so a slot being sent is never the
  // one being received into; the last step reduces straight into the output.
  if (n > 2) plan.scratchBytes = 2 * chunk;
  for (int s = 0; s < n - 1; ++s) {
    b.phase();
    int out = mod(r - s - 1, n), in = mod(r - s - 2, n);
    b.send(next, s, s == 0 ? sendAt(out * chunk) : scratchAt(((s - 1) % 2) * chunk), chunk);
    Region dst = s == n - 2 ? recvAt(0) : scratchAt((s % 2) * chunk);
    b.recvReduce(prev, s, dst, sendAt(in * chunk), chunk);
  }
  return plan;
}

}  // namespace hccl
