// Reading topology JSON into the cluster graph, value by value: typed, range-checked, and every
// error naming the source, line, column and path of the bad value (as the thread's last error).
// Shared by topology files and the node records ranks exchange at init.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>

#include "base/status.h"
#include "topology/json.h"
#include "topology/topology.h"

namespace hccl::topo {

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  Status error(const json::Value& at, const std::string& path, const std::string& what) const;
  Status errorAt(int line, int column, const std::string& path, const std::string& what) const;
  Status expect(const json::Value& v, json::Type type, const std::string& path) const;
  // An object whose members are all among `known` (a misspelt key is an error, not a default).
  Status object(const json::Value& v, const std::string& path, std::initializer_list<const char*> known) const;

  // Each reader leaves *out alone when the member is absent, unless it is required.
  Status integer(const json::Value& object, const char* key, const std::string& path, int64_t min, int64_t max,
                 int* out, bool required = false) const;
  // A number in [0, max].
  Status real(const json::Value& object, const char* key, const std::string& path, double max, double* out,
              bool required = false) const;
  Status text(const json::Value& object, const char* key, const std::string& path, std::string* out,
              bool required = false) const;
  Status boolean(const json::Value& object, const char* key, const std::string& path, bool* out) const;

 private:
  // The member `key` of `object`: Success with *v == nullptr when it is absent and optional.
  Status member(const json::Value& object, const char* key, const std::string& path, json::Type type,
                bool required, const json::Value** v) const;

  std::string source_;
};

// "path[i]", for error paths.
std::string indexed(const std::string& path, size_t i);

// The members of a node object that describe the machine: name, cores, numa, gpus, nics, intra.
Status readNodeBody(const Reader& r, const json::Value& v, const std::string& path, Node* node);

}  // namespace hccl::topo
