#include "base/params.h"

#include <cstdlib>
#include <cstring>
#include <mutex>

#include "base/log.h"

extern char** environ;

namespace hccl {
namespace {

std::vector<const ParamInfo*>& registry() {
  static std::vector<const ParamInfo*> params;
  return params;
}

}  // namespace

const std::vector<const ParamInfo*>& allParams() { return registry(); }

void registerParam(const ParamInfo* info) { registry().push_back(info); }

const char* rawParam(const ParamInfo& info) {
  std::string name = std::string("HCCL_") + info.name;
  if (const char* v = std::getenv(name.c_str())) return v;
  if (!info.ncclAlias) return nullptr;
  name = std::string("NCCL_") + info.name;
  return std::getenv(name.c_str());
}

void warnUnknownParams() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (char** env = environ; *env != nullptr; ++env) {
      if (strncmp(*env, "HCCL_", 5) != 0) continue;
      const char* name = *env + 5;
      size_t length = strcspn(name, "=");
      // Read by launchers (hccl-perf), not by the library.
      static const char* kLauncherNames[] = {"RANK", "NRANKS", "ID_FILE"};
      bool known = false;
      for (const char* l : kLauncherNames)
        known = known || (strlen(l) == length && strncmp(l, name, length) == 0);
      for (const ParamInfo* p : registry())
        known = known || (strlen(p->name) == length && strncmp(p->name, name, length) == 0);
      if (!known) HCCL_WARN("unknown setting %.*s is ignored (hccl-info --params lists them)",
                            static_cast<int>(length + 5), *env);
    }
  });
}

bool parseSize(const char* text, int64_t* out) {
  if (text == nullptr || *text == '\0') return false;
  char* end = nullptr;
  long long value = std::strtoll(text, &end, 0);
  int64_t scale = 1;
  switch (*end) {
    case 'k': case 'K': scale = int64_t{1} << 10; ++end; break;
    case 'm': case 'M': scale = int64_t{1} << 20; ++end; break;
    case 'g': case 'G': scale = int64_t{1} << 30; ++end; break;
    default: break;
  }
  if (*end != '\0') return false;
  *out = static_cast<int64_t>(value) * scale;
  return true;
}

IntParam::IntParam(const char* name, int64_t defaultValue, const char* description, bool ncclAlias)
    : default_(defaultValue), defaultText_(std::to_string(defaultValue)) {
  info_ = ParamInfo{name, defaultText_.c_str(), description, ncclAlias};
  registerParam(&info_);
}

int64_t IntParam::get() const {
  // A value that does not parse keeps the default.
  int64_t value = default_;
  parseSize(rawParam(info_), &value);
  return value;
}

StringParam::StringParam(const char* name, const char* defaultValue, const char* description,
                         bool ncclAlias)
    : info_{name, defaultValue, description, ncclAlias} {
  registerParam(&info_);
}

std::string StringParam::get() const {
  const char* v = rawParam(info_);
  return v ? std::string(v) : std::string(info_.defaultText ? info_.defaultText : "");
}

}  // namespace hccl
