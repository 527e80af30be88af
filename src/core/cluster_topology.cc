#include "core/cluster_topology.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>

#include "base/error.h"
#include "base/log.h"
#include "exec/mesh.h"
#include "topology/discover.h"
#include "topology/node_record.h"
#include "topology/topology_writer.h"

namespace hccl {
namespace {

// A node description is a few hundred bytes of JSON; anything near this is not one.
constexpr uint64_t kMaxRecordBytes = uint64_t{1} << 20;
// Every rank's description, padded to the longest, is held at once on every rank.
constexpr uint64_t kMaxExchangeBytes = uint64_t{1} << 30;

// What each rank tells every other: where its topology comes from, and how long its node is.
struct Header {
  uint64_t source;  // 0: discovery; else a hash of the topology file's contents
  uint64_t bytes;   // of the node description that follows (none with a file)
};

// Every rank's node description over the mesh: the headers, then the descriptions padded to the
// longest. Lengths come from peers, so they are checked before anything is allocated.
Status exchange(CommContext& comm, const Header& mine, const std::string& node, std::vector<Header>* headers,
                std::vector<std::string>* nodes) {
  const int n = comm.nranks();
  headers->assign(n, Header{});
  HCCL_TRY(allGatherOnMesh(comm, comm.nextCollectiveTag(), &mine, sizeof(mine), headers->data()));
  uint64_t longest = 0;
  for (int r = 0; r < n; ++r) {
    if ((*headers)[r].bytes > kMaxRecordBytes)
      return fail(Status::RemoteError, "topology exchange: rank %d sent a %llu-byte node description", r,
                  static_cast<unsigned long long>((*headers)[r].bytes));
    longest = std::max(longest, (*headers)[r].bytes);
  }
  if (longest * static_cast<uint64_t>(n) > kMaxExchangeBytes)
    return fail(Status::InvalidUsage, "topology exchange: %d node descriptions of up to %llu bytes are too many", n,
                static_cast<unsigned long long>(longest));
  nodes->assign(n, std::string());
  if (longest == 0) return Status::Success;
  std::vector<char> padded(longest, 0), all(longest * n);
  memcpy(padded.data(), node.data(), node.size());
  HCCL_TRY(allGatherOnMesh(comm, comm.nextCollectiveTag(), padded.data(), longest, all.data()));
  for (int r = 0; r < n; ++r) (*nodes)[r].assign(all.data() + r * longest, (*headers)[r].bytes);
  return Status::Success;
}

// One node per host hash, in the order of each host's lowest rank; a GPU rank's device is added
// to its node when discovery did not list it.
Status assemble(const std::vector<RankInfo>& ranks, const std::vector<std::string>& nodes, topo::Topology* out) {
  topo::Topology t;
  t.networkLatencyUs = topo::kEstimatedNetworkLatencyUs;
  std::map<uint64_t, int> nodeOfHost;
  for (size_t r = 0; r < ranks.size(); ++r) {
    auto [it, added] = nodeOfHost.try_emplace(ranks[r].hostHash, static_cast<int>(t.nodes.size()));
    if (added) {
      topo::Node node;
      Status s = topo::decodeNode(nodes[r], &node);
      if (failed(s)) return fail(s, "topology exchange: rank %zu's node description: %s", r, threadLastError().c_str());
      t.nodes.push_back(std::move(node));
    }
    topo::RankPlace place;
    place.node = it->second;
    if (ranks[r].backend != BackendKind::Host && ranks[r].device >= 0) {
      topo::Vendor vendor = ranks[r].backend == BackendKind::Hip ? topo::Vendor::Amd : topo::Vendor::Nvidia;
      std::vector<topo::Gpu>& gpus = t.nodes[place.node].gpus;
      for (size_t g = 0; g < gpus.size() && place.gpu < 0; ++g)
        if (gpus[g].vendor == vendor && gpus[g].index == ranks[r].device) place.gpu = static_cast<int>(g);
      if (place.gpu < 0) {
        gpus.push_back(topo::Gpu{vendor, ranks[r].device, "", -1});
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

Status buildClusterTopology(CommContext& comm, const std::vector<topo::Gpu>& localGpus, topo::Topology* out) {
  const Config& config = comm.config();
  const int nranks = comm.nranks(), rank = comm.rank();
  topo::Topology local;
  bool fromFile = false;
  HCCL_TRY(topo::loadOrDiscover(config.topologyFile, nranks, localGpus, &local, &fromFile));
  // The NICs a network transport drives, at the speed it reports, stand for discovery's.
  if (!fromFile && !comm.networkNics().empty()) local.nodes[0].nics = comm.networkNics();
  Header mine{};
  std::string node;
  if (fromFile) mine.source = std::hash<std::string>{}(topo::topologyToJson(local)) | 1;
  else node = topo::encodeNode(local.nodes[0]);
  mine.bytes = node.size();
  std::vector<Header> headers;
  std::vector<std::string> nodes;
  HCCL_TRY(exchange(comm, mine, node, &headers, &nodes));
  for (int r = 0; r < nranks; ++r)
    if (headers[r].source != mine.source)
      return fail(Status::InvalidUsage,
                  "ranks %d and %d disagree on the topology: set HCCL_TOPO_FILE to the same file on every rank, or on none",
                  rank, r);
  if (fromFile) *out = std::move(local);
  else HCCL_TRY(assemble(comm.ranks(), nodes, out));
  HCCL_INFO(Graph, "topology: %zu nodes, %d ranks%s", out->nodes.size(), out->nranks(),
            out->heterogeneousNetwork() ? ", heterogeneous network" : "");
  if (rank == 0) HCCL_TRY(topo::dumpTopology(config.topologyDumpFile, *out));
  return Status::Success;
}

}  // namespace hccl
