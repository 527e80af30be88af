#include "topology/topology_file.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <unordered_map>

#include "base/error.h"
#include "topology/json.h"

namespace hccl::topo {
namespace {

constexpr int kFormatVersion = 1;
constexpr size_t kMaxFileBytes = size_t{64} << 20;
// A node record is a few hundred bytes per device; 1 MiB is far above any real node.
constexpr size_t kMaxNodeRecordBytes = size_t{1} << 20;
constexpr int kNodeRecordDepth = 8;

// Reads typed, range-checked values out of parsed JSON; every error names where it happened.
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  Status error(const json::Value& at, const std::string& path, const std::string& what) const {
    return errorAt(at.line(), at.column(), path, what);
  }

  Status errorAt(int line, int column, const std::string& path, const std::string& what) const {
    return reject(Status::InvalidArgument, "%s:%d:%d: %s: %s", source_.c_str(), line, column, path.c_str(),
                  what.c_str());
  }

  Status expect(const json::Value& v, json::Type type, const std::string& path) const {
    if (v.is(type)) return Status::Success;
    return error(v, path, std::string("expected ") + json::typeName(type) + ", found " + json::typeName(v.type()));
  }

  // An object whose members are all among `known` (a misspelt key is an error, not a default).
  Status object(const json::Value& v, const std::string& path, std::initializer_list<const char*> known) const {
    HCCL_TRY(expect(v, json::Type::Object, path));
    for (const json::Member& m : v.members()) {
      bool ok = false;
      for (const char* k : known) ok = ok || m.key == k;
      if (ok) continue;
      std::string list;
      for (const char* k : known) list += std::string(list.empty() ? "" : ", ") + k;
      return errorAt(m.line, m.column, path, "unknown member \"" + m.key + "\" (known: " + list + ")");
    }
    return Status::Success;
  }

  // Each reader leaves *out alone when the member is absent, unless it is required.
  Status integer(const json::Value& object, const char* key, const std::string& path, int64_t min, int64_t max,
                 int* out, bool required = false) const {
    const json::Value* v = object.find(key);
    std::string where = path + "." + key;
    if (v == nullptr) return required ? error(object, path, std::string("\"") + key + "\" is required") : Status::Success;
    HCCL_TRY(expect(*v, json::Type::Number, where));
    double d = v->asNumber();
    if (d != std::trunc(d))
      return error(*v, where, "expected a whole number, found " + json::write(*v, false));
    if (d < static_cast<double>(min) || d > static_cast<double>(max))
      return error(*v, where, json::write(*v, false) + " is outside " + std::to_string(min) + ".." + std::to_string(max));
    *out = static_cast<int>(d);
    return Status::Success;
  }

  Status real(const json::Value& object, const char* key, const std::string& path, double max, double* out,
              bool required = false) const {
    const json::Value* v = object.find(key);
    std::string where = path + "." + key;
    if (v == nullptr) return required ? error(object, path, std::string("\"") + key + "\" is required") : Status::Success;
    HCCL_TRY(expect(*v, json::Type::Number, where));
    if (v->asNumber() < 0) return error(*v, where, json::write(*v, false) + " is negative");
    if (v->asNumber() > max) return error(*v, where, json::write(*v, false) + " is above " + json::write(json::Value::number(max), false));
    *out = v->asNumber();
    return Status::Success;
  }

  Status text(const json::Value& object, const char* key, const std::string& path, std::string* out,
              bool required = false) const {
    const json::Value* v = object.find(key);
    std::string where = path + "." + key;
    if (v == nullptr) return required ? error(object, path, std::string("\"") + key + "\" is required") : Status::Success;
    HCCL_TRY(expect(*v, json::Type::String, where));
    *out = v->asString();
    return Status::Success;
  }

  Status boolean(const json::Value& object, const char* key, const std::string& path, bool* out) const {
    const json::Value* v = object.find(key);
    if (v == nullptr) return Status::Success;
    HCCL_TRY(expect(*v, json::Type::Bool, path + "." + key));
    *out = v->asBool();
    return Status::Success;
  }

