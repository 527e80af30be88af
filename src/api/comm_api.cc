// Communicator lifetime: ids, init, split, finalize, destroy, abort, and the queries.
#include <cstddef>
#include <cstring>
#include <memory>

#include "api/export.h"
#include "api/guard.h"
#include "backends/loader.h"
#include "base/log.h"
#include "core/config.h"
#include "core/group.h"
#include "core/split.h"

using namespace hccl;

namespace {

constexpr unsigned kConfigMagic = 0xcafebeef;

// Whether the caller's (possibly older, smaller) config struct holds `field`.
template <typename Field>
bool hasField(const ncclConfig_t* c, const Field* field) {
  return reinterpret_cast<const char*>(field + 1) - reinterpret_cast<const char*>(c) <=
         static_cast<ptrdiff_t>(c->size);
}

Status applyConfig(const ncclConfig_t* user, Config* config) {
  if (user == nullptr) return Status::Success;
  if (user->magic != kConfigMagic || user->size < offsetof(ncclConfig_t, blocking) + sizeof(int))
    return reject(Status::InvalidArgument,
                  "ncclConfig_t was not initialised with NCCL_CONFIG_INITIALIZER (bad magic or size)");
  if (hasField(user, &user->blocking) && user->blocking != NCCL_CONFIG_UNDEF_INT) {
    if (user->blocking != 0 && user->blocking != 1)
      return reject(Status::InvalidArgument, "ncclConfig_t.blocking must be 0 or 1, not %d", user->blocking);
    config->blocking = user->blocking == 1;
  }
  if (hasField(user, &user->netName) && user->netName != nullptr) config->netName = user->netName;
  if (hasField(user, &user->commName) && user->commName != nullptr) config->commName = user->commName;
  return Status::Success;
}

Status initRank(ncclComm_t* out, int nranks, const uint8_t* idBytes, int rank, const ncclConfig_t* user) {
  if (out == nullptr) return reject(Status::InvalidArgument, "the comm output pointer is NULL");
  *out = nullptr;
  if (nranks < 1) return reject(Status::InvalidArgument, "nranks must be at least 1, not %d", nranks);
  if (rank < 0 || rank >= nranks)
    return reject(Status::InvalidArgument, "rank %d is outside [0, %d)", rank, nranks);
  Config config = configFromEnvironment();
  HCCL_TRY(applyConfig(user, &config));
  UniqueIdContent id;
  HCCL_TRY(parseUniqueId(idBytes, &id));
  auto comm = std::make_unique<Communicator>(config, rank, nranks);
  Status s = submitInit(comm.get(), id);
  if (failed(s)) return s;
  *out = reinterpret_cast<ncclComm_t>(comm.release());
  return s;
}

void logVersionOnce() {
  static bool printed = false;
  if (printed) return;
  printed = true;
  HCCL_LOG(LogLevel::Version, kLogInit, "hccl %s (NCCL ABI %d)", HCCL_VERSION_STRING, HCCL_NCCL_VERSION_CODE);
}

}  // namespace

NCCL_API ncclResult_t ncclGetUniqueId(ncclUniqueId* uniqueId) {
  return guarded(nullptr, [&] {
    if (uniqueId == nullptr) return reject(Status::InvalidArgument, "ncclGetUniqueId: uniqueId is NULL");
    logVersionOnce();
    const Config config = configFromEnvironment();
    return createUniqueId(reinterpret_cast<uint8_t*>(uniqueId->internal), config.sockets, config.timeoutSeconds);
  });
}
NCCL_PROFILING_ALIAS(ncclGetUniqueId);

NCCL_API ncclResult_t ncclCommInitRankConfig(ncclComm_t* comm, int nranks, ncclUniqueId commId, int rank,
                                             ncclConfig_t* config) {
  return guarded(nullptr, [&] {
    logVersionOnce();
    return initRank(comm, nranks, reinterpret_cast<const uint8_t*>(commId.internal), rank, config);
  });
}
NCCL_PROFILING_ALIAS(ncclCommInitRankConfig);

NCCL_API ncclResult_t ncclCommInitRank(ncclComm_t* comm, int nranks, ncclUniqueId commId, int rank) {
  return ncclCommInitRankConfig(comm, nranks, commId, rank, nullptr);
}
NCCL_PROFILING_ALIAS(ncclCommInitRank);

NCCL_API ncclResult_t ncclCommInitRankScalable(ncclComm_t* newcomm, int nranks, int myrank, int nId,
                                               ncclUniqueId* commIds, ncclConfig_t* config) {
  return guarded(nullptr, [&] {
    if (nId < 1 || commIds == nullptr)
      return reject(Status::InvalidArgument, "ncclCommInitRankScalable needs nId >= 1 ids (got %d)", nId);
    logVersionOnce();
    // Every rank holds the same ids in the same order; the first one's root serves them all.
    return initRank(newcomm, nranks, reinterpret_cast<const uint8_t*>(commIds[0].internal), myrank, config);
  });
}
NCCL_PROFILING_ALIAS(ncclCommInitRankScalable);

