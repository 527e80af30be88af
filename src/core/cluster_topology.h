// The communicator's cluster graph, assembled at init: every rank discovers its own node (or
// reads HCCL_TOPO_FILE), the node descriptions travel over the bootstrap connections, and ranks
// whose host hashes are equal share a node. Every rank ends with the same Topology.
#pragma once

#include <vector>

#include "core/bootstrap.h"
#include "core/config.h"
#include "topology/topology.h"

namespace hccl {

// `peers` and `connections` as bootstrap() returned them; `localGpus` what this rank's backend
// found. Fails (on every rank) when ranks disagree on where the topology comes from.
Status buildClusterTopology(int rank, const std::vector<PeerInfo>& peers, std::vector<Socket>& connections,
                            const std::vector<topo::Gpu>& localGpus, const Config& config, topo::Topology* out);

}  // namespace hccl