 private:
  std::string source_;
};

std::string indexed(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

// "gpus" is one entry or a list of entries: {vendor, count?, index?, pci?, numa?}.
Status readGpus(const Reader& r, const json::Value& v, const std::string& path, Node* node) {
  std::vector<const json::Value*> entries;
  if (v.is(json::Type::Object)) entries.push_back(&v);
  else if (v.is(json::Type::Array)) for (const json::Value& e : v.items()) entries.push_back(&e);
  else return r.error(v, path, "expected an object or an array of objects");
  for (size_t i = 0; i < entries.size(); ++i) {
    const json::Value& e = *entries[i];
    std::string where = v.is(json::Type::Array) ? indexed(path, i) : path;
    HCCL_TRY(r.object(e, where, {"vendor", "count", "index", "pci", "numa"}));
    std::string vendorText;
    HCCL_TRY(r.text(e, "vendor", where, &vendorText, true));
    Gpu gpu;
    if (!parseVendor(vendorText, &gpu.vendor))
      return r.error(*e.find("vendor"), where + ".vendor", "unknown vendor \"" + vendorText + "\" (nvidia, amd or cpu)");
    int count = 1;
    HCCL_TRY(r.integer(e, "count", where, 1, kMaxDevicesPerNode, &count));
    if (node->gpus.size() + static_cast<size_t>(count) > static_cast<size_t>(kMaxDevicesPerNode))
      return r.error(e, where, "more than " + std::to_string(kMaxDevicesPerNode) + " GPUs in one node");
    gpu.index = 0;
    for (const Gpu& g : node->gpus) gpu.index += g.vendor == gpu.vendor;
    HCCL_TRY(r.integer(e, "index", where, 0, kMaxDevicesPerNode - 1, &gpu.index));
    HCCL_TRY(r.text(e, "pci", where, &gpu.pciBusId));
    if (count > 1 && !gpu.pciBusId.empty()) return r.error(e, where, "\"pci\" names one GPU; it cannot go with a count");
    HCCL_TRY(r.integer(e, "numa", where, -1, kMaxDevicesPerNode - 1, &gpu.numaNode));
    for (int k = 0; k < count; ++k, ++gpu.index) node->gpus.push_back(gpu);
  }
  return Status::Success;
}

// "nics" is a list of {name, gbps, rdma?, count?, pci?, numa?}; with a count, names are name + 0, 1, ...
Status readNics(const Reader& r, const json::Value& v, const std::string& path, Node* node) {
  HCCL_TRY(r.expect(v, json::Type::Array, path));
  for (size_t i = 0; i < v.items().size(); ++i) {
    const json::Value& e = v.items()[i];
    std::string where = indexed(path, i);
    HCCL_TRY(r.object(e, where, {"name", "gbps", "rdma", "count", "pci", "numa"}));
    Nic nic;
    HCCL_TRY(r.text(e, "name", where, &nic.name, true));
    HCCL_TRY(r.real(e, "gbps", where, kMaxGbps, &nic.gbps, true));
    HCCL_TRY(r.boolean(e, "rdma", where, &nic.rdma));
    HCCL_TRY(r.text(e, "pci", where, &nic.pciBusId));
    HCCL_TRY(r.integer(e, "numa", where, -1, kMaxDevicesPerNode - 1, &nic.numaNode));
    if (e.find("count") == nullptr) {
      if (node->nics.size() >= static_cast<size_t>(kMaxDevicesPerNode))
        return r.error(e, where, "more than " + std::to_string(kMaxDevicesPerNode) + " NICs in one node");
      node->nics.push_back(nic);
      continue;
    }
    int count = 1;
    HCCL_TRY(r.integer(e, "count", where, 1, kMaxDevicesPerNode, &count));
    if (node->nics.size() + static_cast<size_t>(count) > static_cast<size_t>(kMaxDevicesPerNode))
      return r.error(e, where, "more than " + std::to_string(kMaxDevicesPerNode) + " NICs in one node");
    if (!nic.pciBusId.empty()) return r.error(e, where, "\"pci\" names one NIC; it cannot go with a count");
    std::string prefix = nic.name;
    for (int k = 0; k < count; ++k) {
      nic.name = prefix + std::to_string(k);
      node->nics.push_back(nic);
    }
  }
  return Status::Success;
}

// The members of a node object that describe the machine (shared by files and the exchange).
Status readNodeBody(const Reader& r, const json::Value& v, const std::string& path, Node* node) {
  HCCL_TRY(r.text(v, "name", path, &node->name));
  HCCL_TRY(r.integer(v, "cores", path, 0, 1 << 20, &node->cores));
  HCCL_TRY(r.integer(v, "numa", path, 1, kMaxDevicesPerNode, &node->numaNodes));
  if (const json::Value* gpus = v.find("gpus")) HCCL_TRY(readGpus(r, *gpus, path + ".gpus", node));
  if (const json::Value* nics = v.find("nics")) HCCL_TRY(readNics(r, *nics, path + ".nics", node));
  if (const json::Value* intra = v.find("intra")) {
    HCCL_TRY(r.object(*intra, path + ".intra", {"gbps", "latency_us"}));
    HCCL_TRY(r.real(*intra, "gbps", path + ".intra", kMaxGbps, &node->intraGbps));
    HCCL_TRY(r.real(*intra, "latency_us", path + ".intra", kMaxLatencyUs, &node->intraLatencyUs));
  }
  return Status::Success;
}

int defaultRanksPerNode(const Node& node) { return node.gpus.empty() ? 1 : static_cast<int>(node.gpus.size()); }

void placeDefaultRanks(int node, int count, const Node& n, Topology* t) {
  int gpus = static_cast<int>(n.gpus.size());
  for (int j = 0; j < count; ++j) t->ranks.push_back(RankPlace{node, gpus > 0 ? j % gpus : -1});
}

// "ranks": [{"node": index or name, "gpu": index}], gpu absent for a CPU rank.
Status readRanks(const Reader& r, const json::Value& v, Topology* t) {
  HCCL_TRY(r.expect(v, json::Type::Array, "ranks"));
  if (v.items().size() > static_cast<size_t>(kMaxRanks))
    return r.error(v, "ranks", "more than " + std::to_string(kMaxRanks) + " ranks");
  std::unordered_map<std::string, int> byName;  // -1: the name is not unique
  for (size_t i = 0; i < t->nodes.size(); ++i) {
    auto [it, fresh] = byName.emplace(t->nodes[i].name, static_cast<int>(i));
    if (!fresh) it->second = -1;
  }
  for (size_t i = 0; i < v.items().size(); ++i) {
    const json::Value& e = v.items()[i];
    std::string where = indexed("ranks", i);
    HCCL_TRY(r.object(e, where, {"node", "gpu"}));
    const json::Value* nodeRef = e.find("node");
    if (nodeRef == nullptr) return r.error(e, where, "\"node\" is required");
    RankPlace place;
    if (nodeRef->is(json::Type::String)) {
      auto it = byName.find(nodeRef->asString());
      if (it == byName.end()) return r.error(*nodeRef, where + ".node", "no node is named \"" + nodeRef->asString() + "\"");
      if (it->second < 0)
        return r.error(*nodeRef, where + ".node", "several nodes are named \"" + nodeRef->asString() + "\"; use the index");
      place.node = it->second;
    } else {
      HCCL_TRY(r.integer(e, "node", where, 0, static_cast<int64_t>(t->nodes.size()) - 1, &place.node));
    }
    const Node& node = t->nodes[static_cast<size_t>(place.node)];
    if (const json::Value* gpu = e.find("gpu"); gpu != nullptr && node.gpus.empty())
      return r.error(*gpu, where + ".gpu", "node " + std::to_string(place.node) + " (" + node.name + ") has no GPUs");
    HCCL_TRY(r.integer(e, "gpu", where, -1, static_cast<int64_t>(node.gpus.size()) - 1, &place.gpu));
    t->ranks.push_back(place);
  }
  return Status::Success;
}

Status readTopology(const std::string& source, const std::string& text, Topology* out) {
  Reader r(source);
  json::Value doc;
  std::string parseError;
  if (!json::parse(text, &doc, &parseError))
    return reject(Status::InvalidArgument, "%s:%s", source.c_str(), parseError.c_str());
  HCCL_TRY(r.object(doc, "topology", {"hccl_topology", "comment", "network", "nodes", "ranks"}));
  if (const json::Value* version = doc.find("hccl_topology");
      version != nullptr && !(version->is(json::Type::Number) && version->asNumber() == kFormatVersion))
    return r.error(*version, "hccl_topology", "this hccl reads format version " + std::to_string(kFormatVersion));
  Topology t;
  if (const json::Value* net = doc.find("network")) {
    HCCL_TRY(r.object(*net, "network", {"latency_us"}));
    HCCL_TRY(r.real(*net, "latency_us", "network", kMaxLatencyUs, &t.networkLatencyUs));
  }
  const json::Value* nodes = doc.find("nodes");
  if (nodes == nullptr) return r.error(doc, "topology", "\"nodes\" is required");
  HCCL_TRY(r.expect(*nodes, json::Type::Array, "nodes"));
  if (nodes->items().empty()) return r.error(*nodes, "nodes", "a topology needs at least one node");
  const json::Value* explicitRanks = doc.find("ranks");
  for (size_t i = 0; i < nodes->items().size(); ++i) {
    const json::Value& e = nodes->items()[i];
    std::string where = indexed("nodes", i);
    HCCL_TRY(r.object(e, where, {"name", "count", "cores", "numa", "gpus", "nics", "intra", "ranks_per_node", "comment"}));
    Node node;
    node.name = "node" + std::to_string(t.nodes.size());
    HCCL_TRY(readNodeBody(r, e, where, &node));
    int count = 1;
    HCCL_TRY(r.integer(e, "count", where, 1, kMaxNodes, &count));
    if (t.nodes.size() + static_cast<size_t>(count) > static_cast<size_t>(kMaxNodes))
      return r.error(e, where, "more than " + std::to_string(kMaxNodes) + " nodes");
    int perNode = defaultRanksPerNode(node);
    HCCL_TRY(r.integer(e, "ranks_per_node", where, 0, kMaxRanks, &perNode));
    if (explicitRanks != nullptr && e.find("ranks_per_node") != nullptr)
      return r.error(*e.find("ranks_per_node"), where + ".ranks_per_node", "cannot be combined with a \"ranks\" list");
    if (explicitRanks == nullptr &&
        t.ranks.size() + static_cast<size_t>(count) * static_cast<size_t>(perNode) > static_cast<size_t>(kMaxRanks))
      return r.error(e, where, "more than " + std::to_string(kMaxRanks) + " ranks");
    std::string prefix = node.name;
    for (int k = 0; k < count; ++k) {
      if (e.find("count") != nullptr) node.name = prefix + std::to_string(k);
      if (explicitRanks == nullptr) placeDefaultRanks(static_cast<int>(t.nodes.size()), perNode, node, &t);
      t.nodes.push_back(node);
    }
  }
  if (explicitRanks != nullptr) HCCL_TRY(readRanks(r, *explicitRanks, &t));
  if (t.ranks.empty()) return r.error(doc, "topology", "no node holds a rank");
  HCCL_TRY(t.validate());
  *out = std::move(t);
  return Status::Success;
}

// Consecutive devices written as one entry with a count (and, for NICs, a name prefix).
struct DeviceRun {
  size_t first = 0;
  size_t count = 1;
  std::string prefix;
};

// The prefix that name + 0, 1, 2... would expand from, when `name` ends in 0.
bool countPrefix(const std::string& name, std::string* prefix) {
  if (name.empty() || name.back() != '0') return false;
  *prefix = name.substr(0, name.size() - 1);
  return true;
}

std::vector<DeviceRun> findGpuRuns(const std::vector<Gpu>& gpus) {
  std::vector<DeviceRun> runs;
  for (size_t i = 0; i < gpus.size();) {
    const Gpu& a = gpus[i];
    size_t j = i + 1;
    while (a.pciBusId.empty() && j < gpus.size() && gpus[j].vendor == a.vendor && gpus[j].numaNode == a.numaNode &&
           gpus[j].pciBusId.empty() && gpus[j].index == a.index + static_cast<int>(j - i))
      ++j;
    runs.push_back(DeviceRun{i, j - i, ""});
    i = j;
  }
  return runs;
}

std::vector<DeviceRun> findNicRuns(const std::vector<Nic>& nics) {
  std::vector<DeviceRun> runs;
  for (size_t i = 0; i < nics.size();) {
    const Nic& a = nics[i];
    DeviceRun run{i, 1, ""};
    if (a.pciBusId.empty() && countPrefix(a.name, &run.prefix)) {
      for (size_t j = i + 1; j < nics.size(); ++j) {
        const Nic& b = nics[j];
        if (b.name != run.prefix + std::to_string(j - i) || b.gbps != a.gbps || b.rdma != a.rdma ||
            b.numaNode != a.numaNode || !b.pciBusId.empty())
          break;
        ++run.count;
      }
    }
    runs.push_back(run);
    i += run.count;
  }
  return runs;
}

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

json::Value nodeObject(const Node& node, const std::string& name, size_t count, int ranksPerNode) {
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
  if (ranksPerNode >= 0 && ranksPerNode != defaultRanksPerNode(node))
    v.set("ranks_per_node", json::Value::number(ranksPerNode));
  return v;
}

// Everything about a node but its name (and, unless withPci, its PCI ids): nodes with equal
// shapes are written, drawn and described once.
std::string nodeShape(const Node& node, bool withPci) {
  Node shape = node;
  shape.name.clear();
  if (!withPci) {
    for (Gpu& g : shape.gpus) g.pciBusId.clear();
    for (Nic& n : shape.nics) n.pciBusId.clear();
  }
  return json::write(nodeObject(shape, "", 1, -1), false);
}

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

Status loadTopologyFile(const std::string& path, Topology* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return reject(Status::InvalidArgument, "cannot open topology file %s: %s", path.c_str(), strerror(errno));
  std::string text;
  char buffer[65536];
  while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) {
    text.append(buffer, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxFileBytes)
      return reject(Status::InvalidArgument, "topology file %s is larger than %zu bytes", path.c_str(), kMaxFileBytes);
  }
  if (in.bad()) return reject(Status::InvalidArgument, "cannot read topology file %s", path.c_str());
  return readTopology(path, text, out);
}

Status parseTopology(const std::string& jsonText, Topology* out) { return readTopology("topology", jsonText, out); }

std::string topologyToJson(const Topology& t) {
  json::Value doc = json::Value::object();
  doc.set("hccl_topology", json::Value::number(kFormatVersion));
  json::Value& net = doc.set("network", json::Value::object());
  net.set("latency_us", json::Value::number(t.networkLatencyUs));
  std::vector<int> perNode;
  bool implicitRanks = defaultPlacement(t, &perNode);
  json::Value& nodes = doc.set("nodes", json::Value::array());
  for (const NodeRun& run : findNodeRuns(t, implicitRanks ? &perNode : nullptr)) {
    const Node& first = t.nodes[run.first];
    nodes.add(nodeObject(first, run.count > 1 ? run.prefix : first.name, run.count,
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

std::string encodeNode(const Node& node) { return json::write(nodeObject(node, node.name, 1, -1), false); }

Status decodeNode(const std::string& bytes, Node* out) {
  if (bytes.size() > kMaxNodeRecordBytes)
    return reject(Status::RemoteError, "node record of %zu bytes is larger than %zu", bytes.size(), kMaxNodeRecordBytes);
  json::Value v;
  std::string parseError;
  if (!json::parse(bytes, &v, &parseError, kNodeRecordDepth))
    return reject(Status::RemoteError, "node record:%s", parseError.c_str());
  Reader r("node record");
  if (failed(r.object(v, "node", {"name", "cores", "numa", "gpus", "nics", "intra"}))) return Status::RemoteError;
  Node node;
  if (failed(readNodeBody(r, v, "node", &node)) || failed(node.validate())) return Status::RemoteError;
  *out = std::move(node);
  return Status::Success;
}

}  // namespace hccl::topo
