// Collectives and point-to-point: check every argument, describe the call as an Operation,
// and hand it to the group layer (run now, or at ncclGroupEnd).
#include <cstring>
#include <limits>
#include <memory>

#include "algorithms/extents.h"
#include "api/export.h"
#include "api/guard.h"
#include "core/group.h"

using namespace hccl;

namespace {

// Which ranks must pass a valid buffer.
enum class Need : uint8_t { Never, AtRoot, Always };

// What a call needs from its buffers on this rank.
struct Call {
  const char* name;
  CollKind kind;
  const void* send;
  void* recv;
  size_t count;
  ncclDataType_t type;
  ncclRedOp_t op;  // ncclSum for calls that do not reduce
  int root;        // root, or peer for Send/Recv
  bool reduces;
  Need sendNeed;   // which ranks must pass a valid sendbuff (given count > 0)
  Need recvNeed;
};

Status checkAndBuild(Communicator* comm, const Call& c, std::unique_ptr<Operation>* out) {
  if (static_cast<int>(c.type) < 0 || static_cast<int>(c.type) >= kNumDataTypes)
    return reject(Status::InvalidArgument, "%s: invalid datatype %d", c.name, static_cast<int>(c.type));
  const int n = comm->nranks();
  const bool rooted = c.kind == CollKind::Broadcast || c.kind == CollKind::Reduce ||
                      c.kind == CollKind::Gather || c.kind == CollKind::Scatter;
  const bool p2p = isPointToPoint(c.kind);
  if ((rooted || p2p) && (c.root < 0 || c.root >= n))
    return reject(Status::InvalidArgument, "%s: %s %d is outside [0, %d)", c.name, p2p ? "peer" : "root", c.root, n);
  const size_t elem = dataTypeSize(static_cast<DataType>(c.type));
  const size_t blocks = static_cast<size_t>(maxBlocks(c.kind, n));
  if (c.count > std::numeric_limits<size_t>::max() / elem / blocks)
    return reject(Status::InvalidArgument, "%s: count %zu overflows the address space", c.name, c.count);
  auto needed = [&](Need need) { return need == Need::Always || (need == Need::AtRoot && comm->rank() == c.root); };
  if (c.count > 0 && needed(c.sendNeed) && c.send == nullptr)
    return reject(Status::InvalidArgument, "%s: sendbuff is NULL with count %zu", c.name, c.count);
  if (c.count > 0 && needed(c.recvNeed) && c.recv == nullptr)
    return reject(Status::InvalidArgument, "%s: recvbuff is NULL with count %zu", c.name, c.count);

  auto op = std::make_unique<Operation>();
  op->type = static_cast<DataType>(c.type);
  if (c.reduces) {
    int code = static_cast<int>(c.op);
    if (code >= 0 && code < static_cast<int>(ncclAvg)) {
      op->op = static_cast<ReduceOp>(code);
    } else if (code == static_cast<int>(ncclAvg)) {
      op->average = true;
    } else {
      PreMulSumOp user;
      if (!comm->userOp(code, &user))
        return reject(Status::InvalidArgument, "%s: invalid reduction operator %d", c.name, code);
      if (user.type != op->type)
        return reject(Status::InvalidArgument,
                      "%s: operator %d was created for datatype %d, used with %d", c.name, code,
                      static_cast<int>(user.type), static_cast<int>(c.type));
      op->preMultiply = true;
      if (user.scalarPointer != nullptr && comm->backend().asDevice() != nullptr)
        op->scalarSource = user.scalarPointer;  // read when the stream reaches the call
      else
        memcpy(op->scalar, user.scalarPointer ? user.scalarPointer : user.scalar, elem);
    }
  }
  op->comm = comm;
  op->args.kind = c.kind;
  op->args.rank = comm->rank();
  op->args.nranks = n;
  op->args.count = c.count;
  op->args.elemSize = elem;
  op->args.root = c.root;
  op->args.sliceBytes = comm->config().sliceBytes;
  op->args.inputAliasesOutput = c.kind == CollKind::AllToAll && c.send == c.recv && n > 1;
  op->args.inPlace = c.send == c.recv;
  op->args.recursiveDoublingMaxBytes = comm->config().recursiveDoublingMaxBytes;
  op->args.algorithm = comm->config().allReduceAlgorithm;
  op->send = static_cast<const char*>(c.send);
  op->recv = static_cast<char*>(c.recv);
  if (c.kind == CollKind::Send) op->tagBase = comm->nextSendTag(c.root);
  else if (c.kind == CollKind::Recv) op->tagBase = comm->nextRecvTag(c.root);
  else op->tagBase = comm->nextCollectiveTag();
  *out = std::move(op);
  return Status::Success;
}

ncclResult_t run(ncclComm_t handle, const Call& call, cudaStream_t stream) {
  return guarded(handle, [&] {
    HCCL_COMM(comm, handle);
    if (comm->finalized())
      return reject(Status::InvalidUsage, "%s: the communicator was finalized; only ncclCommDestroy is allowed", call.name);
    std::unique_ptr<Operation> op;
    HCCL_TRY(checkAndBuild(comm, call, &op));
    op->stream = stream;
    return submit(std::move(op));
  });
}

}  // namespace

