// Recursive doubling AllReduce, for small messages: log2(n) exchanges of the whole buffer
// instead of the ring's 2(n-1) steps. Ranks beyond the largest power of two p fold their
// input into a partner first and get the result back at the end.
//
// Every rank ends with bitwise the same bytes: each exchange computes a op b on one side and
// b op a on the other, and every supported operator is exactly commutative.
#include <vector>

#include "algorithms/plan_builder.h"
#include "algorithms/schedules.h"

namespace hccl {
namespace {

constexpr uint32_t kFoldTag = 0;     // exchanges use tags 1..log2(p) <= 30
constexpr uint32_t kResultTag = 31;  // the result back to a folded rank

}  // namespace

Plan planRecursiveDoublingAllReduce(const CollArgs& a) {
  Plan plan;
  PlanBuilder b(&plan);
  const int n = a.nranks, r = a.rank;
  const size_t bytes = a.count * a.elemSize;
  if (n == 1) {
    b.copy(recvAt(0), sendAt(0), bytes);
    return plan;
  }
  int p = 1;
  while (p * 2 <= n) p *= 2;
  const int extra = n - p;
  // Ranks below 2*extra pair up: the even one hands its input to the odd one and waits.
  if (r < 2 * extra && r % 2 == 0) {
    b.phase();
    b.send(r + 1, kFoldTag, sendAt(0), bytes);
    b.phase();
    b.recv(r + 1, kResultTag, recvAt(0), bytes);
    return plan;
  }
  const bool folds = r < 2 * extra;
  const int me = folds ? r / 2 : r - extra;  // rank among the p active ranks
  auto activeToRank = [&](int active) { return active < extra ? active * 2 + 1 : active + extra; };
  int steps = 0;
  while ((1 << steps) < p) ++steps;

  // The partial after exchange i lives in buffer[i]; the last is Recv, and they alternate
  // between Recv and scratch so an exchange never writes the buffer it is sending.
  plan.scratchBytes = 2 * bytes;
  std::vector<Region> buffer(steps + 1);
  for (int i = steps; i >= 0; --i)
    buffer[i] = (steps - i) % 2 == 0 ? recvAt(0) : scratchAt(0);
  const bool inPlaceHazard = a.inPlace && !folds && steps > 0 && buffer[1].buffer == BufferRef::Recv;
  if (folds) {
    b.phase();
    b.recvReduce(r - 1, kFoldTag, buffer[0], sendAt(0), bytes);
  } else if (inPlaceHazard) {
    b.phase();  // the input is the output: keep a copy to send while the output is written
    buffer[0] = scratchAt(bytes);
    b.copy(buffer[0], sendAt(0), bytes);
  } else {
    buffer[0] = sendAt(0);
  }
  for (int i = 1; i <= steps; ++i) {
    b.phase();
    int partner = activeToRank(me ^ (1 << (i - 1)));
    b.send(partner, i, buffer[i - 1], bytes);
    b.recvReduce(partner, i, buffer[i], buffer[i - 1], bytes);
  }
  if (folds) {
    b.phase();
    b.send(r - 1, kResultTag, recvAt(0), bytes);
  }
  return plan;
}

}  // namespace hccl
