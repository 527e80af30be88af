// Topology files (JSON, described in docs/topology.md), the node record exchanged at init, and
// the pictures hccl-info draws. Parsing checks every value and names the line and column of the
// first bad one in the thread's last error; a parsed topology has passed Topology::validate().
#pragma once

#include <string>

#include "base/status.h"
#include "topology/topology.h"

namespace hccl::topo {

// Reads and parses a topology file. Errors read "PATH:LINE:COLUMN: nodes[2].nics[0].gbps: ...".
Status loadTopologyFile(const std::string& path, Topology* out);
// Parses topology JSON text (errors read "topology:LINE:COLUMN: ...").
Status parseTopology(const std::string& jsonText, Topology* out);

// The JSON form. Identical consecutive nodes, GPUs and NICs whose names count up from 0 are
// written once with a "count"; parsing the result gives back exactly `topology`.
std::string topologyToJson(const Topology& topology);
// Graphviz (undirected graph). Nodes that look alike (all but name and PCI ids) are drawn once,
// labelled with how many there are, so a 1,024-node cluster is a picture of its node types.
std::string topologyToDot(const Topology& topology);
// A few lines per node type for people: cores, GPUs, NICs, bandwidths, ranks.
std::string topologyToText(const Topology& topology);

// One node as exchanged between ranks at init (compact JSON of the file's node object).
std::string encodeNode(const Node& node);
// The bytes come from a peer: size and nesting are bounded, every value is checked, and the
// result has passed Node::validate().
Status decodeNode(const std::string& bytes, Node* out);

}  // namespace hccl::topo
