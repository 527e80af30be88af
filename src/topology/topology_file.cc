#include "topology/topology_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <unordered_map>

#include "base/error.h"
#include "topology/json_reader.h"
#include "topology/topology_writer.h"

namespace hccl::topo {
namespace {

constexpr size_t kMaxFileBytes = size_t{64} << 20;

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
      version != nullptr && !(version->is(json::Type::Number) && version->asNumber() == kTopologyFormatVersion))
    return r.error(*version, "hccl_topology", "this hccl reads format version " + std::to_string(kTopologyFormatVersion));
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
    int perNode = node.defaultRanks();
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

}  // namespace hccl::topo
