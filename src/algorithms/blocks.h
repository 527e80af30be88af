// Building blocks the composed schedules (ring channels, hierarchical, weighted) share. Each adds
// the phases of one exchange among a group of ranks over one span of an AllReduce-shaped buffer
// (send and recv have the same layout), with the tags the caller reserves for it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "algorithms/plan_builder.h"

namespace hccl {

struct Group {
  std::vector<int> members;  // global ranks
  int me = 0;                // this rank's index in members
  int size() const { return static_cast<int>(members.size()); }
};

// Elements [offset, offset + count) of the buffers; `elemSize` bytes each.
struct Span {
  size_t offset = 0;
  size_t count = 0;
  size_t elemSize = 1;
  Region at(BufferRef buffer, size_t element) const { return {buffer, (offset + element) * elemSize}; }
  size_t bytes(size_t elements) const { return elements * elemSize; }
};

// Splits `count` elements into one part per weight, in proportion (largest remainder, ties to
// the lower index, so every rank computes the same split). Empty weights: `parts` equal parts.
std::vector<size_t> splitCounts(size_t count, size_t parts, const std::vector<double>& weights);

// Element counts of a pipeline of `chunks` equal chunks whose first and last chunks are cut into
// pieces of 1/8, 1/8, 1/4, 1/2 (and the mirror at the end): the stages of a pipeline are idle
// while it fills and drains, and small pieces there shorten that time, at the cost of three more
// phases (latencies) at each end. Shorter pipelines, chosen where the Plan's size is what limits
// them, stay equal chunks.
inline constexpr size_t kRampedChunks = 8;
std::vector<size_t> pipelineCounts(size_t count, size_t chunks);

// Whole pieces per member in proportion to `shares` (at most kMaxPieces each; a positive share
// gets at least one), so that parts of splitCounts(count, parts, pieces) cut into that many
// pieces are all about one size. Empty shares: one piece each.
inline constexpr int kMaxPieces = 64;
std::vector<int> sharePieces(const std::vector<double>& shares, size_t parts);

// One phase: member j ends with the sum of part j (parts of `counts`) in recv. Each part is
// reduced by its owner alone, so every rank later receives the same bytes. With `pieces`, part j
// travels as pieces[j] transfers of about equal size, tags tag .. tag + max(pieces) - 1.
void directReduceScatter(PlanBuilder& b, const Group& g, BufferRef input, const Span& span,
                         const std::vector<size_t>& counts, uint32_t tag, const std::vector<int>& pieces = {});
// One phase: every member's part goes to every other member's recv (in pieces, as above).
void directAllGather(PlanBuilder& b, const Group& g, const Span& span, const std::vector<size_t>& counts,
                     uint32_t tag, const std::vector<int>& pieces = {});
// Ring AllReduce of the span over the group: 2(size-1) phases, tags tag .. tag + 2(size-1) - 1.
// Ring position i owns chunk i after the reduce-scatter half.
void ringAllReduce(PlanBuilder& b, const Group& g, BufferRef input, const Span& span, uint32_t tag);

// Phase g of the result holds phase g - i*stagger of plans[i]. Plans must be aligned (every send
// in the same phase index as its receive on the peer) and touch disjoint memory and tags; then
// the result is aligned too and cannot deadlock. Stagger 0 runs channels side by side; stagger 1
// pipelines chunks through a multi-stage schedule.
Plan mergePlans(std::vector<Plan>& plans, size_t stagger);

}  // namespace hccl
