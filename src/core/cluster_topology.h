// The communicator's cluster graph, assembled at init once the links are up: every rank
// discovers its own node (or reads HCCL_TOPO_FILE), the node descriptions travel over the mesh,
// and ranks whose host hashes are equal share a node. Every rank ends with the same Topology.
#pragma once

#include <vector>

#include "exec/comm_context.h"
#include "topology/topology.h"

namespace hccl {

// `comm` has its ranks and messengers; `localGpus` is what this rank's backend found. Fails (on
// every rank) when ranks disagree on where the topology comes from.
Status buildClusterTopology(CommContext& comm, const std::vector<topo::Gpu>& localGpus, topo::Topology* out);

}  // namespace hccl
