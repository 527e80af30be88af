#include "topology/node_record.h"

#include "base/error.h"
#include "topology/json_reader.h"
#include "topology/topology_writer.h"

namespace hccl::topo {
namespace {

// A node record is a few hundred bytes per device; 1 MiB is far above any real node.
constexpr size_t kMaxNodeRecordBytes = size_t{1} << 20;
constexpr int kNodeRecordDepth = 8;

}  // namespace

std::string encodeNode(const Node& node) { return json::write(nodeJson(node, node.name, 1, -1), false); }

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
