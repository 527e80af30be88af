#include "topology/topology.h"

#include <strings.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "base/error.h"

namespace hccl::topo {
namespace {

// Each check returns the problem in words, or an empty string.
std::string checkRate(const char* what, double value, double max) {
  if (std::isfinite(value) && value >= 0 && value <= max) return "";
  char text[160];
  snprintf(text, sizeof(text), "%s %g is outside 0..%g", what, value, max);
  return text;
}

std::string checkNuma(int numaNode) {
  // NUMA ids are the kernel's, which may have holes, so they are not checked against the count.
  if (numaNode < -1 || numaNode >= kMaxDevicesPerNode)
    return "NUMA node " + std::to_string(numaNode) + " is invalid (-1 means unknown)";
  return "";
}

std::string nodeProblem(const Node& node) {
  if (node.cores < 0 || node.cores > (1 << 20)) return "core count " + std::to_string(node.cores) + " is invalid";
  if (node.numaNodes < 1 || node.numaNodes > kMaxDevicesPerNode)
    return "NUMA node count " + std::to_string(node.numaNodes) + " is outside 1.." + std::to_string(kMaxDevicesPerNode);
  if (node.gpus.size() > static_cast<size_t>(kMaxDevicesPerNode))
    return std::to_string(node.gpus.size()) + " GPUs is more than " + std::to_string(kMaxDevicesPerNode);
  if (node.nics.size() > static_cast<size_t>(kMaxDevicesPerNode))
    return std::to_string(node.nics.size()) + " NICs is more than " + std::to_string(kMaxDevicesPerNode);
  std::string p = checkRate("intra-node bandwidth (Gb/s)", node.intraGbps, kMaxGbps);
  if (p.empty()) p = checkRate("intra-node latency (us)", node.intraLatencyUs, kMaxLatencyUs);
  if (!p.empty()) return p;
  for (size_t i = 0; i < node.gpus.size(); ++i) {
    const Gpu& g = node.gpus[i];
    std::string where = "GPU " + std::to_string(i) + ": ";
    if (g.index < 0 || g.index >= kMaxDevicesPerNode) return where + "index " + std::to_string(g.index) + " is invalid";
    p = checkNuma(g.numaNode);
    if (!p.empty()) return where + p;
  }
  for (size_t i = 0; i < node.nics.size(); ++i) {
    const Nic& n = node.nics[i];
    std::string where = "NIC " + std::to_string(i) + " (" + n.name + "): ";
    p = checkRate("bandwidth (Gb/s)", n.gbps, kMaxGbps);
    if (p.empty()) p = checkNuma(n.numaNode);
    if (!p.empty()) return where + p;
  }
  return "";
}

}  // namespace

const char* vendorName(Vendor vendor) {
  switch (vendor) {
    case Vendor::Cpu: return "cpu";
    case Vendor::Nvidia: return "nvidia";
    case Vendor::Amd: return "amd";
  }
  return "unknown";
}

bool parseVendor(const std::string& text, Vendor* out) {
  // The runtime names are accepted too, since users think of "the CUDA GPUs" as often as "NVIDIA".
  static const struct { const char* name; Vendor vendor; } kNames[] = {
      {"cpu", Vendor::Cpu},   {"host", Vendor::Cpu}, {"nvidia", Vendor::Nvidia}, {"cuda", Vendor::Nvidia},
      {"amd", Vendor::Amd},   {"hip", Vendor::Amd},  {"rocm", Vendor::Amd},
  };
  for (const auto& n : kNames) {
    if (strcasecmp(text.c_str(), n.name) == 0) {
      *out = n.vendor;
      return true;
    }
  }
  return false;
}

double Node::networkGbps() const {
  double total = 0;
  for (const Nic& nic : nics) total += nic.gbps;
  return total;
}

Status Node::validate() const {
  std::string problem = nodeProblem(*this);
  if (problem.empty()) return Status::Success;
  return reject(Status::InvalidArgument, "topology: node %s: %s", name.c_str(), problem.c_str());
}

std::vector<std::vector<int>> Topology::ranksByNode() const {
  std::vector<std::vector<int>> byNode(nodes.size());
  for (int r = 0; r < nranks(); ++r) byNode[static_cast<size_t>(ranks[r].node)].push_back(r);
  std::vector<std::vector<int>> groups;
  for (auto& g : byNode)
    if (!g.empty()) groups.push_back(std::move(g));
  return groups;
}

bool Topology::heterogeneousNetwork() const {
  std::vector<bool> holdsRank(nodes.size(), false);
  for (const RankPlace& p : ranks) holdsRank[static_cast<size_t>(p.node)] = true;
  double first = -1;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (!holdsRank[i]) continue;
    double gbps = nodes[i].networkGbps();
    if (first < 0) first = gbps;
    // Sums of decimal rates may differ in the last bit; a relative 1e-9 is "the same".
    else if (std::fabs(gbps - first) > 1e-9 * std::max(gbps, first)) return true;
  }
  return false;
}

Status Topology::validate() const {
  if (nodes.empty()) return reject(Status::InvalidArgument, "topology: no nodes");
  if (nodes.size() > static_cast<size_t>(kMaxNodes))
    return reject(Status::InvalidArgument, "topology: %zu nodes is more than %d", nodes.size(), kMaxNodes);
  if (ranks.empty()) return reject(Status::InvalidArgument, "topology: no ranks");
  if (ranks.size() > static_cast<size_t>(kMaxRanks))
    return reject(Status::InvalidArgument, "topology: %zu ranks is more than %d", ranks.size(), kMaxRanks);
  std::string problem = checkRate("network latency (us)", networkLatencyUs, kMaxLatencyUs);
  if (!problem.empty()) return reject(Status::InvalidArgument, "topology: %s", problem.c_str());
  for (size_t i = 0; i < nodes.size(); ++i) {
    problem = nodeProblem(nodes[i]);
    if (!problem.empty())
      return reject(Status::InvalidArgument, "topology: node %zu (%s): %s", i, nodes[i].name.c_str(), problem.c_str());
  }
  for (int r = 0; r < nranks(); ++r) {
    const RankPlace& p = ranks[r];
    if (p.node < 0 || p.node >= static_cast<int>(nodes.size()))
      return reject(Status::InvalidArgument, "topology: rank %d is on node %d, but there are %zu nodes", r, p.node,
                    nodes.size());
    int gpus = static_cast<int>(nodes[p.node].gpus.size());
    if (p.gpu < -1 || p.gpu >= gpus)
      return reject(Status::InvalidArgument, "topology: rank %d uses GPU %d of node %d (%s), which has %d GPUs", r,
                    p.gpu, p.node, nodes[p.node].name.c_str(), gpus);
  }
  return Status::Success;
}

}  // namespace hccl::topo
