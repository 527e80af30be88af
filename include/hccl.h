/*
 * hccl.h: the public C API of hccl.
 *
 * hccl's libnccl.so.2 is a drop-in replacement for NCCL 2.28.9. This header declares that ABI
 * (types, enum values, ncclConfig_t, every exported ncclX and its pncclX profiling twin) so
 * that code written for NCCL compiles against it unchanged, plus hccl's own additions, which
 * are prefixed hccl. It includes no vendor header and compiles as C11 and as C++.
 */
#ifndef HCCL_H_
#define HCCL_H_

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#if !defined(__cplusplus)
#include <stdbool.h>
#endif

/* ---- Version ---------------------------------------------------------------------------- */

/* The NCCL release whose ABI hccl implements (hcclGetVersionString gives hccl's own). */
#define NCCL_MAJOR 2
#define NCCL_MINOR 28
#define NCCL_PATCH 9
#define NCCL_SUFFIX ""

#define NCCL_VERSION_CODE 22809
/* Releases up to 2.8 used a 4-digit code (X*1000 + Y*100 + Z), later ones X*10000 + Y*100 + Z. */
#define NCCL_VERSION(X, Y, Z) \
  (((X) <= 2 && (Y) <= 8) ? (X) * 1000 + (Y) * 100 + (Z) : (X) * 10000 + (Y) * 100 + (Z))

/* CUDA's stream handle, spelled exactly as the CUDA runtime spells it, so that including
 * cuda_runtime.h before or after this header is a harmless repeat of the same typedef.
 * Host-backend ranks ignore the stream (pass NULL). */
typedef struct CUstream_st* cudaStream_t;

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Handles and the unique id ----------------------------------------------------------- */

typedef struct ncclComm* ncclComm_t;            /* a communicator; opaque */
typedef struct ncclWindow_vidmem* ncclWindow_t; /* a registered memory window; opaque */
#define NCCL_COMM_NULL NULL

#define NCCL_UNIQUE_ID_BYTES 128
/* Made by one rank (ncclGetUniqueId) and handed to all others out of band. */
typedef struct {
  char internal[NCCL_UNIQUE_ID_BYTES];
} ncclUniqueId;

/* ---- Result codes ------------------------------------------------------------------------ */

typedef enum {
  ncclSuccess = 0,
  ncclUnhandledCudaError = 1, /* a device runtime call failed */
  ncclSystemError = 2,        /* an OS call or the network failed */
  ncclInternalError = 3,
  ncclInvalidArgument = 4,
  ncclInvalidUsage = 5,       /* includes calls hccl does not support yet */
  ncclRemoteError = 6,        /* a peer failed or went away */
  ncclInProgress = 7,         /* nonblocking communicator: not finished yet */
  ncclNumResults = 8
} ncclResult_t;

/* ---- Constants --------------------------------------------------------------------------- */

#define NCCL_CONFIG_UNDEF_INT INT_MIN
#define NCCL_CONFIG_UNDEF_PTR NULL
#define NCCL_SPLIT_NOCOLOR -1
#define NCCL_UNDEF_FLOAT -1.0f

/* winFlags of ncclCommWindowRegister */
#define NCCL_WIN_DEFAULT 0x00
#define NCCL_WIN_COLL_SYMMETRIC 0x01
#define NCCL_WIN_REQUIRED_ALIGNMENT 4096

/* values of ncclConfig_t.CTAPolicy */
#define NCCL_CTA_POLICY_DEFAULT 0x00
#define NCCL_CTA_POLICY_EFFICIENCY 0x01
#define NCCL_CTA_POLICY_ZERO 0x02

/* shrinkFlags of ncclCommShrink */
#define NCCL_SHRINK_DEFAULT 0x00 /* wait for the parent's pending work, then shrink */
#define NCCL_SHRINK_ABORT 0x01   /* abort the parent's pending work first */

/* revokeFlags of ncclCommRevoke; no other value is defined */
#define NCCL_REVOKE_DEFAULT 0x00

