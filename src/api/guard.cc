#include "api/guard.h"

namespace hccl {

ncclResult_t toResult(Status s) {
  switch (s) {
    case Status::Success: return ncclSuccess;
    case Status::InProgress: return ncclInProgress;
    case Status::InvalidArgument: return ncclInvalidArgument;
    case Status::InvalidUsage: return ncclInvalidUsage;
    case Status::SystemError: return ncclSystemError;
    case Status::InternalError: return ncclInternalError;
    case Status::RemoteError: return ncclRemoteError;
    case Status::Aborted: return ncclInvalidUsage;
  }
  return ncclInternalError;
}

Communicator* asComm(ncclComm_t handle, Status* why) {
  if (handle == nullptr) {
    *why = reject(Status::InvalidArgument, "the communicator argument is NULL");
    return nullptr;
  }
  auto* comm = reinterpret_cast<Communicator*>(handle);
  if (!comm->valid()) {
    *why = reject(Status::InvalidArgument, "the communicator argument is not a live communicator");
    return nullptr;
  }
  return comm;
}

}  // namespace hccl
