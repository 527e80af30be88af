#include "core/cluster_topology.h"

#include <functional>
#include <map>

#include "backends/backend.h"
#include "base/error.h"
#include "base/log.h"
#include "topology/discover.h"
#include "topology/node_record.h"
#include "topology/topology_writer.h"

namespace hccl {
namespace {

// A node description is a few hundred bytes of JSON; anything near this is not one.
constexpr uint32_t kMaxRecordBytes = 1u << 20;

// What each rank tells every other: where its topology comes from, and its node.
struct Record {
  uint64_t source = 0;  // 0: discovery; else a hash of the topology file's contents
  std::string node;     // encodeNode() of this rank's machine; empty with a file
};

Status sendRecord(Socket& socket, const Record& r, Deadline deadline) {
  uint32_t length = static_cast<uint32_t>(r.node.size());
  HCCL_TRY(socket.sendAll(&r.source, sizeof(r.source), deadline));
  HCCL_TRY(socket.sendAll(&length, sizeof(length), deadline));
  return socket.sendAll(r.node.data(), length, deadline);
}

Status recvRecord(Socket& socket, int peer, Record* r, Deadline deadline) {
  uint32_t length = 0;
  HCCL_TRY(socket.recvAll(&r->source, sizeof(r->source), deadline));
  HCCL_TRY(socket.recvAll(&length, sizeof(length), deadline));
  if (length > kMaxRecordBytes)
    return fail(Status::RemoteError, "topology exchange: rank %d sent a %u-byte node description", peer, length);
  r->node.resize(length);
  return socket.recvAll(r->node.data(), length, deadline);
}

// Every rank's record, through the full mesh. Each pair exchanges once, the lower rank sending
// first, and every rank visits its peers in rank order: the pairs complete in a global order, so
// no rank waits on one that is itself waiting.
Status exchange(int rank, std::vector<Socket>& connections, const Record& mine, double timeoutSeconds,
                std::vector<Record>* all) {
  Deadline deadline = deadlineIn(timeoutSeconds);
  all->assign(connections.size(), Record{});
  (*all)[rank] = mine;
  for (int peer = 0; peer < static_cast<int>(connections.size()); ++peer) {
    if (peer == rank) continue;
    if (rank < peer) {
      HCCL_TRY(sendRecord(connections[peer], mine, deadline));
      HCCL_TRY(recvRecord(connections[peer], peer, &(*all)[peer], deadline));
    } else {
      HCCL_TRY(recvRecord(connections[peer], peer, &(*all)[peer], deadline));
      HCCL_TRY(sendRecord(connections[peer], mine, deadline));
    }
  }
  return Status::Success;
}

// One node per host hash, in the order of each host's lowest rank; a GPU rank's device is added
// to its node when discovery did not list it.
Status assemble(const std::vector<PeerInfo>& peers, const std::vector<Record>& records, topo::Topology* out) {
  topo::Topology t;
  t.networkLatencyUs = topo::kEstimatedNetworkLatencyUs;
  std::map<uint64_t, int> nodeOfHost;
  for (size_t r = 0; r < peers.size(); ++r) {
    auto [it, added] = nodeOfHost.try_emplace(peers[r].hostHash, static_cast<int>(t.nodes.size()));
    if (added) {
      topo::Node node;
      Status s = topo::decodeNode(records[r].node, &node);
      if (failed(s)) return fail(s, "topology exchange: rank %zu's node description: %s", r, threadLastError().c_str());
      t.nodes.push_back(std::move(node));
    }
    topo::RankPlace place;
    place.node = it->second;
    const auto backend = static_cast<BackendKind>(peers[r].backendKind);
    if (backend != BackendKind::Host && peers[r].deviceIndex >= 0) {
      topo::Vendor vendor = backend == BackendKind::Hip ? topo::Vendor::Amd : topo::Vendor::Nvidia;
      std::vector<topo::Gpu>& gpus = t.nodes[place.node].gpus;
      for (size_t g = 0; g < gpus.size() && place.gpu < 0; ++g)
        if (gpus[g].vendor == vendor && gpus[g].index == peers[r].deviceIndex) place.gpu = static_cast<int>(g);
      if (place.gpu < 0) {
        gpus.push_back(topo::Gpu{vendor, peers[r].deviceIndex, "", -1});
        place.gpu = static_cast<int>(gpus.size()) - 1;
      }
    }
    t.ranks.push_back(place);
  }
  HCCL_TRY(t.validate());
  *out = std::move(t);
  return Status::Success;
}

}  // namespace

Status buildClusterTopology(int rank, const std::vector<PeerInfo>& peers, std::vector<Socket>& connections,
                            const std::vector<topo::Gpu>& localGpus, const Config& config, topo::Topology* out) {
  const int nranks = static_cast<int>(peers.size());
  topo::Topology local;
  bool fromFile = false;
  HCCL_TRY(topo::loadOrDiscover(config.topologyFile, nranks, localGpus, &local, &fromFile));
  Record mine;
  if (fromFile) mine.source = std::hash<std::string>{}(topo::topologyToJson(local)) | 1;
  else mine.node = topo::encodeNode(local.nodes[0]);
  std::vector<Record> all;
  HCCL_TRY(exchange(rank, connections, mine, config.timeoutSeconds, &all));
  for (int r = 0; r < nranks; ++r)
    if (all[r].source != mine.source)
      return fail(Status::InvalidUsage,
                  "ranks %d and %d disagree on the topology: set HCCL_TOPO_FILE to the same file on every rank, or on none",
                  rank, r);
  if (fromFile) *out = std::move(local);
  else HCCL_TRY(assemble(peers, all, out));
  HCCL_INFO(Graph, "topology: %zu nodes, %d ranks%s", out->nodes.size(), out->nranks(),
            out->heterogeneousNetwork() ? ", heterogeneous network" : "");
  if (rank == 0) HCCL_TRY(topo::dumpTopology(config.topologyDumpFile, *out));
  return Status::Success;
}

}  // namespace hccl