/* ---- Communicator configuration ---------------------------------------------------------- */

/* Start every ncclConfig_t from NCCL_CONFIG_INITIALIZER. The library reads size, magic and
 * version to tell which fields the caller's (possibly older, smaller) struct has. Fields left
 * at NCCL_CONFIG_UNDEF_* take the library default. */
typedef struct ncclConfig_v22800 {
  size_t size;
  unsigned int magic;
  unsigned int version;
  int blocking;       /* 0: calls may return ncclInProgress */
  int cgaClusterSize;
  int minCTAs;
  int maxCTAs;
  const char* netName;
  int splitShare;
  int trafficClass;
  const char* commName;
  int collnetEnable;
  int CTAPolicy;      /* NCCL_CTA_POLICY_* */
  int shrinkShare;
  int nvlsCTAs;
  int nChannelsPerNetPeer;
  int nvlinkCentricSched;
} ncclConfig_t;

#define NCCL_CONFIG_INITIALIZER                                                              \
  {                                                                                          \
    sizeof(ncclConfig_t),                             /* size */                             \
    0xcafebeef,                                       /* magic */                            \
    NCCL_VERSION(NCCL_MAJOR, NCCL_MINOR, NCCL_PATCH), /* version */                          \
    NCCL_CONFIG_UNDEF_INT,                            /* blocking */                         \
    NCCL_CONFIG_UNDEF_INT,                            /* cgaClusterSize */                   \
    NCCL_CONFIG_UNDEF_INT,                            /* minCTAs */                          \
    NCCL_CONFIG_UNDEF_INT,                            /* maxCTAs */                          \
    NCCL_CONFIG_UNDEF_PTR,                            /* netName */                          \
    NCCL_CONFIG_UNDEF_INT,                            /* splitShare */                       \
    NCCL_CONFIG_UNDEF_INT,                            /* trafficClass */                     \
    NCCL_CONFIG_UNDEF_PTR,                            /* commName */                         \
    NCCL_CONFIG_UNDEF_INT,                            /* collnetEnable */                    \
    NCCL_CONFIG_UNDEF_INT,                            /* CTAPolicy */                        \
    NCCL_CONFIG_UNDEF_INT,                            /* shrinkShare */                      \
    NCCL_CONFIG_UNDEF_INT,                            /* nvlsCTAs */                         \
    NCCL_CONFIG_UNDEF_INT,                            /* nChannelsPerNetPeer */              \
    NCCL_CONFIG_UNDEF_INT,                            /* nvlinkCentricSched */               \
  }

/* Filled by ncclGroupSimulateEnd. Start it from NCCL_SIM_INFO_INITIALIZER. */
typedef struct ncclSimInfo_v22200 {
  size_t size;
  unsigned int magic;
  unsigned int version;
  float estimatedTime; /* predicted time of the group */
} ncclSimInfo_t;

#define NCCL_SIM_INFO_INITIALIZER                                                            \
  {                                                                                          \
    sizeof(ncclSimInfo_t),                            /* size */                             \
    0x74685283,                                       /* magic */                            \
    NCCL_VERSION(NCCL_MAJOR, NCCL_MINOR, NCCL_PATCH), /* version */                          \
    NCCL_UNDEF_FLOAT                                  /* estimatedTime */                    \
  }

/* ---- Reduction operators and data types -------------------------------------------------- */

/* Exists only to pin sizeof(ncclRedOp_t), which ncclMaxRedOp is computed from. */
typedef enum { ncclNumOps_dummy = 5 } ncclRedOp_dummy_t;

typedef enum {
  ncclSum = 0,
  ncclProd = 1,
  ncclMax = 2,
  ncclMin = 3,
  ncclAvg = 4,
  /* Count of built-in operators; user operators (ncclRedOpCreatePreMulSum) start here. */
  ncclNumOps = 5,
  /* Largest value an operator handle may take without changing the enum's size. */
  ncclMaxRedOp = 0x7fffffff >> (32 - 8 * sizeof(ncclRedOp_dummy_t))
} ncclRedOp_t;

