// What the pipelined planners cut a call into, told by the planners themselves so that the cost
// model costs the Plan they make instead of re-deriving their arithmetic (and drifting from it
// when a planner changes).
#pragma once

#include <cstddef>
#include <vector>

#include "algorithms/planner.h"

namespace hccl {

struct RailPipeline {
  std::vector<size_t> counts;  // elements of each piece, in the order they enter the pipeline
  size_t busiestRankSteps = 0;  // transfer steps of the busiest rank's Plan, at most
};

// Hierarchical (weighted = false) and Weighted AllReduce of `args` (its layout, count, element
// size and chunkBytes). Hierarchical on nodes of unequal rank counts is the ring instead: then
// the counts are empty.
RailPipeline railPipeline(const CollArgs& args, bool weighted);

// Tree AllReduce: tree `tree` (0 or 1) carries its half of the buffer in this many chunks.
size_t treeChunks(const CollArgs& args, int tree);

}  // namespace hccl
