// The one wrapper every src/api export goes through: nothing thrown crosses the C ABI, every
// internal Status becomes an ncclResult_t, and an error's text is kept for ncclGetLastError.
#pragma once

#include <new>

#include "base/error.h"
#include "core/comm.h"
#include "nccl.h"

namespace hccl {

ncclResult_t toResult(Status s);

// The communicator behind a handle, or null (with the reason recorded) when it is not one.
Communicator* asComm(ncclComm_t comm, Status* why);

template <typename Body>
ncclResult_t guarded(ncclComm_t handle, Body&& body) {
  Status s;
  try {
    clearThreadLastError();
    s = body();
  } catch (const std::bad_alloc&) {
    s = fail(Status::SystemError, "out of host memory");
  } catch (...) {
    s = fail(Status::InternalError, "unexpected internal exception");
  }
  if (failed(s) && handle != nullptr) {
    Status ignored;
    if (Communicator* comm = asComm(handle, &ignored)) comm->setLastError(threadLastError());
  }
  return toResult(s);
}

}  // namespace hccl

// Returns from the enclosing lambda when `handle` is not a live communicator.
#define HCCL_COMM(var, handle)                          \
  ::hccl::Status var##Why_;                              \
  ::hccl::Communicator* var = ::hccl::asComm(handle, &var##Why_); \
  if (var == nullptr) return var##Why_