NCCL_API ncclResult_t ncclAllReduce(const void* sendbuff, void* recvbuff, size_t count, ncclDataType_t datatype,
                                    ncclRedOp_t op, ncclComm_t comm, cudaStream_t stream) {
  return run(comm, {"ncclAllReduce", CollKind::AllReduce, sendbuff, recvbuff, count, datatype, op, 0, true,
                    Need::Always, Need::Always}, stream);
}
NCCL_PROFILING_ALIAS(ncclAllReduce);

NCCL_API ncclResult_t ncclAllGather(const void* sendbuff, void* recvbuff, size_t sendcount,
                                    ncclDataType_t datatype, ncclComm_t comm, cudaStream_t stream) {
  return run(comm, {"ncclAllGather", CollKind::AllGather, sendbuff, recvbuff, sendcount, datatype, ncclSum, 0,
                    false, Need::Always, Need::Always}, stream);
}
NCCL_PROFILING_ALIAS(ncclAllGather);

NCCL_API ncclResult_t ncclReduceScatter(const void* sendbuff, void* recvbuff, size_t recvcount,
                                        ncclDataType_t datatype, ncclRedOp_t op, ncclComm_t comm, cudaStream_t stream) {
  return run(comm, {"ncclReduceScatter", CollKind::ReduceScatter, sendbuff, recvbuff, recvcount, datatype, op, 0,
                    true, Need::Always, Need::Always}, stream);
}
NCCL_PROFILING_ALIAS(ncclReduceScatter);

NCCL_API ncclResult_t ncclBroadcast(const void* sendbuff, void* recvbuff, size_t count, ncclDataType_t datatype,
                                    int root, ncclComm_t comm, cudaStream_t stream) {
  return run(comm, {"ncclBroadcast", CollKind::Broadcast, sendbuff, recvbuff, count, datatype, ncclSum, root,
                    false, Need::AtRoot, Need::Always}, stream);
}
NCCL_PROFILING_ALIAS(ncclBroadcast);

NCCL_API ncclResult_t ncclBcast(void* buff, size_t count, ncclDataType_t datatype, int root, ncclComm_t comm,
                                cudaStream_t stream) {
  return ncclBroadcast(buff, buff, count, datatype, root, comm, stream);
}
NCCL_PROFILING_ALIAS(ncclBcast);

NCCL_API ncclResult_t ncclReduce(const void* sendbuff, void* recvbuff, size_t count, ncclDataType_t datatype,
                                 ncclRedOp_t op, int root, ncclComm_t comm, cudaStream_t stream) {
  return run(comm, {"ncclReduce", CollKind::Reduce, sendbuff, recvbuff, count, datatype, op, root, true,
                    Need::Always, Need::AtRoot}, stream);
}
NCCL_PROFILING_ALIAS(ncclReduce);