typedef enum {
  ncclInt8 = 0,
  ncclChar = 0,
  ncclUint8 = 1,
  ncclInt32 = 2,
  ncclInt = 2,
  ncclUint32 = 3,
  ncclInt64 = 4,
  ncclUint64 = 5,
  ncclFloat16 = 6,
  ncclHalf = 6,
  ncclFloat32 = 7,
  ncclFloat = 7,
  ncclFloat64 = 8,
  ncclDouble = 8,
  ncclBfloat16 = 9,
  ncclFloat8e4m3 = 10,
  ncclFloat8e5m2 = 11,
  ncclNumTypes = 12
} ncclDataType_t;

/* Where the scalar of ncclRedOpCreatePreMulSum lives and when it is read. */
typedef enum {
  ncclScalarDevice = 0,       /* device-visible memory, read while the collective runs */
  ncclScalarHostImmediate = 1 /* host memory, read before ncclRedOpCreatePreMulSum returns */
} ncclScalarResidence_t;

/* ---- Memory ------------------------------------------------------------------------------ */

/* Memory suited to registration and zero-copy; may round size up. */
ncclResult_t ncclMemAlloc(void** ptr, size_t size);
ncclResult_t pncclMemAlloc(void** ptr, size_t size);
ncclResult_t ncclMemFree(void* ptr);
ncclResult_t pncclMemFree(void* ptr);

/* ---- Library information and errors ------------------------------------------------------ */

/* Stores the NCCL ABI level implemented (NCCL_VERSION_CODE of that release). */
ncclResult_t ncclGetVersion(int* version);
ncclResult_t pncclGetVersion(int* version);

/* Static text naming a result code. */
const char* ncclGetErrorString(ncclResult_t result);
const char* pncclGetErrorString(ncclResult_t result);

/* Text describing the latest error (of comm, or of the calling thread when comm is NULL). */
const char* ncclGetLastError(ncclComm_t comm);
const char* pncclGetLastError(ncclComm_t comm);

/* Re-read the logging settings (NCCL_DEBUG and friends) from the environment. Deprecated in
 * NCCL, but still exported. */
#if defined(__GNUC__)
__attribute__((deprecated("ncclResetDebugInit is deprecated")))
#endif
void ncclResetDebugInit(void);
#if defined(__GNUC__)
__attribute__((deprecated("pncclResetDebugInit is deprecated")))
#endif
void pncclResetDebugInit(void);

/* NCCL exports this (not deprecated, and with no pncclX twin) but declares it in no public
 * header; its own tests call it. Declared here because hccl exports it too. */
void ncclResetDebugInitInternal(void);

/* ---- Communicator creation and teardown -------------------------------------------------- */

/* Call on one rank, then share the id with every rank of the new communicator. */
ncclResult_t ncclGetUniqueId(ncclUniqueId* uniqueId);
ncclResult_t pncclGetUniqueId(ncclUniqueId* uniqueId);

/* Join communicator commId as rank (0 <= rank < nranks); blocks until all ranks joined. */
ncclResult_t ncclCommInitRank(ncclComm_t* comm, int nranks, ncclUniqueId commId, int rank);
ncclResult_t pncclCommInitRank(ncclComm_t* comm, int nranks, ncclUniqueId commId, int rank);

/* As ncclCommInitRank, with a configuration (NULL: defaults). */
ncclResult_t ncclCommInitRankConfig(ncclComm_t* comm, int nranks, ncclUniqueId commId, int rank,
                                    ncclConfig_t* config);
ncclResult_t pncclCommInitRankConfig(ncclComm_t* comm, int nranks, ncclUniqueId commId, int rank,
                                     ncclConfig_t* config);

/* As ncclCommInitRankConfig, spreading bootstrap over nId ids (same ids, same order, on every
 * rank). */
ncclResult_t ncclCommInitRankScalable(ncclComm_t* newcomm, int nranks, int myrank, int nId,
                                      ncclUniqueId* commIds, ncclConfig_t* config);
