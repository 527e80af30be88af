// The data movement of device-to-device calls (ipc_path.h): a MemoryPlan's steps as copies and
// kernels on the path's stream, a barrier after every phase.
#include "device/ipc_path.h"

#include <algorithm>

#include "backends/device_backend.h"
#include "base/error.h"
#include "exec/comm_context.h"

namespace hccl {

Status IpcPath::copy(void* dst, const void* src, size_t bytes) {
  if (bytes == 0 || dst == src) return Status::Success;
  return device_.copyAsync(dst, src, bytes, stream_, "device-direct copy");
}

Status IpcPath::reduceInto(Operation& o, char* dst, char* dst2, const std::vector<const char*>& sources,
                                size_t count) {
  if (count == 0) return Status::Success;
  if (o.preMultiply)
    for (const char* s : sources) HCCL_TRY(device_.scaleAsync(const_cast<char*>(s), s, count, o.type, o.scalar, stream_));
  if (sources.size() == 1) {
    HCCL_TRY(copy(dst, sources[0], count * o.args.elemSize));
    if (dst2 != nullptr) HCCL_TRY(copy(dst2, sources[0], count * o.args.elemSize));
  }
  for (size_t k = 1; k < sources.size(); ++k) {
    const char* a = k == 1 ? sources[0] : dst;
    char* second = k + 1 == sources.size() ? dst2 : nullptr;
    HCCL_TRY(device_.reduceAsync(dst, second, a, sources[k], count, o.type, o.op, stream_));
  }
  if (o.average && o.args.nranks > 1)
    HCCL_TRY(device_.divideAsync(dst, count, o.type, o.args.nranks, stream_));
  return Status::Success;
}

// ---- running a plan ---------------------------------------------------------------------------

char* IpcPath::resolve(const Operation& o, const MemRegion& r, bool mapped) const {
  const int me = comm_.rank();
  if (r.rank < 0 || r.rank >= comm_.nranks()) return nullptr;
  switch (r.buffer) {
    case MemBuffer::Send:
      if (r.rank == me) return const_cast<char*>(o.send);
      return mapped ? const_cast<char*>(peerSend_[r.rank]) : nullptr;
    case MemBuffer::Recv:
      if (r.rank == me) return o.recv;
      return mapped ? peerRecv_[r.rank] : nullptr;
    case MemBuffer::ScratchIn: return scratch_[r.rank];
    case MemBuffer::ScratchOut: return scratch_[r.rank] == nullptr ? nullptr : scratch_[r.rank] + regionBytes_;
  }
  return nullptr;
}

Status IpcPath::runStep(Operation& o, const MemStep& step, bool mapped) {
  auto where = [&](const MemRegion& r) -> char* {
    char* base = resolve(o, r, mapped);
    return base == nullptr ? nullptr : base + r.offset;
  };
  char* dst = where(step.dst);
  std::vector<const char*> sources;
  for (const MemRegion& r : step.sources) sources.push_back(where(r));
  char* dst2 = step.dst2.rank >= 0 ? where(step.dst2) : nullptr;
  const bool reachable = dst != nullptr && !sources.empty() &&
                         std::none_of(sources.begin(), sources.end(), [](const char* p) { return p == nullptr; }) &&
                         (step.dst2.rank < 0 || dst2 != nullptr);
  if (!reachable) return fail(Status::InternalError, "rank %d: an IPC plan step reaches memory not mapped here", comm_.rank());
  if (step.kind == MemStepKind::Copy) return copy(dst, sources[0], step.bytes);
  return reduceInto(o, dst, dst2, sources, step.bytes / o.args.elemSize);
}

// Every phase ends with a barrier: all ranks' inputs of the next phase are then in place, and
// nobody reads an output before the phase that writes it has ended everywhere.
Status IpcPath::runPlan(Operation& o, const MemoryPlan& plan, bool mapped) {
  for (const MemPhase& phase : plan.phases) {
    Status s = Status::Success;
    for (size_t i = 0; i < phase.steps.size() && !failed(s); ++i) s = runStep(o, phase.steps[i], mapped);
    HCCL_TRY(phaseEnd(o, s));
  }
  return Status::Success;
}

}  // namespace hccl
