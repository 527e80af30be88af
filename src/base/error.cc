#include "base/error.h"

#include <cstdarg>
#include <cstdio>

#include "base/log.h"

namespace hccl {
namespace {

thread_local std::string tLastError;

std::string format(const char* fmt, va_list args) {
  char text[1024];
  vsnprintf(text, sizeof(text), fmt, args);
  return text;
}

}  // namespace

const char* statusName(Status s) {
  switch (s) {
    case Status::Success: return "success";
    case Status::InProgress: return "in progress";
    case Status::InvalidArgument: return "invalid argument";
    case Status::InvalidUsage: return "invalid usage";
    case Status::SystemError: return "system error";
    case Status::InternalError: return "internal error";
    case Status::RemoteError: return "remote error";
    case Status::Aborted: return "aborted";
  }
  return "unknown status";
}

Status fail(Status status, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  tLastError = format(fmt, args);
  va_end(args);
  HCCL_WARN("%s", tLastError.c_str());
  return status;
}

Status reject(Status status, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  tLastError = format(fmt, args);
  va_end(args);
  HCCL_INFO(Call, "%s", tLastError.c_str());
  return status;
}

const std::string& threadLastError() { return tLastError; }
void clearThreadLastError() { tLastError.clear(); }

}  // namespace hccl
