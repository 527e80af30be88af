#include "topology/json_reader.h"

#include <cmath>

#include "base/error.h"

namespace hccl::topo {

Status Reader::error(const json::Value& at, const std::string& path, const std::string& what) const {
  return errorAt(at.line(), at.column(), path, what);
}

Status Reader::errorAt(int line, int column, const std::string& path, const std::string& what) const {
  return reject(Status::InvalidArgument, "%s:%d:%d: %s: %s", source_.c_str(), line, column, path.c_str(),
                what.c_str());
}

Status Reader::expect(const json::Value& v, json::Type type, const std::string& path) const {
  if (v.is(type)) return Status::Success;
  return error(v, path, std::string("expected ") + json::typeName(type) + ", found " + json::typeName(v.type()));
}

Status Reader::object(const json::Value& v, const std::string& path, std::initializer_list<const char*> known) const {
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

Status Reader::member(const json::Value& object, const char* key, const std::string& path, json::Type type,
                      bool required, const json::Value** v) const {
  *v = object.find(key);
  if (*v == nullptr) return required ? error(object, path, std::string("\"") + key + "\" is required") : Status::Success;
  return expect(**v, type, path + "." + key);
}

Status Reader::integer(const json::Value& object, const char* key, const std::string& path, int64_t min, int64_t max,
                       int* out, bool required) const {
  const json::Value* v = nullptr;
  HCCL_TRY(member(object, key, path, json::Type::Number, required, &v));
  if (v == nullptr) return Status::Success;
  const std::string where = path + "." + key;
  const double d = v->asNumber();
  if (d != std::trunc(d)) return error(*v, where, "expected a whole number, found " + json::write(*v, false));
  if (d < static_cast<double>(min) || d > static_cast<double>(max))
    return error(*v, where, json::write(*v, false) + " is outside " + std::to_string(min) + ".." + std::to_string(max));
  *out = static_cast<int>(d);
  return Status::Success;
}

Status Reader::real(const json::Value& object, const char* key, const std::string& path, double max, double* out,
                    bool required) const {
  const json::Value* v = nullptr;
  HCCL_TRY(member(object, key, path, json::Type::Number, required, &v));
  if (v == nullptr) return Status::Success;
  const std::string where = path + "." + key;
  if (v->asNumber() < 0) return error(*v, where, json::write(*v, false) + " is negative");
  if (v->asNumber() > max)
    return error(*v, where, json::write(*v, false) + " is above " + json::write(json::Value::number(max), false));
  *out = v->asNumber();
  return Status::Success;
}

Status Reader::text(const json::Value& object, const char* key, const std::string& path, std::string* out,
                    bool required) const {
  const json::Value* v = nullptr;
  HCCL_TRY(member(object, key, path, json::Type::String, required, &v));
  if (v != nullptr) *out = v->asString();
  return Status::Success;
}

Status Reader::boolean(const json::Value& object, const char* key, const std::string& path, bool* out) const {
  const json::Value* v = nullptr;
  HCCL_TRY(member(object, key, path, json::Type::Bool, false, &v));
  if (v != nullptr) *out = v->asBool();
  return Status::Success;
}

std::string indexed(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

namespace {

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

}  // namespace

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

}  // namespace hccl::topo
