// Rabenseifner AllReduce: a reduce-scatter by recursive halving (each exchange sends half of the
// rank's current range to a partner and keeps the other half), then an all-gather by recursive
// doubling in the reverse order: 2 log2(p) steps moving 2(p-1)/p of the buffer, against the
// ring's 2(n-1) steps. Ranks beyond the largest power of two p fold into a partner first and get
// the result back at the end; they sit out the middle phases with empty ones, so every transfer
// is in the same phase index on both sides and the plan can be pipelined or merged.
#include <vector>

#include "algorithms/blocks.h"
#include "algorithms/schedules.h"

namespace hccl {

Plan planHalvingDoublingAllReduce(const CollArgs& a) {
  Plan plan;
  PlanBuilder b(&plan);
  const int n = a.nranks, r = a.rank;
  const Span all{0, a.count, a.elemSize};
  if (n == 1) {
    b.copy(recvAt(0), sendAt(0), all.bytes(a.count));
    return plan;
  }
  int p = 1, steps = 0;
  while (p * 2 <= n) p *= 2, ++steps;
  const int extra = n - p;
  const uint32_t resultTag = 2 * steps + 1;  // tags: 0 fold, 1..steps halving, then doubling
  const bool folded = r < 2 * extra && r % 2 == 0;
  const bool folds = r < 2 * extra && r % 2 == 1;
  if (extra > 0) {
    b.phase();
    if (folded) b.send(r + 1, 0, sendAt(0), all.bytes(a.count));
    if (folds) b.recvReduce(r - 1, 0, recvAt(0), sendAt(0), all.bytes(a.count));
  }
  if (folded) {
    for (int i = 0; i < 2 * steps; ++i) b.phase();
    b.phase();
    b.recv(r + 1, resultTag, recvAt(0), all.bytes(a.count));
    return plan;
  }
  const int me = folds ? r / 2 : r - extra;  // rank among the p active ranks
  auto rankOf = [&](int active) { return active < extra ? active * 2 + 1 : active + extra; };
  const ChunkSplit split{a.count, static_cast<size_t>(p)};
  auto at = [&](BufferRef buffer, int chunk) { return all.at(buffer, split.offset(chunk)); };
  auto bytes = [&](int lo, int hi) { return all.bytes(split.offset(hi) - split.offset(lo)); };
  BufferRef input = folds ? BufferRef::Recv : BufferRef::Send;
  int lo = 0, hi = p;
  for (int i = 0; i < steps; ++i) {
    b.phase();
    const int bit = p >> (i + 1), partner = rankOf(me ^ bit), mid = lo + (hi - lo) / 2;
    const bool lower = (me & bit) == 0;
    const int keepLo = lower ? lo : mid, keepHi = lower ? mid : hi;
    const int giveLo = lower ? mid : lo, giveHi = lower ? hi : mid;
    b.send(partner, 1 + i, at(input, giveLo), bytes(giveLo, giveHi));
    b.recvReduce(partner, 1 + i, at(BufferRef::Recv, keepLo), at(input, keepLo), bytes(keepLo, keepHi));
    input = BufferRef::Recv;
    lo = keepLo, hi = keepHi;
  }
  for (int i = steps - 1; i >= 0; --i) {
    b.phase();
    const int bit = p >> (i + 1), partner = rankOf(me ^ bit), width = hi - lo;
    const int theirLo = (me & bit) == 0 ? hi : lo - width;
    b.send(partner, 1 + 2 * steps - 1 - i, at(BufferRef::Recv, lo), bytes(lo, hi));
    b.recv(partner, 1 + 2 * steps - 1 - i, at(BufferRef::Recv, theirLo), bytes(theirLo, theirLo + width));
    lo = std::min(lo, theirLo), hi = lo + 2 * width;
  }
  if (folds) {
    b.phase();
    b.send(r - 1, resultTag, recvAt(0), all.bytes(a.count));
  }
  return plan;
}

}  // namespace hccl