ncclResult_t pncclCommInitRankScalable(ncclComm_t* newcomm, int nranks, int myrank, int nId,
                                       ncclUniqueId* commIds, ncclConfig_t* config);

/* Make ndev communicators in this process, one per device (devlist NULL: devices 0..ndev-1).
 * comm must hold ndev handles. */
ncclResult_t ncclCommInitAll(ncclComm_t* comm, int ndev, const int* devlist);
ncclResult_t pncclCommInitAll(ncclComm_t* comm, int ndev, const int* devlist);

/* Finish all issued work; afterwards ncclCommDestroy does not block. */
ncclResult_t ncclCommFinalize(ncclComm_t comm);
ncclResult_t pncclCommFinalize(ncclComm_t comm);

/* Free the communicator's local resources. */
ncclResult_t ncclCommDestroy(ncclComm_t comm);
ncclResult_t pncclCommDestroy(ncclComm_t comm);

/* Abort pending work and free the communicator; returns promptly. */
ncclResult_t ncclCommAbort(ncclComm_t comm);
ncclResult_t pncclCommAbort(ncclComm_t comm);

/* Stop in-flight work so the communicator can be destroyed, split or shrunk.
 * revokeFlags must be NCCL_REVOKE_DEFAULT. */
ncclResult_t ncclCommRevoke(ncclComm_t comm, int revokeFlags);
ncclResult_t pncclCommRevoke(ncclComm_t comm, int revokeFlags);

/* Collective over comm: ranks passing the same color form a new communicator, ordered by key.
 * NCCL_SPLIT_NOCOLOR yields *newcomm = NULL. config NULL: inherit comm's configuration. */
ncclResult_t ncclCommSplit(ncclComm_t comm, int color, int key, ncclComm_t* newcomm,
                           ncclConfig_t* config);
ncclResult_t pncclCommSplit(ncclComm_t comm, int color, int key, ncclComm_t* newcomm,
                            ncclConfig_t* config);

/* New communicator without the listed ranks (the rest keep their order). shrinkFlags:
 * NCCL_SHRINK_*. config NULL: inherit comm's configuration. */
ncclResult_t ncclCommShrink(ncclComm_t comm, int* excludeRanksList, int excludeRanksCount,
                            ncclComm_t* newcomm, ncclConfig_t* config, int shrinkFlags);
ncclResult_t pncclCommShrink(ncclComm_t comm, int* excludeRanksList, int excludeRanksCount,
                             ncclComm_t* newcomm, ncclConfig_t* config, int shrinkFlags);

/* ---- Communicator queries ---------------------------------------------------------------- */

/* ncclSuccess, ncclInProgress, or the error that broke the communicator. */
ncclResult_t ncclCommGetAsyncError(ncclComm_t comm, ncclResult_t* asyncError);
ncclResult_t pncclCommGetAsyncError(ncclComm_t comm, ncclResult_t* asyncError);

ncclResult_t ncclCommCount(const ncclComm_t comm, int* count);
ncclResult_t pncclCommCount(const ncclComm_t comm, int* count);

/* The index of the device the rank uses. */
ncclResult_t ncclCommCuDevice(const ncclComm_t comm, int* device);
ncclResult_t pncclCommCuDevice(const ncclComm_t comm, int* device);

ncclResult_t ncclCommUserRank(const ncclComm_t comm, int* rank);
ncclResult_t pncclCommUserRank(const ncclComm_t comm, int* rank);

/* ---- Buffer registration ----------------------------------------------------------------- */

ncclResult_t ncclCommRegister(const ncclComm_t comm, void* buff, size_t size, void** handle);
ncclResult_t pncclCommRegister(const ncclComm_t comm, void* buff, size_t size, void** handle);
ncclResult_t ncclCommDeregister(const ncclComm_t comm, void* handle);
ncclResult_t pncclCommDeregister(const ncclComm_t comm, void* handle);

