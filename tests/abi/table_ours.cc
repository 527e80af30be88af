// Fills the ABI table from hccl's nccl.h, compiled as C++; also checks at compile time that
// every pncclX has exactly the type of its ncclX.
#include <nccl.h>

#include <type_traits>

#include "abi_fill.h"

#if !defined(HCCL_H_)
#error "table_ours.cc must see hccl's nccl.h"
#endif

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#define ABI_TWIN(name)                                                           \
  static_assert(std::is_same<decltype(&nccl##name), decltype(&pnccl##name)>::value, \
                "pnccl" #name " and nccl" #name " differ");

ABI_TWIN(MemAlloc)
ABI_TWIN(MemFree)
ABI_TWIN(GetVersion)
ABI_TWIN(GetUniqueId)
ABI_TWIN(CommInitRankConfig)
ABI_TWIN(CommInitRank)
ABI_TWIN(CommInitAll)
ABI_TWIN(CommFinalize)
ABI_TWIN(CommDestroy)
ABI_TWIN(CommAbort)
ABI_TWIN(CommRevoke)
ABI_TWIN(CommSplit)
ABI_TWIN(CommShrink)
ABI_TWIN(CommInitRankScalable)
ABI_TWIN(GetErrorString)
ABI_TWIN(GetLastError)
ABI_TWIN(ResetDebugInit)
ABI_TWIN(CommGetAsyncError)
ABI_TWIN(CommCount)
ABI_TWIN(CommCuDevice)
ABI_TWIN(CommUserRank)
ABI_TWIN(CommRegister)
ABI_TWIN(CommDeregister)
ABI_TWIN(CommWindowRegister)
ABI_TWIN(CommWindowDeregister)
ABI_TWIN(RedOpCreatePreMulSum)
ABI_TWIN(RedOpDestroy)
ABI_TWIN(Reduce)
ABI_TWIN(Bcast)
ABI_TWIN(Broadcast)
ABI_TWIN(AllReduce)
ABI_TWIN(ReduceScatter)
ABI_TWIN(AllGather)
ABI_TWIN(AlltoAll)
ABI_TWIN(Gather)
ABI_TWIN(Scatter)
ABI_TWIN(Send)
ABI_TWIN(Recv)
ABI_TWIN(GroupStart)
ABI_TWIN(GroupEnd)
ABI_TWIN(GroupSimulateEnd)
ABI_TWIN(DevCommCreate)
ABI_TWIN(DevCommDestroy)
ABI_TWIN(TeamWorld)
ABI_TWIN(TeamLsa)
ABI_TWIN(TeamRail)
ABI_TWIN(TeamRankToWorld)
ABI_TWIN(TeamRankToLsa)
ABI_TWIN(LsaBarrierCreateRequirement)
ABI_TWIN(GinBarrierCreateRequirement)
ABI_TWIN(LLA2ACalcSlots)
ABI_TWIN(LLA2ACreateRequirement)

// Exported by NCCL without a twin and declared in none of its headers; its definition there
// is `extern "C" void ncclResetDebugInitInternal()`.
static_assert(std::is_same<decltype(&ncclResetDebugInitInternal), void (*)()>::value,
              "ncclResetDebugInitInternal must be void(void)");
static_assert(std::is_same<decltype(&hcclGetVersionString), const char* (*)()>::value,
              "hcclGetVersionString must be const char*(void)");

// Self-consistency of our own header, whatever the reference.
static_assert(NCCL_VERSION_CODE == NCCL_VERSION(NCCL_MAJOR, NCCL_MINOR, NCCL_PATCH),
              "NCCL_VERSION_CODE disagrees with NCCL_MAJOR/MINOR/PATCH");
static_assert(sizeof(ncclRedOp_t) == sizeof(ncclRedOp_dummy_t), "ncclRedOp_t grew");

extern "C" void abiFillOursCxx(AbiTable* table) {
  table->count = 0;
  table->overflow = 0;
  ncclConfig_t cfg = NCCL_CONFIG_INITIALIZER;
  ncclSimInfo_t sim = NCCL_SIM_INFO_INITIALIZER;
#include "abi_items.inc"
}
