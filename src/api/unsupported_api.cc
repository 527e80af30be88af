// NCCL functions hccl does not support yet. Each returns ncclInvalidUsage and says so in the
// last-error text; the README lists them.
#include "api/export.h"
#include "api/guard.h"

using namespace hccl;

namespace {

ncclResult_t unsupported(ncclComm_t comm, const char* name, const char* why) {
  return guarded(comm, [&] {
    return reject(Status::InvalidUsage, "%s is not supported by hccl yet (%s)", name, why);
  });
}

}  // namespace

NCCL_API ncclResult_t ncclCommWindowRegister(ncclComm_t comm, void*, size_t, ncclWindow_t* win, int) {
  if (win != nullptr) *win = nullptr;
  return unsupported(comm, "ncclCommWindowRegister", "symmetric memory windows");
}
NCCL_PROFILING_ALIAS(ncclCommWindowRegister);

NCCL_API ncclResult_t ncclCommWindowDeregister(ncclComm_t comm, ncclWindow_t) {
  return unsupported(comm, "ncclCommWindowDeregister", "symmetric memory windows");
}
NCCL_PROFILING_ALIAS(ncclCommWindowDeregister);

NCCL_API ncclResult_t ncclCommRevoke(ncclComm_t comm, int) {
  return unsupported(comm, "ncclCommRevoke", "use ncclCommAbort");
}
NCCL_PROFILING_ALIAS(ncclCommRevoke);

NCCL_API ncclResult_t ncclCommShrink(ncclComm_t comm, int*, int, ncclComm_t* newcomm, ncclConfig_t*, int) {
  if (newcomm != nullptr) *newcomm = nullptr;
  return unsupported(comm, "ncclCommShrink", "use ncclCommSplit with NCCL_SPLIT_NOCOLOR on the excluded ranks");
}
NCCL_PROFILING_ALIAS(ncclCommShrink);

NCCL_API ncclResult_t ncclDevCommCreate(ncclComm_t comm, ncclDevCommRequirements_t const*, ncclDevComm_t*) {
  return unsupported(comm, "ncclDevCommCreate", "device communicators need a GPU backend with symmetric memory");
}
NCCL_PROFILING_ALIAS(ncclDevCommCreate);

NCCL_API ncclResult_t ncclDevCommDestroy(ncclComm_t comm, ncclDevComm_t const*) {
  return unsupported(comm, "ncclDevCommDestroy", "device communicators need a GPU backend with symmetric memory");
}
NCCL_PROFILING_ALIAS(ncclDevCommDestroy);

NCCL_API ncclResult_t ncclLsaBarrierCreateRequirement(ncclTeam_t, int, ncclLsaBarrierHandle_t*,
                                                      ncclDevResourceRequirements_t*) {
  return unsupported(nullptr, "ncclLsaBarrierCreateRequirement", "device communicators");
}
NCCL_PROFILING_ALIAS(ncclLsaBarrierCreateRequirement);

NCCL_API ncclResult_t ncclGinBarrierCreateRequirement(ncclComm_t comm, ncclTeam_t, int, ncclGinBarrierHandle_t*,
                                                      ncclDevResourceRequirements_t*) {
  return unsupported(comm, "ncclGinBarrierCreateRequirement", "device communicators");
}
NCCL_PROFILING_ALIAS(ncclGinBarrierCreateRequirement);

NCCL_API ncclResult_t ncclLLA2ACreateRequirement(int, int, ncclLLA2AHandle_t*, ncclDevResourceRequirements_t*) {
  return unsupported(nullptr, "ncclLLA2ACreateRequirement", "device communicators");
}
NCCL_PROFILING_ALIAS(ncclLLA2ACreateRequirement);

// Returns a count, not a result: 0 slots (and a last-error text) since nothing can use them.
NCCL_API int ncclLLA2ACalcSlots(int, int) {
  unsupported(nullptr, "ncclLLA2ACalcSlots", "device communicators");
  return 0;
}
NCCL_PROFILING_ALIAS(ncclLLA2ACalcSlots);
