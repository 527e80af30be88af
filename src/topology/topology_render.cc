#include "topology/topology_render.h"

#include <cstdio>
#include <unordered_map>
#include <vector>

#include "topology/device_runs.h"
#include "topology/topology_writer.h"

namespace hccl::topo {
namespace {

// Nodes alike in everything but name and PCI ids, and holding as many ranks: one picture each.
struct NodeType {
  std::vector<size_t> members;
  int ranksEach = 0;
};

std::vector<NodeType> findNodeTypes(const Topology& t) {
  std::vector<int> ranksOn(t.nodes.size(), 0);
  for (const RankPlace& p : t.ranks)
    if (p.node >= 0 && p.node < static_cast<int>(t.nodes.size())) ++ranksOn[static_cast<size_t>(p.node)];
  std::vector<NodeType> types;
  std::unordered_map<std::string, size_t> byKey;
  for (size_t i = 0; i < t.nodes.size(); ++i) {
    std::string key = nodeShape(t.nodes[i], false) + "#" + std::to_string(ranksOn[i]);
    auto [it, fresh] = byKey.emplace(key, types.size());
    if (fresh) types.push_back(NodeType{{}, ranksOn[i]});
    types[it->second].members.push_back(i);
  }
  return types;
}

std::string format(const char* fmt, double value) {
  char text[64];
  snprintf(text, sizeof(text), fmt, value);
  return text;
}

std::string gbpsText(double gbps) { return gbps > 0 ? format("%g Gb/s", gbps) : "unknown speed"; }

// "64 × node type nv (nv-0 … nv-63)" or "node host1".
std::string typeTitle(const Topology& t, const NodeType& type) {
  const std::string& first = t.nodes[type.members.front()].name;
  if (type.members.size() == 1) return "node " + first;
  std::string common = first;
  for (size_t m : type.members) {
    const std::string& name = t.nodes[m].name;
    size_t k = 0;
    while (k < common.size() && k < name.size() && common[k] == name[k]) ++k;
    common.resize(k);
  }
  while (!common.empty() && (common.back() == '-' || common.back() == '_' || common.back() == '.')) common.pop_back();
  return std::to_string(type.members.size()) + " × node type " + (common.empty() ? first : common) + " (" + first +
         " … " + t.nodes[type.members.back()].name + ")";
}

// "1 rank", "8 ranks".
std::string counted(size_t n, const char* noun) { return std::to_string(n) + " " + noun + (n == 1 ? "" : "s"); }

std::string ranksText(int ranks, size_t members) {
  std::string text = counted(static_cast<size_t>(ranks), "rank");
  return members > 1 ? text + " each" : text;
}

std::string cpuText(const Node& node) {
  return counted(static_cast<size_t>(node.cores), "core") + ", " + std::to_string(node.numaNodes) + " NUMA";
}

std::string gpuText(const std::vector<Gpu>& gpus, const DeviceRun& run) {
  const Gpu& g = gpus[run.first];
  std::string text = run.count > 1 ? std::to_string(run.count) + " × " + vendorName(g.vendor) + " " +
                                         std::to_string(g.index) + "-" + std::to_string(g.index + static_cast<int>(run.count) - 1)
                                   : std::string(vendorName(g.vendor)) + " " + std::to_string(g.index);
  if (!g.pciBusId.empty()) text += ", pci " + g.pciBusId;
  if (g.numaNode >= 0) text += ", NUMA " + std::to_string(g.numaNode);
  return text;
}

std::string nicText(const std::vector<Nic>& nics, const DeviceRun& run) {
  const Nic& n = nics[run.first];
  std::string text = run.count > 1 ? std::to_string(run.count) + " × " + n.name + " … " + nics[run.first + run.count - 1].name
                                   : n.name;
  text += ": " + gbpsText(n.gbps) + (n.rdma ? " RDMA" : "") + (run.count > 1 ? " each" : "");
  if (!n.pciBusId.empty()) text += ", pci " + n.pciBusId;
  if (n.numaNode >= 0) text += ", NUMA " + std::to_string(n.numaNode);
  return text;
}

// Graphviz strings: quotes and backslashes escaped; callers join lines with \n themselves.
std::string dotEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c == '\n' ? ' ' : c);
  }
  return out;
}

const char* vendorColour(Vendor vendor) {
  switch (vendor) {
    case Vendor::Nvidia: return "#d9ead3";
    case Vendor::Amd: return "#f4cccc";
    case Vendor::Cpu: break;
  }
  return "#eeeeee";
}

// A node draws each device while that stays readable, and one box per run of devices beyond.
constexpr size_t kDevicesDrawnOneByOne = 16;

std::vector<DeviceRun> drawnRuns(std::vector<DeviceRun> runs, size_t devices) {
  if (devices > kDevicesDrawnOneByOne) return runs;
  std::vector<DeviceRun> single;
  for (size_t i = 0; i < devices; ++i) single.push_back(DeviceRun{i, 1, ""});
  return single;
}

