// Lower bounds on a collective's time over the network of a cluster, from each node's network
// bandwidth alone (node-internal links and latency are taken as free), and the time of a ring
// held to the slowest node, for comparison. hccl-sim prints them beside its predictions and the
// cost model takes the Weighted schedule's shares from them.
#pragma once

#include <vector>

#include "topology/topology.h"

namespace hccl::tuning {

struct AllReduceBound {
  double seconds = 0;          // the least time any schedule can take
  std::vector<double> shares;  // per node: the reduce-scatter share f_i that reaches it (sum 1)
  double ringSeconds = 0;      // a ring that moves 2(n-1)/n of the data at the slowest node's rate
};

// AllReduce of `bytes` over nodes with these network bandwidths (bytes per second each way).
AllReduceBound allReduceBound(const std::vector<double>& nodeBytesPerSecond, double bytes);
// The same for the nodes of `topology` that hold ranks (ranksByNode order).
AllReduceBound allReduceBound(const topo::Topology& topology, double bytes);

// AllGather producing `bytes` on every rank (ReduceScatter consuming `bytes` is its mirror):
// node i holds the fraction s_i of the data given by its ranks, must receive all the rest and
// send its own at least once, so T = max_i max(1 - s_i, s_i) * bytes / B_i.
double allGatherBoundSeconds(const topo::Topology& topology, double bytes);

// Network bandwidth each way, bytes per second, of the nodes that hold ranks (ranksByNode order).
std::vector<double> nodeBytesPerSecond(const topo::Topology& topology);

}  // namespace hccl::tuning
