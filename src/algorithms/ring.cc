// Ring schedules: AllReduce (reduce-scatter then all-gather), AllGather, ReduceScatter.
// Each rank sends to the next in ring order and receives from the one before; step s of each
// stage uses tag s. Without a layout the ring order is the rank order.
#include <algorithm>

#include "algorithms/blocks.h"
#include "algorithms/schedules.h"

namespace hccl {
namespace {

// Tags of channel c start at c * 2n, below 2^24 for every n hccl accepts.
constexpr int kMaxChannels = 64;

}  // namespace

Plan planRingAllReduce(const CollArgs& a) {
  // Each channel is a ring of its own over its part of the buffer, with its own node rotation
  // and tags; the channels advance side by side, step s of every ring in phase s.
  const int channels = std::max(1, std::min(a.channels, kMaxChannels));
  const ChunkSplit parts{a.count, static_cast<size_t>(channels)};
  const uint32_t tagsPerChannel = 2 * static_cast<uint32_t>(a.nranks);
  std::vector<Plan> rings(static_cast<size_t>(channels));
  for (int c = 0; c < channels; ++c) {
    Group ring{ringOrder(a, c), 0};
    ring.me = positionOf(ring.members, a.rank);
    PlanBuilder b(&rings[c]);
    ringAllReduce(b, ring, BufferRef::Send, {parts.offset(c), parts.size(c), a.elemSize}, c * tagsPerChannel);
  }
  return mergePlans(rings, 0);
}

Plan planRingAllGather(const CollArgs& a) {
  Plan plan;
  PlanBuilder b(&plan);
  const std::vector<int> ring = ringOrder(a, 0);
  const int n = a.nranks, r = a.rank, pos = positionOf(ring, r);
  const int next = ring[mod(pos + 1, n)], prev = ring[mod(pos - 1, n)];
  auto block = [&](int position) { return static_cast<size_t>(ring[mod(position, n)]); };
  const size_t chunk = a.count * a.elemSize;
  b.phase();
  b.copy(recvAt(r * chunk), sendAt(0), chunk);
  for (int s = 0; s < n - 1; ++s) {
    if (s > 0) b.phase();
    b.send(next, s, recvAt(block(pos - s) * chunk), chunk);
    b.recv(prev, s, recvAt(block(pos - s - 1) * chunk), chunk);
  }
  return plan;
}

Plan planRingReduceScatter(const CollArgs& a) {
  Plan plan;
  PlanBuilder b(&plan);
  const std::vector<int> ring = ringOrder(a, 0);
  const int n = a.nranks, pos = positionOf(ring, a.rank);
  const int next = ring[mod(pos + 1, n)], prev = ring[mod(pos - 1, n)];
  auto block = [&](int position) { return static_cast<size_t>(ring[mod(position, n)]); };
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
    const size_t out = block(pos - s - 1), in = block(pos - s - 2);
    b.send(next, s, s == 0 ? sendAt(out * chunk) : scratchAt(((s - 1) % 2) * chunk), chunk);
    Region dst = s == n - 2 ? recvAt(0) : scratchAt((s % 2) * chunk);
    b.recvReduce(prev, s, dst, sendAt(in * chunk), chunk);
  }
  return plan;
}

}  // namespace hccl