// Edges run left to right: GPUs, the intra-node fabric, the CPU, the NICs, the network.
void dotNodeType(const Topology& t, const NodeType& type, size_t k, std::string* out) {
  const Node& node = t.nodes[type.members.front()];
  std::string id = "t" + std::to_string(k);
  *out += "  subgraph cluster_" + id + " {\n";
  *out += "    label=\"" + dotEscape(typeTitle(t, type)) + "\\n" + ranksText(type.ranksEach, type.members.size()) + "\";\n";
  *out += "    style=rounded;\n";
  *out += "    " + id + "_cpu [label=\"CPU\\n" + cpuText(node) + "\", fillcolor=\"#eeeeee\"];\n";
  *out += "    " + id + "_intra [shape=ellipse, label=\"intra-node\\n" + gbpsText(node.intraGbps) + ", " +
          format("%g us", node.intraLatencyUs) + "\"];\n";
  *out += "    " + id + "_intra -- " + id + "_cpu;\n";
  for (const DeviceRun& run : drawnRuns(findGpuRuns(node.gpus), node.gpus.size())) {
    std::string gpu = id + "_gpu" + std::to_string(run.first);
    *out += "    " + gpu + " [label=\"GPU\\n" + dotEscape(gpuText(node.gpus, run)) + "\", fillcolor=\"" +
            vendorColour(node.gpus[run.first].vendor) + "\"];\n";
    *out += "    " + gpu + " -- " + id + "_intra;\n";
  }
  std::string links;
  for (const DeviceRun& run : drawnRuns(findNicRuns(node.nics), node.nics.size())) {
    const Nic& nic = node.nics[run.first];
    std::string name = id + "_nic" + std::to_string(run.first);
    std::string label = run.count > 1 ? std::to_string(run.count) + " × " + nic.name : nic.name;
    *out += "    " + name + " [label=\"" + dotEscape(label) + "\\n" + gbpsText(nic.gbps) + (nic.rdma ? " RDMA" : "") +
            "\", fillcolor=\"#cfe2f3\"];\n";
    *out += "    " + id + "_cpu -- " + name + ";\n";
    links += "  " + name + " -- network [label=\"" + (run.count > 1 ? std::to_string(run.count) + " × " : "") +
             gbpsText(nic.gbps) + "\"];\n";
  }
  *out += "  }\n" + links;
}

}  // namespace

std::string topologyToDot(const Topology& t) {
  std::string out = "// hccl topology: " + counted(t.nodes.size(), "node") + ", " +
                    counted(static_cast<size_t>(t.nranks()), "rank") + " (render: dot -Tsvg)\n";
  out += "graph hccl_topology {\n";
  out += "  graph [fontname=Helvetica, fontsize=11, rankdir=LR, nodesep=0.12];\n";
  out += "  node [fontname=Helvetica, fontsize=10, shape=box, style=\"rounded,filled\", fillcolor=white];\n";
  out += "  edge [fontname=Helvetica, fontsize=9];\n";
  bool anyNic = false;
  for (const Node& n : t.nodes) anyNic = anyNic || !n.nics.empty();
  if (anyNic)
    out += "  network [shape=ellipse, fillcolor=\"#fff2cc\", label=\"network\\n" + format("%g us", t.networkLatencyUs) +
           " per hop\"];\n";
  std::vector<NodeType> types = findNodeTypes(t);
  for (size_t k = 0; k < types.size(); ++k) dotNodeType(t, types[k], k, &out);
  out += "}\n";
  return out;
}

std::string topologyToText(const Topology& t) {
  std::string out = "topology  " + counted(t.nodes.size(), "node") + ", " +
                    counted(static_cast<size_t>(t.nranks()), "rank") + ", network latency " +
                    format("%g us", t.networkLatencyUs);
  if (t.heterogeneousNetwork()) {
    double low = -1, high = 0;
    for (const Node& n : t.nodes) {
      low = low < 0 ? n.networkGbps() : std::min(low, n.networkGbps());
      high = std::max(high, n.networkGbps());
    }
    out += ", heterogeneous network (" + format("%g", low) + " to " + format("%g", high) + " Gb/s per node)";
  }
  out += "\n";
  for (const NodeType& type : findNodeTypes(t)) {
    const Node& node = t.nodes[type.members.front()];
    out += typeTitle(t, type) + ": " + ranksText(type.ranksEach, type.members.size()) + "\n";
    out += "  cpu      " + cpuText(node) + "\n";
    out += "  intra    " + gbpsText(node.intraGbps) + ", " + format("%g us", node.intraLatencyUs) + "\n";
    for (const DeviceRun& run : findGpuRuns(node.gpus)) out += "  gpu      " + gpuText(node.gpus, run) + "\n";
    for (const DeviceRun& run : findNicRuns(node.nics)) out += "  nic      " + nicText(node.nics, run) + "\n";
    if (!node.nics.empty()) out += "  network  " + gbpsText(node.networkGbps()) + " per node\n";
  }
  return out;
}

}  // namespace hccl::topo
