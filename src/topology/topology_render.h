// Pictures of a topology for people (hccl-info): Graphviz and a few lines of text per node type.
// Nodes alike in everything but name and PCI ids are shown once, labelled with how many there
// are, so a 1,024-node cluster is a picture of its node types.
#pragma once

#include <string>

#include "topology/topology.h"

namespace hccl::topo {

// Graphviz (undirected graph).
std::string topologyToDot(const Topology& topology);
// Cores, GPUs, NICs, bandwidths and ranks of each node type.
std::string topologyToText(const Topology& topology);

}  // namespace hccl::topo
