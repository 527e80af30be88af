// Functions RCCL adds to NCCL's ABI that PyTorch's ROCm build calls (docs/hip.md lists them):
// without them a job that puts hccl in place of librccl.so.1 fails to load, or sends its
// all_to_all_single to another library. hccl builds them from NCCL calls it already has.
#include <cstdint>
#include <string>
#include <unordered_map>

#include "api/export.h"
#include "api/guard.h"

using namespace hccl;

// RCCL's spelling of ncclAlltoAll.
NCCL_API ncclResult_t ncclAllToAll(const void* sendbuff, void* recvbuff, size_t count, ncclDataType_t datatype,
                                   ncclComm_t comm, cudaStream_t stream) {
  return ncclAlltoAll(sendbuff, recvbuff, count, datatype, comm, stream);
}
NCCL_PROFILING_ALIAS(ncclAllToAll);

// All-to-all with per-peer counts and displacements, in elements: one group of sends and
// receives. Everything that can be checked is checked before the group records anything, so a
// bad argument never leaves this rank with half an exchange.
NCCL_API ncclResult_t ncclAllToAllv(const void* sendbuff, const size_t sendcounts[], const size_t sdispls[],
                                    void* recvbuff, const size_t recvcounts[], const size_t rdispls[],
                                    ncclDataType_t datatype, ncclComm_t comm, cudaStream_t stream) {
  ncclResult_t checked = guarded(comm, [&] {
    HCCL_COMM(c, comm);
    if (sendcounts == nullptr || sdispls == nullptr || recvcounts == nullptr || rdispls == nullptr)
      return reject(Status::InvalidArgument, "ncclAllToAllv: a count or displacement array is NULL");
    if (static_cast<unsigned>(datatype) >= static_cast<unsigned>(ncclNumTypes))
      return reject(Status::InvalidArgument, "ncclAllToAllv: invalid datatype %d", static_cast<int>(datatype));
    // Each count and displacement at most half the addressable elements: offset + length fits.
    const size_t limit = SIZE_MAX / dataTypeSize(static_cast<DataType>(datatype)) / 2;
    for (int peer = 0; peer < c->nranks(); ++peer) {
      if ((sendcounts[peer] > 0 && sendbuff == nullptr) || (recvcounts[peer] > 0 && recvbuff == nullptr))
        return reject(Status::InvalidArgument, "ncclAllToAllv: NULL buffer with a non-zero count for peer %d", peer);
      if (sendcounts[peer] > limit || sdispls[peer] > limit || recvcounts[peer] > limit || rdispls[peer] > limit)
        return reject(Status::InvalidArgument, "ncclAllToAllv: count or displacement for peer %d overflows", peer);
    }
    return Status::Success;
  });
  if (checked != ncclSuccess) return checked;
  int nranks = 0;
  ncclCommCount(comm, &nranks);
  const size_t elem = dataTypeSize(static_cast<DataType>(datatype));
  ncclResult_t result = ncclGroupStart();
  for (int peer = 0; peer < nranks && result == ncclSuccess; ++peer) {
    result = ncclSend(static_cast<const char*>(sendbuff) + sdispls[peer] * elem, sendcounts[peer], datatype, peer,
                      comm, stream);
    if (result == ncclSuccess)
      result = ncclRecv(static_cast<char*>(recvbuff) + rdispls[peer] * elem, recvcounts[peer], datatype, peer,
                        comm, stream);
  }
  ncclResult_t ended = ncclGroupEnd();
  return result != ncclSuccess ? result : ended;
}
NCCL_PROFILING_ALIAS(ncclAllToAllv);

// RCCL's flight-recorder hook, declared with C++ linkage in its header. hccl reports what it
// knows of the communicator.
__attribute__((visibility("default"))) ncclResult_t ncclCommDump(ncclComm_t comm,
                                                                 std::unordered_map<std::string, std::string>& dump) {
  return guarded(comm, [&] {
    HCCL_COMM(c, comm);
    dump["library"] = "hccl";
    dump["rank"] = std::to_string(c->rank());
    dump["nranks"] = std::to_string(c->nranks());
    dump["backend"] = c->backend().name();
    dump["state"] = statusName(c->state());
    dump["last_error"] = c->lastError();
    return Status::Success;
  });
}
