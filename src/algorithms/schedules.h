// The planners of src/algorithms, one function per schedule.
#pragma once

#include "algorithms/planner.h"

namespace hccl {

Plan planRingAllReduce(const CollArgs& args);
Plan planRecursiveDoublingAllReduce(const CollArgs& args);
Plan planTreeAllReduce(const CollArgs& args);
Plan planHalvingDoublingAllReduce(const CollArgs& args);
Plan planHierarchicalAllReduce(const CollArgs& args);
Plan planWeightedAllReduce(const CollArgs& args);
Plan planRingAllGather(const CollArgs& args);
Plan planRingReduceScatter(const CollArgs& args);
Plan planChainBroadcast(const CollArgs& args);
Plan planChainReduce(const CollArgs& args);
Plan planDirectAllToAll(const CollArgs& args);
// Every rank's block to every other rank in one phase: the fewest latencies, for small blocks.
Plan planDirectAllGather(const CollArgs& args);
Plan planDirectGather(const CollArgs& args);
Plan planDirectScatter(const CollArgs& args);
Plan planSend(const CollArgs& args);
Plan planRecv(const CollArgs& args);

}  // namespace hccl