/* Collective: register buff on every rank as a window. winFlags: NCCL_WIN_*. */
ncclResult_t ncclCommWindowRegister(ncclComm_t comm, void* buff, size_t size, ncclWindow_t* win,
                                    int winFlags);
ncclResult_t pncclCommWindowRegister(ncclComm_t comm, void* buff, size_t size, ncclWindow_t* win,
                                     int winFlags);
ncclResult_t ncclCommWindowDeregister(ncclComm_t comm, ncclWindow_t win);
ncclResult_t pncclCommWindowDeregister(ncclComm_t comm, ncclWindow_t win);

/* ---- User reduction operators ------------------------------------------------------------ */

/* An operator that multiplies each input by *scalar, then sums; valid for comm and datatype. */
ncclResult_t ncclRedOpCreatePreMulSum(ncclRedOp_t* op, void* scalar, ncclDataType_t datatype,
                                      ncclScalarResidence_t residence, ncclComm_t comm);
ncclResult_t pncclRedOpCreatePreMulSum(ncclRedOp_t* op, void* scalar, ncclDataType_t datatype,
                                       ncclScalarResidence_t residence, ncclComm_t comm);
ncclResult_t ncclRedOpDestroy(ncclRedOp_t op, ncclComm_t comm);
ncclResult_t pncclRedOpDestroy(ncclRedOp_t op, ncclComm_t comm);

/* ---- Collectives ------------------------------------------------------------------------- */
/* Every rank of comm calls each collective. Counts are in elements of datatype. On a device
 * rank the call is ordered on stream; on a host rank it returns when complete here. */

/* recvbuff on root = op over all ranks' sendbuff. In place when sendbuff == recvbuff. */
ncclResult_t ncclReduce(const void* sendbuff, void* recvbuff, size_t count,
                        ncclDataType_t datatype, ncclRedOp_t op, int root, ncclComm_t comm,
                        cudaStream_t stream);
ncclResult_t pncclReduce(const void* sendbuff, void* recvbuff, size_t count,
                         ncclDataType_t datatype, ncclRedOp_t op, int root, ncclComm_t comm,
                         cudaStream_t stream);

/* In-place broadcast from root (older form of ncclBroadcast). */
ncclResult_t ncclBcast(void* buff, size_t count, ncclDataType_t datatype, int root,
                       ncclComm_t comm, cudaStream_t stream);
ncclResult_t pncclBcast(void* buff, size_t count, ncclDataType_t datatype, int root,
                        ncclComm_t comm, cudaStream_t stream);

/* recvbuff on every rank = sendbuff of root. */
ncclResult_t ncclBroadcast(const void* sendbuff, void* recvbuff, size_t count,
                           ncclDataType_t datatype, int root, ncclComm_t comm,
                           cudaStream_t stream);
ncclResult_t pncclBroadcast(const void* sendbuff, void* recvbuff, size_t count,
                            ncclDataType_t datatype, int root, ncclComm_t comm,
                            cudaStream_t stream);

/* recvbuff on every rank = op over all ranks' sendbuff. */
ncclResult_t ncclAllReduce(const void* sendbuff, void* recvbuff, size_t count,
                           ncclDataType_t datatype, ncclRedOp_t op, ncclComm_t comm,
                           cudaStream_t stream);
ncclResult_t pncclAllReduce(const void* sendbuff, void* recvbuff, size_t count,
                            ncclDataType_t datatype, ncclRedOp_t op, ncclComm_t comm,
                            cudaStream_t stream);

/* sendbuff holds nranks*recvcount elements; rank i receives block i of the reduction.
 * In place when recvbuff == sendbuff + rank*recvcount. */
ncclResult_t ncclReduceScatter(const void* sendbuff, void* recvbuff, size_t recvcount,
                               ncclDataType_t datatype, ncclRedOp_t op, ncclComm_t comm,
                               cudaStream_t stream);
ncclResult_t pncclReduceScatter(const void* sendbuff, void* recvbuff, size_t recvcount,
                                ncclDataType_t datatype, ncclRedOp_t op, ncclComm_t comm,
                                cudaStream_t stream);

