// One node as ranks exchange it at init: the compact JSON of a topology file's node object. The
// bytes come from a peer, so decoding bounds their size and nesting and checks every value.
#pragma once

#include <string>

#include "base/status.h"
#include "topology/topology.h"

namespace hccl::topo {

std::string encodeNode(const Node& node);
// RemoteError for anything that is not a valid node; the result has passed Node::validate().
Status decodeNode(const std::string& bytes, Node* out);

}  // namespace hccl::topo
