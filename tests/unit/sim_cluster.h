// Clusters built in code for the cost model and simulator tests.
#pragma once

#include "topology/topology.h"

namespace hccl::topo {

// `fast` nodes of `gpus` NVIDIA GPUs with `gpus` NICs of fastGbps, then `slow` AMD nodes with NICs
// of slowGbps; one rank per GPU.
inline Topology makeCluster(int fast, int slow, int gpus, double fastGbps, double slowGbps,
                            double intraGbps = 3600, double latencyUs = 5) {
  Topology t;
  t.networkLatencyUs = latencyUs;
  for (int i = 0; i < fast + slow; ++i) {
    Node node;
    node.name = "node" + std::to_string(i);
    node.cores = 64;
    node.intraGbps = intraGbps;
    node.intraLatencyUs = 2;
    for (int g = 0; g < gpus; ++g) {
      node.gpus.push_back({i < fast ? Vendor::Nvidia : Vendor::Amd, g, "", -1});
      node.nics.push_back({"nic" + std::to_string(g), i < fast ? fastGbps : slowGbps, true, "", -1});
      t.ranks.push_back({i, g});
    }
    t.nodes.push_back(node);
  }
  return t;
}

}  // namespace hccl::topo
