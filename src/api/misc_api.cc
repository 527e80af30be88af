// Version, errors, logging, memory, registration and user reduction operators.
#include <cstring>

#include "api/export.h"
#include "api/guard.h"
#include "backends/loader.h"
#include "base/log.h"
#include "core/config.h"

using namespace hccl;

namespace {

// A registration handle: hccl reads host memory in place, so it only remembers the range.
struct Registration {
  void* buffer;
  size_t bytes;
};

}  // namespace

NCCL_API ncclResult_t ncclGetVersion(int* version) {
  return guarded(nullptr, [&] {
    if (version == nullptr) return reject(Status::InvalidArgument, "ncclGetVersion: version is NULL");
    *version = HCCL_NCCL_VERSION_CODE;
    return Status::Success;
  });
}
NCCL_PROFILING_ALIAS(ncclGetVersion);

NCCL_API const char* ncclGetErrorString(ncclResult_t result) {
  switch (result) {
    case ncclSuccess: return "no error";
    case ncclUnhandledCudaError: return "unhandled cuda error (run with NCCL_DEBUG=INFO for details)";
    case ncclSystemError: return "unhandled system error (run with NCCL_DEBUG=INFO for details)";
    case ncclInternalError: return "internal error - please report this issue to the hccl developers";
    case ncclInvalidArgument: return "invalid argument (run with NCCL_DEBUG=WARN for details)";
    case ncclInvalidUsage: return "invalid usage (run with NCCL_DEBUG=WARN for details)";
    case ncclRemoteError: return "remote process exited or there was a network error";
    case ncclInProgress: return "NCCL operation in progress";
    default: return "unknown result code";
  }
}
NCCL_PROFILING_ALIAS(ncclGetErrorString);

NCCL_API const char* ncclGetLastError(ncclComm_t comm) {
  // Per thread; the copy a communicator keeps wins when one is named.
  static thread_local std::string text;
  text = threadLastError();
  if (comm != nullptr) {
    auto* c = reinterpret_cast<Communicator*>(comm);
    if (c->valid() && !c->lastError().empty()) text = c->lastError();
  }
  return text.c_str();
}
NCCL_PROFILING_ALIAS(ncclGetLastError);

NCCL_API void ncclResetDebugInit() { logReset(); }
NCCL_PROFILING_ALIAS(ncclResetDebugInit);
NCCL_API void ncclResetDebugInitInternal() { logReset(); }

NCCL_API const char* hcclGetVersionString() { return "hccl " HCCL_VERSION_STRING; }

NCCL_API ncclResult_t ncclMemAlloc(void** ptr, size_t size) {
  return guarded(nullptr, [&] {
    if (ptr == nullptr) return reject(Status::InvalidArgument, "ncclMemAlloc: ptr is NULL");
    if (size == 0) return reject(Status::InvalidArgument, "ncclMemAlloc: size is 0");
    return backendForMemory(backendChoiceFromEnvironment()).allocate(ptr, size);
  });
}
NCCL_PROFILING_ALIAS(ncclMemAlloc);

NCCL_API ncclResult_t ncclMemFree(void* ptr) {
  return guarded(nullptr, [&] {
    if (ptr == nullptr) return reject(Status::InvalidArgument, "ncclMemFree: ptr is NULL");
    return backendOwning(backendChoiceFromEnvironment(), ptr).release(ptr);
  });
}
NCCL_PROFILING_ALIAS(ncclMemFree);

NCCL_API ncclResult_t ncclCommRegister(const ncclComm_t comm, void* buff, size_t size, void** handle) {
  return guarded(comm, [&] {
    HCCL_COMM(c, comm);
    if (buff == nullptr || size == 0 || handle == nullptr)
      return reject(Status::InvalidArgument, "ncclCommRegister: buff, size and handle must be set");
    auto* registration = new Registration{buff, size};
    c->addRegistration(registration);
    *handle = registration;
    return Status::Success;
  });
}
NCCL_PROFILING_ALIAS(ncclCommRegister);

NCCL_API ncclResult_t ncclCommDeregister(const ncclComm_t comm, void* handle) {
  return guarded(comm, [&] {
    HCCL_COMM(c, comm);
    if (handle == nullptr || !c->removeRegistration(handle))
      return reject(Status::InvalidArgument, "ncclCommDeregister: handle was not registered on this communicator");
    delete static_cast<Registration*>(handle);
    return Status::Success;
  });
}
NCCL_PROFILING_ALIAS(ncclCommDeregister);

NCCL_API ncclResult_t ncclRedOpCreatePreMulSum(ncclRedOp_t* op, void* scalar, ncclDataType_t datatype,
                                               ncclScalarResidence_t residence, ncclComm_t comm) {
  return guarded(comm, [&] {
    HCCL_COMM(c, comm);
    if (op == nullptr || scalar == nullptr)
      return reject(Status::InvalidArgument, "ncclRedOpCreatePreMulSum: op and scalar must not be NULL");
    if (static_cast<int>(datatype) < 0 || static_cast<int>(datatype) >= kNumDataTypes)
      return reject(Status::InvalidArgument, "ncclRedOpCreatePreMulSum: invalid datatype %d", static_cast<int>(datatype));
    if (residence != ncclScalarDevice && residence != ncclScalarHostImmediate)
      return reject(Status::InvalidArgument, "ncclRedOpCreatePreMulSum: invalid residence %d", static_cast<int>(residence));
    int id = 0;
    HCCL_TRY(c->createPreMulSum(&id, static_cast<DataType>(datatype), scalar, residence == ncclScalarHostImmediate));
    *op = static_cast<ncclRedOp_t>(id);
    return Status::Success;
  });
}
NCCL_PROFILING_ALIAS(ncclRedOpCreatePreMulSum);

NCCL_API ncclResult_t ncclRedOpDestroy(ncclRedOp_t op, ncclComm_t comm) {
  return guarded(comm, [&] {
    HCCL_COMM(c, comm);
    return c->destroyRedOp(static_cast<int>(op));
  });
}
NCCL_PROFILING_ALIAS(ncclRedOpDestroy);