NCCL_API ncclResult_t ncclCommInitAll(ncclComm_t* comms, int ndev, const int* devlist) {
  return guarded(nullptr, [&] {
    if (comms == nullptr) return reject(Status::InvalidArgument, "ncclCommInitAll: comms is NULL");
    if (ndev < 1) return reject(Status::InvalidArgument, "ncclCommInitAll: ndev must be >= 1, not %d", ndev);
    logVersionOnce();
    Config config = configFromEnvironment();
    config.blocking = true;
    uint8_t idBytes[kUniqueIdBytes];
    HCCL_TRY(createUniqueId(idBytes, config.sockets, config.timeoutSeconds));
    UniqueIdContent id;
    HCCL_TRY(parseUniqueId(idBytes, &id));
    // Rank r on devlist[r], or on device r without a list, as NCCL; host ranks where the process
    // uses no GPU runtime.
    std::vector<Backend*> backends(ndev);
    for (int r = 0; r < ndev; ++r) {
      if (failed(backendForDevice(config.backend, devlist != nullptr ? devlist[r] : r, &backends[r])))
        return reject(Status::InvalidArgument, "ncclCommInitAll: devlist[%d]: %s", r, threadLastError().c_str());
    }
    std::vector<std::unique_ptr<Communicator>> made;
    for (int r = 0; r < ndev; ++r) made.push_back(std::make_unique<Communicator>(config, r, ndev, *backends[r]));
    groupStart();
    for (auto& c : made) submitInit(c.get(), id);
    HCCL_TRY(groupEnd());
    for (int r = 0; r < ndev; ++r) comms[r] = reinterpret_cast<ncclComm_t>(made[r].release());
    return Status::Success;
  });
}
NCCL_PROFILING_ALIAS(ncclCommInitAll);

NCCL_API ncclResult_t ncclCommSplit(ncclComm_t comm, int color, int key, ncclComm_t* newcomm,
                                    ncclConfig_t* config) {
  return guarded(comm, [&] {
    HCCL_COMM(parent, comm);
    if (newcomm == nullptr) return reject(Status::InvalidArgument, "ncclCommSplit: newcomm is NULL");
    *newcomm = nullptr;
    if (color < 0 && color != NCCL_SPLIT_NOCOLOR)
      return reject(Status::InvalidArgument, "ncclCommSplit: color must be >= 0 or NCCL_SPLIT_NOCOLOR, not %d", color);
    Config childConfig = parent->config();
    HCCL_TRY(applyConfig(config, &childConfig));
    // Inside a group the split waits on this thread's later calls: it runs at ncclGroupEnd.
    return submitJob([=] {
      Communicator* child = nullptr;
      Status s = splitCommunicator(parent, color, key, childConfig, &child);
      *newcomm = reinterpret_cast<ncclComm_t>(child);
      return s;
    });
  });
}
NCCL_PROFILING_ALIAS(ncclCommSplit);

NCCL_API ncclResult_t ncclCommFinalize(ncclComm_t comm) {
  return guarded(comm, [&] {
    HCCL_COMM(c, comm);
    // Host-rank operations complete before their call returns: nothing is left to flush.
    std::lock_guard<std::mutex> lock(c->busy());
    if (!c->markFinalized())
      return reject(Status::InvalidUsage, "ncclCommFinalize: rank %d's communicator is already finalized", c->rank());
    return Status::Success;
  });
}
NCCL_PROFILING_ALIAS(ncclCommFinalize);

NCCL_API ncclResult_t ncclCommDestroy(ncclComm_t comm) {
  return guarded(nullptr, [&] {
    if (comm == nullptr) return Status::Success;
    HCCL_COMM(c, comm);
    c->joinInit();
    { std::lock_guard<std::mutex> lock(c->busy()); }  // waits for a running operation
    delete c;
    return Status::Success;
  });
}
NCCL_PROFILING_ALIAS(ncclCommDestroy);

NCCL_API ncclResult_t ncclCommAbort(ncclComm_t comm) {
  return guarded(nullptr, [&] {
    if (comm == nullptr) return Status::Success;
    HCCL_COMM(c, comm);
    c->requestAbort();  // a running operation sees this within a millisecond and returns
    c->joinInit();
    {
      std::lock_guard<std::mutex> lock(c->busy());
      c->fail(Status::Aborted);
    }
    delete c;
    return Status::Success;
  });
}
NCCL_PROFILING_ALIAS(ncclCommAbort);

NCCL_API ncclResult_t ncclCommGetAsyncError(ncclComm_t comm, ncclResult_t* asyncError) {
  return guarded(comm, [&] {
    HCCL_COMM(c, comm);
    if (asyncError == nullptr) return reject(Status::InvalidArgument, "ncclCommGetAsyncError: asyncError is NULL");
    *asyncError = toResult(c->state());
    return Status::Success;
  });
}
NCCL_PROFILING_ALIAS(ncclCommGetAsyncError);

NCCL_API ncclResult_t ncclCommCount(const ncclComm_t comm, int* count) {
  return guarded(comm, [&] {
    HCCL_COMM(c, comm);
    if (count == nullptr) return reject(Status::InvalidArgument, "ncclCommCount: count is NULL");
    *count = c->nranks();
    return Status::Success;
  });
}
NCCL_PROFILING_ALIAS(ncclCommCount);

NCCL_API ncclResult_t ncclCommUserRank(const ncclComm_t comm, int* rank) {
  return guarded(comm, [&] {
    HCCL_COMM(c, comm);
    if (rank == nullptr) return reject(Status::InvalidArgument, "ncclCommUserRank: rank is NULL");
    *rank = c->rank();
    return Status::Success;
  });
}
NCCL_PROFILING_ALIAS(ncclCommUserRank);

NCCL_API ncclResult_t ncclCommCuDevice(const ncclComm_t comm, int* device) {
  return guarded(comm, [&] {
    HCCL_COMM(c, comm);
    if (device == nullptr) return reject(Status::InvalidArgument, "ncclCommCuDevice: device is NULL");
    *device = c->backend().deviceIndex();  // -1 on a host (CPU) rank
    return Status::Success;
  });
}
NCCL_PROFILING_ALIAS(ncclCommCuDevice);