/* recvbuff (nranks*sendcount elements) gets rank i's sendbuff at i*sendcount.
 * In place when sendbuff == recvbuff + rank*sendcount. */
ncclResult_t ncclAllGather(const void* sendbuff, void* recvbuff, size_t sendcount,
                           ncclDataType_t datatype, ncclComm_t comm, cudaStream_t stream);
ncclResult_t pncclAllGather(const void* sendbuff, void* recvbuff, size_t sendcount,
                            ncclDataType_t datatype, ncclComm_t comm, cudaStream_t stream);

/* Block j of sendbuff goes to rank j; block i of recvbuff comes from rank i (count each). */
ncclResult_t ncclAlltoAll(const void* sendbuff, void* recvbuff, size_t count,
                          ncclDataType_t datatype, ncclComm_t comm, cudaStream_t stream);
ncclResult_t pncclAlltoAll(const void* sendbuff, void* recvbuff, size_t count,
                           ncclDataType_t datatype, ncclComm_t comm, cudaStream_t stream);

/* root's recvbuff gets rank i's sendbuff at i*count. */
ncclResult_t ncclGather(const void* sendbuff, void* recvbuff, size_t count,
                        ncclDataType_t datatype, int root, ncclComm_t comm, cudaStream_t stream);
ncclResult_t pncclGather(const void* sendbuff, void* recvbuff, size_t count,
                         ncclDataType_t datatype, int root, ncclComm_t comm, cudaStream_t stream);

/* rank i's recvbuff gets root's sendbuff at i*count. */
ncclResult_t ncclScatter(const void* sendbuff, void* recvbuff, size_t count,
                         ncclDataType_t datatype, int root, ncclComm_t comm, cudaStream_t stream);
ncclResult_t pncclScatter(const void* sendbuff, void* recvbuff, size_t count,
                          ncclDataType_t datatype, int root, ncclComm_t comm, cudaStream_t stream);

/* ---- Point to point ---------------------------------------------------------------------- */
/* Each ncclSend pairs with an ncclRecv of the same count and datatype on peer. Put sends and
 * receives that must progress together inside one group. */

ncclResult_t ncclSend(const void* sendbuff, size_t count, ncclDataType_t datatype, int peer,
                      ncclComm_t comm, cudaStream_t stream);
ncclResult_t pncclSend(const void* sendbuff, size_t count, ncclDataType_t datatype, int peer,
                       ncclComm_t comm, cudaStream_t stream);
ncclResult_t ncclRecv(void* recvbuff, size_t count, ncclDataType_t datatype, int peer,
                      ncclComm_t comm, cudaStream_t stream);
ncclResult_t pncclRecv(void* recvbuff, size_t count, ncclDataType_t datatype, int peer,
                       ncclComm_t comm, cudaStream_t stream);

/* ---- Groups ------------------------------------------------------------------------------ */
/* Calls between ncclGroupStart and ncclGroupEnd are recorded and issued together at
 * ncclGroupEnd: several communicators driven by one thread, fused operations, or matching
 * sends and receives. Groups nest. */

ncclResult_t ncclGroupStart(void);
ncclResult_t pncclGroupStart(void);
ncclResult_t ncclGroupEnd(void);
ncclResult_t pncclGroupEnd(void);

/* Close the group without running it; report the predicted time in *simInfo. */
ncclResult_t ncclGroupSimulateEnd(ncclSimInfo_t* simInfo);
ncclResult_t pncclGroupSimulateEnd(ncclSimInfo_t* simInfo);

/* ---- Device API, host side --------------------------------------------------------------- */
/* NCCL declares these in its nccl_device headers, not in nccl.h; they are here, with the same
 * layout, because hccl exports them. NVIDIA's nccl_device/core.h defines _NCCL_DEVICE_CORE_H_
 * and then includes <nccl.h>; then its own declarations are used and this block is skipped.
 * A program that includes this header *before* NVIDIA's nccl_device headers must define
 * HCCL_NO_DEVICE_API_DECLS first (C++ forbids defining the structs twice). */
