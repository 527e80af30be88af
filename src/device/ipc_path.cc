#include "device/ipc_path.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "algorithms/extents.h"
#include "backends/device_backend.h"
#include "base/error.h"
#include "base/log.h"
#include "device/staged_pipeline.h"
#include "exec/comm_context.h"
#include "exec/mesh.h"

namespace hccl {
namespace {

// The setup's two exchanges use the top of the first call's tag space; barriers count up from 1.
constexpr uint32_t kHandlesTag = 0xfffffff0u;
constexpr uint32_t kAgreeTag = 0xfffffff1u;

struct HandleRecord {
  int32_t willing;  // scratch allocated and DEVICE_DIRECT on
  int32_t device;
  uint64_t regionBytes;  // must be equal everywhere (HCCL_DEVICE_PIECE_BYTES)
  uint64_t process;      // ranks of one process use each other's pointers as they are
  uint64_t scratch;
  uint8_t handle[DeviceBackend::kIpcHandleBytes];
};

// Rank r's record in what exchange() gathered.
template <class Record>
Record recordOf(const std::vector<char>& all, int r) {
  Record record;
  memcpy(&record, all.data() + r * sizeof(Record), sizeof(Record));
  return record;
}

// The first rank whose gathered flag is 0, or -1 when every rank said yes.
int firstRefusal(const std::vector<char>& all, int n) {
  for (int r = 0; r < n; ++r)
    if (recordOf<int32_t>(all, r) == 0) return r;
  return -1;
}

// Random per process: a pid may repeat across containers that share a host.
uint64_t processToken() {
  static const uint64_t token = [] {
    std::random_device seed;
    return (uint64_t{seed()} << 32) ^ seed() ^ static_cast<uint64_t>(getpid());
  }();
  return token;
}

}  // namespace

IpcPath::IpcPath(CommContext& comm, DeviceBackend& device) : comm_(comm), device_(device), buffers_(device) {
  const RankInfo& self = comm.ranks()[comm.rank()];
  candidate_ = std::all_of(comm.ranks().begin(), comm.ranks().end(), [&](const RankInfo& r) {
    return r.hostHash == self.hostHash && r.backend == self.backend;
  });
  // Pieces are HCCL_DEVICE_PIECE_BYTES per rank; slots round each block up to kScratchSlotAlign,
  // and a block holds at least one element even when that exceeds the piece.
  const int n = comm.nranks();
  regionBytes_ = scratchSlotBytes(comm.config().devicePieceBytes) + static_cast<size_t>(n) * (kScratchSlotAlign + 8);
}

// Frees and unmaps wait for the device, whose streams may be held at a gate only the progress
// thread releases: so they happen here, on the destroying thread, once no gate is pending.
IpcPath::~IpcPath() {
  const int previous = device_.currentDevice();
  device_.select();
  for (int r = 0; r < static_cast<int>(scratch_.size()); ++r) {
    if (scratch_[r] == nullptr) continue;
    if (r == comm_.rank()) device_.freeDevice(scratch_[r]);
    else if (!local_[r]) device_.closeIpcHandle(scratch_[r]);
  }
  device_.destroyStream(stream_);
  buffers_.closeAll();
  if (previous >= 0) device_.selectDevice(previous);
}

// Without scratch or a stream every rank learns, at the first call, that this one is unwilling.
void IpcPath::prepare() {
  if (!candidate_ || !comm_.config().deviceDirect) return;
  scratch_.assign(comm_.nranks(), nullptr);
  void* base = nullptr;
  if (failed(device_.allocate(&base, 2 * regionBytes_))) return;
  scratch_[comm_.rank()] = static_cast<char*>(base);
  if (failed(device_.createStream(&stream_))) stream_ = nullptr;
}

bool IpcPath::eligible(const Operation& o) const {
  if (!candidate_ || state_ == State::Off) return false;
  if (isPointToPoint(o.args.kind)) return false;
  // A HIP rank may hold FNUZ fp8, which only the staged path converts (base/fp8_encoding.h).
  if (isFp8Type(o.type) && device_.kind() == BackendKind::Hip) return false;
  return true;
}

Status IpcPath::run(Operation& o, bool* ran) {
  *ran = false;
  tag_ = o.tagBase;
  barrier_ = 0;
  if (state_ == State::Unset) HCCL_TRY(setup(o.tagBase));
  if (state_ != State::On) return Status::Success;
  *ran = true;
  if (o.args.count == 0) return Status::Success;
  bool mapped = false;
  HCCL_TRY(mapBuffers(o, &mapped));
  const MemoryArgs args{o.args, o.average, pieceShape(o).elems, regionBytes_};
  const size_t pieces = mapped ? 1 : scratchPieces(args);
  for (size_t k = 0; k < pieces; ++k) {
    const MemoryPlan plan = mapped ? planMappedCall(args) : planScratchPiece(args, k);
    if (plan.phases.empty())
      return fail(Status::InternalError, "rank %d: the IPC path has no plan for %s of %zu elements", comm_.rank(),
                  collKindName(o.args.kind), o.args.count);
    HCCL_TRACE(Coll, "%s %s plan (piece %zu of %zu):\n%s", collKindName(o.args.kind), mapped ? "mapped" : "scratch",
               k + 1, pieces, plan.describe().c_str());
    HCCL_TRY(runPlan(o, plan, mapped));
  }
  return Status::Success;
}

// ---- setup ----------------------------------------------------------------------------------

Status IpcPath::setup(uint64_t tag) {
  const int n = comm_.nranks(), me = comm_.rank();
  scratch_.resize(n, nullptr);
  local_.assign(n, 0);
  HandleRecord mine{};
  mine.regionBytes = regionBytes_;
  mine.device = device_.deviceIndex();
  mine.process = processToken();
  mine.scratch = reinterpret_cast<uintptr_t>(scratch_[me]);
  mine.willing = scratch_[me] != nullptr && stream_ != nullptr &&
                 !failed(device_.exportIpcHandle(mine.handle, scratch_[me], nullptr));
  std::vector<char> all;
  HCCL_TRY(exchange(tag | kHandlesTag, &mine, sizeof(mine), &all));
  // Everyone willing: open every peer's scratch.
  int32_t opened = 1;
  int refusedBy = -1;
  for (int r = 0; r < n; ++r) {
    const HandleRecord theirs = recordOf<HandleRecord>(all, r);
    if (!theirs.willing || theirs.regionBytes != regionBytes_) {
      opened = 0;
      refusedBy = r;
      break;
    }
  }
  for (int r = 0; r < n && opened; ++r) {
    if (r == me) continue;
    const HandleRecord theirs = recordOf<HandleRecord>(all, r);
    std::string why;
    if (theirs.process == mine.process) {  // CUDA opens no handle in the process that made it
      if (theirs.device != mine.device && failed(device_.enablePeerAccess(theirs.device, &why))) {
        HCCL_INFO(Init, "rank %d: no peer access to device %d: %s", me, theirs.device, why.c_str());
        opened = 0;
        break;
      }
      scratch_[r] = reinterpret_cast<char*>(theirs.scratch);
      local_[r] = 1;
      continue;
    }
    void* peer = nullptr;
    if (failed(device_.openIpcHandle(&peer, theirs.handle, &why))) {
      HCCL_INFO(Init, "rank %d: cannot open rank %d's IPC handle: %s", me, r, why.c_str());
      opened = 0;
      break;
    }
    scratch_[r] = static_cast<char*>(peer);
  }
  HCCL_TRY(exchange(tag | kAgreeTag, &opened, sizeof(opened), &all));
  const int failedAt = firstRefusal(all, n);
  if (failedAt < 0) {
    state_ = State::On;
    HCCL_INFO(Init, "rank %d: collectives run device to device (%d ranks, IPC scratch %zu bytes each)",
              me, n, 2 * regionBytes_);
    return Status::Success;
  }
  state_ = State::Off;  // what was allocated or opened goes at destruction (see there)
  if (refusedBy >= 0)
    HCCL_INFO(Init, "rank %d: collectives stay staged through host memory: rank %d has no IPC scratch "
              "(HCCL_DEVICE_DIRECT=0, allocation failed, or another HCCL_DEVICE_PIECE_BYTES)", me, refusedBy);
  else
    HCCL_INFO(Init, "rank %d: collectives stay staged through host memory: rank %d cannot open its "
              "peers' IPC handles", me, failedAt);
  return Status::Success;
}

Status IpcPath::exchange(uint64_t tag, const void* mine, size_t bytes, std::vector<char>* all) {
  all->assign(static_cast<size_t>(comm_.nranks()) * bytes, 0);
  return allGatherOnMesh(comm_, tag, mine, bytes, all->data());
}

// ---- phases ---------------------------------------------------------------------------------

Status IpcPath::phaseEnd(Operation& o, Status local) {
  // Even after a failed launch, what was issued must land before any rank moves on.
  const Status synced = device_.syncStream(stream_, "device-direct phase");
  if (!failed(local)) local = synced;
  const int32_t mine = static_cast<int32_t>(local);
  std::vector<char> all;
  HCCL_TRY(exchange(tag_ | ++barrier_, &mine, sizeof(mine), &all));
  if (failed(local)) return local;
  for (int r = 0; r < comm_.nranks(); ++r) {
    const int32_t theirs = recordOf<int32_t>(all, r);
    if (theirs < 0)
      return fail(Status::RemoteError, "rank %d: %s failed on rank %d (%s)", comm_.rank(),
                  collKindName(o.args.kind), r, statusName(static_cast<Status>(theirs)));
  }
  return Status::Success;
}

// ---- mapped calls ---------------------------------------------------------------------------

namespace {

struct CallRecord {
  BufferRecord send, recv;
  int32_t oneShot;  // this rank's call can run in one mapped phase
  int32_t pad;
};

}  // namespace

Status IpcPath::mapBuffers(Operation& o, bool* mapped) {
  *mapped = false;
  const int n = o.args.nranks, me = o.args.rank;
  const size_t blockBytes = o.args.count * o.args.elemSize;
  const Blocks mine = blocksOf(o.args, me);
  CallRecord record{};
  record.send = buffers_.describe(o.send, mine.in * blockBytes);
  record.recv = buffers_.describe(o.recv, mine.out * blockBytes);
  record.oneShot = !o.preMultiply &&
                   !(o.args.kind == CollKind::AllToAll && (o.args.inPlace || o.args.inputAliasesOutput));
  std::vector<char> all;
  HCCL_TRY(exchange(tag_ | ++barrier_, &record, sizeof(record), &all));
  std::vector<CallRecord> records(n);
  memcpy(records.data(), all.data(), n * sizeof(CallRecord));
  // Every rank sees the same records, so every rank reaches the same verdict.
  auto fits = [](const BufferRecord& b, size_t bytes) { return b.usable && b.bytes == bytes && b.insideRange(); };
  bool known = true;  // every buffer was mapped by every rank in an earlier agreed call
  for (int r = 0; r < n; ++r) {
    const Blocks b = blocksOf(o.args, r);
    const CallRecord& c = records[r];
    if (!c.oneShot || !fits(c.send, b.in * blockBytes) || !fits(c.recv, b.out * blockBytes))
      return Status::Success;
    for (const BufferRecord* buffer : {&c.send, &c.recv})
      known = known && (buffer->bytes == 0 || agreed_.count({r, buffer->base, buffer->bufferId}) > 0);
  }
  peerSend_.assign(n, nullptr);
  peerRecv_.assign(n, nullptr);
  int32_t opened = 1;
  for (int r = 0; r < n && opened; ++r) {
    if (r == me) {
      peerSend_[r] = o.send;
      peerRecv_[r] = o.recv;
      continue;
    }
    if (local_[r]) {  // same process: the record's address is ours too
      peerSend_[r] = reinterpret_cast<const char*>(records[r].send.base + records[r].send.offset);
      peerRecv_[r] = reinterpret_cast<char*>(records[r].recv.base + records[r].recv.offset);
      continue;
    }
    if (records[r].send.bytes > 0) opened = (peerSend_[r] = buffers_.map(r, records[r].send)) != nullptr;
    if (opened && records[r].recv.bytes > 0) opened = (peerRecv_[r] = buffers_.map(r, records[r].recv)) != nullptr;
  }
  // Known buffers are cache hits on every rank: no need to ask whether every rank opened them.
  if (known) {
    if (!opened) return fail(Status::InternalError, "rank %d: a buffer every rank had mapped is gone", me);
    *mapped = true;
    return Status::Success;
  }
  HCCL_TRY(exchange(tag_ | ++barrier_, &opened, sizeof(opened), &all));
  if (firstRefusal(all, n) >= 0) return Status::Success;
  for (int r = 0; r < n; ++r)
    for (const BufferRecord* buffer : {&records[r].send, &records[r].recv})
      if (buffer->bytes > 0) agreed_.insert({r, buffer->base, buffer->bufferId});
  *mapped = true;
  return Status::Success;
}

}  // namespace hccl
