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
#include "device/stream_gate.h"
#include "exec/comm_context.h"
#include "exec/mesh.h"

namespace hccl {
namespace {

struct HandleRecord {
  int32_t willing;  // scratch allocated and HCCL_DEVICE_DIRECT on
  int32_t device;
  uint64_t scratchBytes;  // must be equal everywhere (HCCL_DEVICE_PIECE_BYTES)
  uint64_t process;       // ranks of one process use each other's pointers as they are
  uint64_t scratch;
  uint8_t handle[DeviceBackend::kIpcHandleBytes];
};

// Rank r's record in what allGatherOnMesh gathered.
template <class Record>
Record recordOf(const std::vector<char>& all, int r) {
  Record record;
  memcpy(&record, all.data() + r * sizeof(Record), sizeof(Record));
  return record;
}

// Random per process: a pid may repeat across containers that share a host.
uint64_t processToken() {
  static const uint64_t token = [] {
    std::random_device seed;
    return (uint64_t{seed()} << 32) ^ seed() ^ static_cast<uint64_t>(getpid());
  }();
  return token;
}

template <class Record>
Status gather(CommContext& comm, uint64_t tag, const Record& mine, std::vector<char>* all) {
  all->assign(static_cast<size_t>(comm.nranks()) * sizeof(Record), 0);
  return allGatherOnMesh(comm, tag, &mine, sizeof(Record), all->data());
}

}  // namespace

IpcPath::IpcPath(CommContext& comm, DeviceBackend& device, StreamGate& gate)
    : comm_(comm), device_(device), gate_(gate) {
  const RankInfo& self = comm.ranks()[comm.rank()];
  candidate_ = std::all_of(comm.ranks().begin(), comm.ranks().end(), [&](const RankInfo& r) {
    return r.hostHash == self.hostHash && r.backend == self.backend;
  });
  // Pieces are HCCL_DEVICE_PIECE_BYTES per rank; slots round each block up to kScratchSlotAlign,
  // and a block holds at least one element even when that exceeds the piece.
  const int n = comm.nranks();
  flagBytes_ = scratchSlotBytes(static_cast<size_t>(n) * sizeof(uint32_t));
  regionBytes_ = scratchSlotBytes(comm.config().devicePieceBytes) + static_cast<size_t>(n) * (kScratchSlotAlign + 16);
}

// Runs once no stream of this communicator can be in a call any more (GpuQueue's teardown).
IpcPath::~IpcPath() {
  DeviceScope scope(device_);
  for (int r = 0; r < static_cast<int>(scratch_.size()); ++r) {
    if (scratch_[r] == nullptr) continue;
    if (r == comm_.rank()) device_.freeDevice(scratch_[r]);
    else if (!local_[r]) device_.closeIpcHandle(scratch_[r]);
  }
}

Status IpcPath::setup() {
  if (!candidate_) return Status::Success;
  const int n = comm_.nranks(), me = comm_.rank();
  const size_t scratchBytes = flagBytes_ + 2 * regionBytes_;
  scratch_.assign(n, nullptr);
  local_.assign(n, 0);
  HandleRecord mine{};
  mine.scratchBytes = scratchBytes;
  mine.device = device_.deviceIndex();
  mine.process = processToken();
  if (comm_.config().deviceDirect) {
    void* base = nullptr;
    const std::vector<char> zeros(flagBytes_, 0);
    if (!failed(device_.allocate(&base, scratchBytes))) {
      scratch_[me] = static_cast<char*>(base);
      mine.willing = !failed(device_.copy(base, zeros.data(), flagBytes_)) &&
                     !failed(device_.exportIpcHandle(mine.handle, base, nullptr));
    }
    mine.scratch = reinterpret_cast<uintptr_t>(base);
  }
  const uint64_t tag = comm_.nextCollectiveTag();
  std::vector<char> all;
  HCCL_TRY(gather(comm_, tag | 1, mine, &all));
  int32_t opened = 1;
  for (int r = 0; r < n && opened; ++r) {
    const HandleRecord theirs = recordOf<HandleRecord>(all, r);
    if (!theirs.willing || theirs.scratchBytes != scratchBytes) {
      HCCL_INFO(Init, "rank %d: collectives stay staged through host memory: rank %d has no IPC scratch "
                "(HCCL_DEVICE_DIRECT=0, allocation failed, or another HCCL_DEVICE_PIECE_BYTES)", me, r);
      opened = 0;
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
  HCCL_TRY(gather(comm_, tag | 2, opened, &all));
  on_ = true;
  for (int r = 0; r < n; ++r) on_ = on_ && recordOf<int32_t>(all, r) != 0;
  // What was allocated or opened goes at destruction either way.
  if (on_)
    HCCL_INFO(Init, "rank %d: collectives run device to device (%d ranks, IPC scratch %zu bytes each)", me, n,
              scratchBytes);
  return Status::Success;
}

bool IpcPath::eligible(const Operation& o) const {
  if (!on_ || isPointToPoint(o.args.kind)) return false;
  // PreMulSum's factor may live in device memory only the staged path reads when the call runs;
  // a HIP rank may hold FNUZ fp8, which only the staged path converts (base/fp8_encoding.h).
  if (o.preMultiply) return false;
  if (isFp8Type(o.type) && device_.kind() == BackendKind::Hip) return false;
  return true;
}

// ---- enqueueing a call ---------------------------------------------------------------------

Status IpcPath::appendSteps(Operation& o, void* stream, StreamSteps* steps) {
  if (o.args.count == 0) return Status::Success;
  // Pieces a multiple of 16 bytes, so that every rank's chunks start 16-byte aligned.
  const size_t lanes = std::max<size_t>(16 / std::max<size_t>(o.args.elemSize, 1), 1);
  const size_t pieceElems = std::max(pieceShape(o).elems / lanes * lanes, lanes);
  const MemoryArgs args{o.args, pieceElems, regionBytes_};
  const size_t pieces = scratchPieces(args);
  uint32_t pending = 0;  // the barrier the next step waits for first (0: none)
  for (size_t k = 0; k < pieces; ++k) {
    MemoryPlan plan = planScratchPiece(args, k);
    if (plan.phases.empty())
      return fail(Status::InternalError, "rank %d: the IPC path has no plan for %s of %zu elements", comm_.rank(),
                  collKindName(o.args.kind), o.args.count);
    HCCL_TRACE(Coll, "%s plan (piece %zu of %zu):\n%s", collKindName(o.args.kind), k + 1, pieces,
               plan.describe().c_str());
    for (MemPhase& phase : plan.phases) {
      const uint32_t barrier = ++barrier_;
      steps->push_back([this, &o, stream, pending, barrier, work = std::move(phase.steps)]() -> Status {
        if (pending != 0) HCCL_TRY(waitBarrier(pending, stream));
        for (const MemStep& step : work) HCCL_TRY(runStep(o, step, stream));
        return signalBarrier(barrier, stream);
      });
      pending = barrier;
    }
  }
  steps->push_back([this, stream, pending] { return waitBarrier(pending, stream); });
  return Status::Success;
}

uint32_t* IpcPath::flag(int owner, int writer) const {
  return reinterpret_cast<uint32_t*>(scratch_[owner]) + writer;
}

// Once this rank's phase is done on its stream, every peer learns it.
Status IpcPath::signalBarrier(uint32_t barrier, void* stream) {
  const int me = comm_.rank();
  for (int r = 0; r < comm_.nranks(); ++r)
    if (r != me) HCCL_TRY(device_.writeValue(stream, flag(r, me), barrier));
  return Status::Success;
}

Status IpcPath::waitBarrier(uint32_t barrier, void* stream) {
  const int me = comm_.rank();
  for (int r = 0; r < comm_.nranks(); ++r)
    if (r != me) HCCL_TRY(device_.waitFlag(stream, flag(me, r), barrier, gate_.abortOnDevice()));
  return Status::Success;
}

}  // namespace hccl