#if !defined(_NCCL_DEVICE_CORE_H_) && !defined(HCCL_NO_DEVICE_API_DECLS)

typedef uint32_t ncclDevResourceHandle;
typedef ncclDevResourceHandle ncclDevResourceHandle_t; /* a buffer in the resource window */
typedef uint32_t ncclGinSignal_t;
typedef uint32_t ncclGinCounter_t;

/* A set of nRanks ranks, `stride` world ranks apart; the caller is member `rank`. */
typedef struct ncclTeam {
  int nRanks, rank, stride;
} ncclTeam_t;

typedef struct ncclMultimemHandle {
  void* mcBasePtr;
} ncclMultimemHandle_t;

typedef struct ncclLsaBarrierHandle {
  ncclDevResourceHandle_t bufHandle;
  int nBarriers;
} ncclLsaBarrierHandle_t;

typedef struct ncclGinBarrierHandle {
  ncclGinSignal_t signal0;
  ncclDevResourceHandle_t bufHandle;
} ncclGinBarrierHandle_t;

typedef struct ncclLLA2AHandle {
  ncclDevResourceHandle_t bufHandle;
  uint32_t nSlots;
} ncclLLA2AHandle_t;

typedef struct ncclDevResourceRequirements ncclDevResourceRequirements_t;
typedef struct ncclTeamRequirements ncclTeamRequirements_t;
struct ncclDevCommWindowTable; /* device-side table; opaque on the host */

/* One buffer (and GIN signals/counters) a kernel needs; a linked list. */
struct ncclDevResourceRequirements {
  ncclDevResourceRequirements_t* next;
  size_t bufferSize, bufferAlign;
  ncclDevResourceHandle_t* outBufferHandle; /* if set, filled by ncclDevCommCreate */
  int ginSignalCount;
  int ginCounterCount;
  ncclGinSignal_t* outGinSignalStart;
  ncclGinCounter_t* outGinCounterStart;
};

/* A team a kernel needs (optionally with multicast memory); a linked list. */
struct ncclTeamRequirements {
  ncclTeamRequirements_t* next;
  ncclTeam_t team;
  bool multimem;
  ncclMultimemHandle_t* outMultimemHandle; /* if set, filled by ncclDevCommCreate */
};

/* What ncclDevCommCreate must provide. */
typedef struct ncclDevCommRequirements {
  ncclDevResourceRequirements_t* resourceRequirementsList;
  ncclTeamRequirements_t* teamRequirementsList;
  bool lsaMultimem;
  int barrierCount;
  int lsaBarrierCount;
  int railGinBarrierCount;
  int lsaLLA2ABlockCount, lsaLLA2ASlotCount;
  bool ginForceEnable;
  int ginContextCount; /* a hint */
  int ginSignalCount;  /* ids start at 0 */
  int ginCounterCount; /* ids start at 0 */
} ncclDevCommRequirements_t;

/* The device communicator: the caller owns the storage, ncclDevCommCreate fills it and
 * kernels take it by value. Layout as NCCL 2.28.9's; resourceWindow_inlined is a copy of the
 * window object resourceWindow points to, shown here by layout only. */
typedef struct ncclDevComm {
  int rank, nRanks;
  uint32_t nRanks_rcp32;
  int lsaRank, lsaSize;
  uint32_t lsaSize_rcp32;
  struct ncclDevCommWindowTable* windowTable;
  ncclWindow_t resourceWindow;
  struct {
    void* winHost;
    char* lsaFlatBase;
    int lsaRank;
    int worldRank;
    uint32_t stride4G;
    uint32_t mcOffset4K;
    uint32_t ginOffset4K;
    void* ginWins[4]; /* one per GIN context */
  } resourceWindow_inlined;
  ncclMultimemHandle_t lsaMultimem;
  ncclLsaBarrierHandle_t lsaBarrier;
  ncclGinBarrierHandle_t railGinBarrier;
  uint8_t ginContextCount;
  uint8_t ginTypes[4];
  void* ginHandles[4];
  uint32_t ginSignalBase;
  int ginSignalCount;
  uint32_t ginCounterBase;
  int ginCounterCount;
  uint64_t* ginSignalShadows;
} ncclDevComm_t;

