// Status codes used everywhere inside hccl. The C ABI maps them to ncclResult_t in src/api.
#pragma once

namespace hccl {

// 0 success, positive "not finished yet", negative errors grouped by what failed.
enum class Status : int {
  Success = 0,
  InProgress = 1,
  InvalidArgument = -1,  // the caller passed something wrong
  InvalidUsage = -2,     // a valid argument used in a way hccl does not allow (or does not support)
  SystemError = -3,      // an OS call failed locally
  InternalError = -4,    // a bug in hccl
  RemoteError = -5,      // a peer died, misbehaved or timed out
  Aborted = -6,          // the communicator was aborted
};

inline bool failed(Status s) { return static_cast<int>(s) < 0; }

const char* statusName(Status s);

}  // namespace hccl

// Propagate a failure to the caller; the failure was logged where it was first detected.
#define HCCL_TRY(expr)                         \
  do {                                         \
    ::hccl::Status hcclTryStatus_ = (expr);    \
    if (::hccl::failed(hcclTryStatus_)) return hcclTryStatus_; \
  } while (0)
