// The single registry of hccl's environment settings. Each setting is declared once, with a
// default and a one-line description: the library's in core/config.cc, which reads them into a
// Config, and logging's in base/log.cc. HCCL_<NAME> wins over NCCL_<NAME>.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hccl {

struct ParamInfo {
  const char* name;         // without prefix: "BUFFSIZE" reads HCCL_BUFFSIZE, then NCCL_BUFFSIZE
  const char* defaultText;  // printed by hccl-info --params
  const char* description;
  bool ncclAlias;           // whether NCCL_<name> is honoured too
};

// Every declared parameter, for listing.
const std::vector<const ParamInfo*>& allParams();
void registerParam(const ParamInfo* info);

// Raw lookup: the value of HCCL_<name>, else NCCL_<name> (when ncclAlias), else nullptr.
const char* rawParam(const ParamInfo& info);

class IntParam {
 public:
  IntParam(const char* name, int64_t defaultValue, const char* description, bool ncclAlias = true);
  // Reads the environment (core/config.cc reads it into a Config).
  int64_t get() const;

 private:
  ParamInfo info_;
  int64_t default_;
  std::string defaultText_;
};

class StringParam {
 public:
  StringParam(const char* name, const char* defaultValue, const char* description, bool ncclAlias = true);
  // Reads the environment; the default when unset.
  std::string get() const;

 private:
  ParamInfo info_;
};

// Warns once about HCCL_* variables in the environment that no parameter declares (typos).
void warnUnknownParams();

// Parses "4M", "512K", "1G", "123" into bytes; returns false on garbage.
bool parseSize(const char* text, int64_t* out);

}  // namespace hccl