ncclResult_t ncclDevCommCreate(ncclComm_t comm, ncclDevCommRequirements_t const* reqs,
                               ncclDevComm_t* outDevComm);
ncclResult_t pncclDevCommCreate(ncclComm_t comm, ncclDevCommRequirements_t const* reqs,
                                ncclDevComm_t* outDevComm);
ncclResult_t ncclDevCommDestroy(ncclComm_t comm, ncclDevComm_t const* devComm);
ncclResult_t pncclDevCommDestroy(ncclComm_t comm, ncclDevComm_t const* devComm);

/* Teams of comm, returned by value: all ranks; the ranks that share memory (load/store
 * accessible) with this one; the ranks at this rank's position in every such group. */
ncclTeam_t ncclTeamWorld(ncclComm_t comm);
ncclTeam_t pncclTeamWorld(ncclComm_t comm);
ncclTeam_t ncclTeamLsa(ncclComm_t comm);
ncclTeam_t pncclTeamLsa(ncclComm_t comm);
ncclTeam_t ncclTeamRail(ncclComm_t comm);
ncclTeam_t pncclTeamRail(ncclComm_t comm);

/* Translate member `rank` of team to a world rank / an LSA-team rank. */
int ncclTeamRankToWorld(ncclComm_t comm, ncclTeam_t team, int rank);
int pncclTeamRankToWorld(ncclComm_t comm, ncclTeam_t team, int rank);
int ncclTeamRankToLsa(ncclComm_t comm, ncclTeam_t team, int rank);
int pncclTeamRankToLsa(ncclComm_t comm, ncclTeam_t team, int rank);

/* Resource requirements for nBarriers device barriers over team; pass *outReq to
 * ncclDevCommCreate, then use *outHandle in kernels. */
ncclResult_t ncclLsaBarrierCreateRequirement(ncclTeam_t team, int nBarriers,
                                             ncclLsaBarrierHandle_t* outHandle,
                                             ncclDevResourceRequirements_t* outReq);
ncclResult_t pncclLsaBarrierCreateRequirement(ncclTeam_t team, int nBarriers,
                                              ncclLsaBarrierHandle_t* outHandle,
                                              ncclDevResourceRequirements_t* outReq);
ncclResult_t ncclGinBarrierCreateRequirement(ncclComm_t comm, ncclTeam_t team, int nBarriers,
                                             ncclGinBarrierHandle_t* outHandle,
                                             ncclDevResourceRequirements_t* outReq);
ncclResult_t pncclGinBarrierCreateRequirement(ncclComm_t comm, ncclTeam_t team, int nBarriers,
                                              ncclGinBarrierHandle_t* outHandle,
                                              ncclDevResourceRequirements_t* outReq);

/* Low-latency all-to-all: slots needed for maxElts elements of maxEltSize bytes, and the
 * resource requirement for nBlocks blocks of nSlots slots. */
int ncclLLA2ACalcSlots(int maxElts, int maxEltSize);
int pncclLLA2ACalcSlots(int maxElts, int maxEltSize);
ncclResult_t ncclLLA2ACreateRequirement(int nBlocks, int nSlots, ncclLLA2AHandle_t* outHandle,
                                        ncclDevResourceRequirements_t* outReq);
ncclResult_t pncclLLA2ACreateRequirement(int nBlocks, int nSlots, ncclLLA2AHandle_t* outHandle,
                                         ncclDevResourceRequirements_t* outReq);

#endif /* device API */

/* ---- hccl's own additions ---------------------------------------------------------------- */

/* hccl's own version text (ncclGetVersion gives the NCCL ABI level); static storage. */
const char* hcclGetVersionString(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* HCCL_H_ */
