// The cluster graph every rank holds: nodes (hosts) with their cores, GPUs and NICs, the links
// inside and between them, and which rank sits where. Discovery fills it for this machine,
// HCCL_TOPO_FILE describes or overrides it, and the planners, the cost model and hccl-sim read it.
//
// Units everywhere: bandwidth in gigabits per second (Gb/s, 1e9 bits), latency in microseconds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace hccl::topo {

// Bounds validate() enforces: topologies come from files and from peers, and a planner should
// never be handed a million-GPU node or a negative link.
inline constexpr int kMaxNodes = 1 << 16;
inline constexpr int kMaxRanks = 1 << 20;
inline constexpr int kMaxDevicesPerNode = 1024;  // GPUs, NICs and NUMA nodes, each
inline constexpr double kMaxGbps = 1e6;
inline constexpr double kMaxLatencyUs = 1e7;

enum class Vendor : uint8_t { Cpu, Nvidia, Amd };
const char* vendorName(Vendor vendor);
bool parseVendor(const std::string& text, Vendor* out);

struct Gpu {
  Vendor vendor = Vendor::Nvidia;
  int index = 0;           // inside its vendor runtime
  std::string pciBusId;    // "0000:17:00.0", empty when unknown
  int numaNode = -1;
};

struct Nic {
  std::string name;        // netdev ("eth0") or RDMA device ("mlx5_0")
  double gbps = 0;         // line rate each way
  bool rdma = false;
  std::string pciBusId;
  int numaNode = -1;
};

struct Node {
  std::string name;        // host name
  int cores = 0;
  int numaNodes = 1;
  std::vector<Gpu> gpus;
  std::vector<Nic> nics;
  // Between ranks on this node (shared memory, NVLink/xGMI or PCIe): per rank, each way.
  double intraGbps = 0;
  double intraLatencyUs = 0;

  // The node's network bandwidth each way: all NICs together.
  double networkGbps() const;
  // Ranks a node holds when a topology file does not say: one per GPU, else one CPU rank.
  int defaultRanks() const { return gpus.empty() ? 1 : static_cast<int>(gpus.size()); }
  // Checks this node's values (counts, bandwidths, latencies, NUMA ids); describes the first problem.
  Status validate() const;
};

// Where a rank runs: its node, and its GPU on that node (-1: a CPU rank).
struct RankPlace {
  int node = 0;
  int gpu = -1;
};

struct Topology {
  std::vector<Node> nodes;
  std::vector<RankPlace> ranks;  // indexed by rank
  double networkLatencyUs = 0;   // one hop across the network (NIC to NIC)

  int nranks() const { return static_cast<int>(ranks.size()); }
  const Node& nodeOf(int rank) const { return nodes[ranks[rank].node]; }
  bool sameNode(int a, int b) const { return ranks[a].node == ranks[b].node; }
  // Ranks grouped by node, nodes in order, ranks in order inside each node. Nodes that hold no
  // rank have no group, so every group is non-empty.
  std::vector<std::vector<int>> ranksByNode() const;
  // True when the nodes that hold ranks differ in network bandwidth.
  bool heterogeneousNetwork() const;
  // Checks indices and values; describes the first problem found.
  Status validate() const;
};

}  // namespace hccl::topo