NCCL_API ncclResult_t ncclAlltoAll(const void* sendbuff, void* recvbuff, size_t count, ncclDataType_t datatype,
                                   ncclComm_t comm, cudaStream_t stream) {
  return run(comm, {"ncclAlltoAll", CollKind::AllToAll, sendbuff, recvbuff, count, datatype, ncclSum, 0, false,
                    Need::Always, Need::Always}, stream);
}
NCCL_PROFILING_ALIAS(ncclAlltoAll);

NCCL_API ncclResult_t ncclGather(const void* sendbuff, void* recvbuff, size_t count, ncclDataType_t datatype,
                                 int root, ncclComm_t comm, cudaStream_t stream) {
  return run(comm, {"ncclGather", CollKind::Gather, sendbuff, recvbuff, count, datatype, ncclSum, root, false,
                    Need::Always, Need::AtRoot}, stream);
}
NCCL_PROFILING_ALIAS(ncclGather);

NCCL_API ncclResult_t ncclScatter(const void* sendbuff, void* recvbuff, size_t count, ncclDataType_t datatype,
                                  int root, ncclComm_t comm, cudaStream_t stream) {
  return run(comm, {"ncclScatter", CollKind::Scatter, sendbuff, recvbuff, count, datatype, ncclSum, root, false,
                    Need::AtRoot, Need::Always}, stream);
}
NCCL_PROFILING_ALIAS(ncclScatter);

NCCL_API ncclResult_t ncclSend(const void* sendbuff, size_t count, ncclDataType_t datatype, int peer,
                               ncclComm_t comm, cudaStream_t stream) {
  return run(comm, {"ncclSend", CollKind::Send, sendbuff, nullptr, count, datatype, ncclSum, peer, false,
                    Need::Always, Need::Never}, stream);
}
NCCL_PROFILING_ALIAS(ncclSend);

NCCL_API ncclResult_t ncclRecv(void* recvbuff, size_t count, ncclDataType_t datatype, int peer, ncclComm_t comm,
                               cudaStream_t stream) {
  return run(comm, {"ncclRecv", CollKind::Recv, nullptr, recvbuff, count, datatype, ncclSum, peer, false,
                    Need::Never, Need::Always}, stream);
}
NCCL_PROFILING_ALIAS(ncclRecv);

NCCL_API ncclResult_t ncclGroupStart() {
  return guarded(nullptr, [] {
    groupStart();
    return Status::Success;
  });
}
NCCL_PROFILING_ALIAS(ncclGroupStart);

NCCL_API ncclResult_t ncclGroupEnd() {
  return guarded(nullptr, [] { return groupEnd(); });
}
NCCL_PROFILING_ALIAS(ncclGroupEnd);

// NCCL_SIM_INFO_INITIALIZER's magic; the estimate is reported in microseconds.
constexpr unsigned kSimInfoMagic = 0x74685283u;

NCCL_API ncclResult_t ncclGroupSimulateEnd(ncclSimInfo_t* simInfo) {
  return guarded(nullptr, [&] {
    if (simInfo == nullptr) return reject(Status::InvalidArgument, "ncclGroupSimulateEnd: simInfo is NULL");
    if (simInfo->magic != kSimInfoMagic || simInfo->size < sizeof(ncclSimInfo_t))
      return reject(Status::InvalidArgument,
                    "ncclGroupSimulateEnd: simInfo was not set from NCCL_SIM_INFO_INITIALIZER (size %zu, magic 0x%x)",
                    simInfo->size, simInfo->magic);
    double seconds = 0;
    HCCL_TRY(groupSimulateEnd(&seconds));
    simInfo->estimatedTime = static_cast<float>(seconds * 1e6);
    return Status::Success;
  });
}
NCCL_PROFILING_ALIAS(ncclGroupSimulateEnd);
