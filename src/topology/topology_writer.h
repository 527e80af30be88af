// The JSON form of a topology (docs/topology.md), as hccl-info and HCCL_TOPO_DUMP_FILE write it:
// identical consecutive nodes, GPUs and NICs whose names count up from 0 are written once with a
// "count", and parsing the result gives back exactly the topology.
#pragma once

#include <string>

#include "topology/json.h"
#include "topology/topology.h"

namespace hccl::topo {

inline constexpr int kTopologyFormatVersion = 1;

std::string topologyToJson(const Topology& topology);

// One node object of the file format, named `name`; `count` > 1 writes a run of nodes, and
// ranksPerNode >= 0 writes "ranks_per_node" when it is not the node's default.
json::Value nodeJson(const Node& node, const std::string& name, size_t count, int ranksPerNode);

// Everything about a node but its name (and, unless withPci, its PCI ids): nodes of equal shape
// are written, drawn and described once.
std::string nodeShape(const Node& node, bool withPci);

}  // namespace hccl::topo
