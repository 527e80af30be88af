// Where ranks sit, as the topology-aware planners see it: which ranks share a node, and what
// share of the reduction each node owns. The cost model fills it from a Topology; tests fill it
// by hand. Planners read it and never the Topology, so they stay plain functions of their input.
#pragma once

#include <vector>

namespace hccl {

struct CollArgs;

struct PlanLayout {
  // The ranks of each node, in the order rings visit the nodes. Empty: all ranks on one node.
  std::vector<std::vector<int>> nodes;
  // Weighted AllReduce: each node's share of the reduction (non-negative, summing to 1), from
  // the bound's linear program. Empty: shares in proportion to the node's ranks.
  std::vector<double> nodeShares;
};

// The ranks of each node (one group of all ranks without a layout).
std::vector<std::vector<int>> nodeGroups(const CollArgs& args);

// The ring of `channel`: nodes in layout order and each node's ranks contiguous, so the ring
// crosses every node boundary once. Channel c rotates each node's ranks by c, so the channels
// leave and enter a node through different ranks, and so through different NICs.
std::vector<int> ringOrder(const CollArgs& args, int channel);

// Position of `rank` in `order` (-1 if absent).
int positionOf(const std::vector<int>& order, int rank);

}  // namespace hccl
