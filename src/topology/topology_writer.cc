#include "topology/topology_writer.h"

#include "topology/device_runs.h"

namespace hccl::topo {
namespace {

// Ranks per node when the placement is the one a file gets without a "ranks" list: node-major,
// ranks of a node in order, each on GPU (j mod GPUs) or the CPU when the node has no GPU.
bool defaultPlacement(const Topology& t, std::vector<int>* perNode) {
  perNode->assign(t.nodes.size(), 0);
  int lastNode = 0;
  for (const RankPlace& p : t.ranks) {
    if (p.node < lastNode || p.node >= static_cast<int>(t.nodes.size())) return false;
    lastNode = p.node;
    int j = (*perNode)[static_cast<size_t>(p.node)]++;
    int gpus = static_cast<int>(t.nodes[static_cast<size_t>(p.node)].gpus.size());
    if (p.gpu != (gpus > 0 ? j % gpus : -1)) return false;
  }
  return true;
}

json::Value gpuEntry(const std::vector<Gpu>& gpus, const DeviceRun& run) {
  const Gpu& g = gpus[run.first];
  json::Value e = json::Value::object();
  e.set("vendor", json::Value::string(vendorName(g.vendor)));
  if (run.count > 1) e.set("count", json::Value::number(static_cast<double>(run.count)));
  int defaultIndex = 0;
  for (size_t i = 0; i < run.first; ++i) defaultIndex += gpus[i].vendor == g.vendor;
  if (g.index != defaultIndex) e.set("index", json::Value::number(g.index));
  if (!g.pciBusId.empty()) e.set("pci", json::Value::string(g.pciBusId));
  if (g.numaNode != -1) e.set("numa", json::Value::number(g.numaNode));
  return e;
}

json::Value nicEntry(const std::vector<Nic>& nics, const DeviceRun& run) {
  const Nic& n = nics[run.first];
  json::Value e = json::Value::object();
  e.set("name", json::Value::string(run.count > 1 ? run.prefix : n.name));
  if (run.count > 1) e.set("count", json::Value::number(static_cast<double>(run.count)));
  e.set("gbps", json::Value::number(n.gbps));
  if (n.rdma) e.set("rdma", json::Value::boolean(true));
  if (!n.pciBusId.empty()) e.set("pci", json::Value::string(n.pciBusId));
  if (n.numaNode != -1) e.set("numa", json::Value::number(n.numaNode));
  return e;
}

}  // namespace

json::Value nodeJson(const Node& node, const std::string& name, size_t count, int ranksPerNode) {
  json::Value v = json::Value::object();
  v.set("name", json::Value::string(name));
  if (count > 1) v.set("count", json::Value::number(static_cast<double>(count)));
  v.set("cores", json::Value::number(node.cores));
  v.set("numa", json::Value::number(node.numaNodes));
  std::vector<DeviceRun> gpuRuns = findGpuRuns(node.gpus);
  if (gpuRuns.size() == 1) {
    v.set("gpus", gpuEntry(node.gpus, gpuRuns[0]));
  } else if (!gpuRuns.empty()) {
    json::Value& list = v.set("gpus", json::Value::array());
    for (const DeviceRun& run : gpuRuns) list.add(gpuEntry(node.gpus, run));
  }
  if (!node.nics.empty()) {
    json::Value& list = v.set("nics", json::Value::array());
    for (const DeviceRun& run : findNicRuns(node.nics)) list.add(nicEntry(node.nics, run));
  }
  json::Value& intra = v.set("intra", json::Value::object());
  intra.set("gbps", json::Value::number(node.intraGbps));
  intra.set("latency_us", json::Value::number(node.intraLatencyUs));
  if (ranksPerNode >= 0 && ranksPerNode != node.defaultRanks())
    v.set("ranks_per_node", json::Value::number(ranksPerNode));
  return v;
}

std::string nodeShape(const Node& node, bool withPci) {
  Node shape = node;
  shape.name.clear();
  if (!withPci) {
    for (Gpu& g : shape.gpus) g.pciBusId.clear();
    for (Nic& n : shape.nics) n.pciBusId.clear();
  }
  return json::write(nodeJson(shape, "", 1, -1), false);
}

namespace {

// Consecutive nodes of one shape named prefix + 0, 1, ... (with equal rank counts when given).
struct NodeRun {
  size_t first = 0;
  size_t count = 1;
  std::string prefix;
};

std::vector<NodeRun> findNodeRuns(const Topology& t, const std::vector<int>* perNode) {
  std::vector<std::string> shapes;
  for (const Node& n : t.nodes) shapes.push_back(nodeShape(n, true));
  std::vector<NodeRun> runs;
  for (size_t i = 0; i < t.nodes.size();) {
    NodeRun run{i, 1, ""};
    if (countPrefix(t.nodes[i].name, &run.prefix)) {
      for (size_t j = i + 1; j < t.nodes.size(); ++j) {
        if (shapes[j] != shapes[i] || t.nodes[j].name != run.prefix + std::to_string(j - i) ||
            (perNode != nullptr && (*perNode)[j] != (*perNode)[i]))
          break;
        ++run.count;
      }
    }
    runs.push_back(run);
    i += run.count;
  }
  return runs;
}
}  // namespace

std::string topologyToJson(const Topology& t) {
  json::Value doc = json::Value::object();
  doc.set("hccl_topology", json::Value::number(kTopologyFormatVersion));
  json::Value& net = doc.set("network", json::Value::object());
  net.set("latency_us", json::Value::number(t.networkLatencyUs));
  std::vector<int> perNode;
  bool implicitRanks = defaultPlacement(t, &perNode);
  json::Value& nodes = doc.set("nodes", json::Value::array());
  for (const NodeRun& run : findNodeRuns(t, implicitRanks ? &perNode : nullptr)) {
    const Node& first = t.nodes[run.first];
    nodes.add(nodeJson(first, run.count > 1 ? run.prefix : first.name, run.count,
                         implicitRanks ? perNode[run.first] : -1));
  }
  if (!implicitRanks) {
    json::Value& ranks = doc.set("ranks", json::Value::array());
    for (const RankPlace& p : t.ranks) {
      json::Value& e = ranks.add(json::Value::object());
      e.set("node", json::Value::number(p.node));
      if (p.gpu >= 0) e.set("gpu", json::Value::number(p.gpu));
    }
  }
  return json::write(doc, true);
}

}  // namespace hccl::topo
