// The data movement of device-to-device calls (ipc_path.h): a MemoryPlan's steps as copies and
// kernels on the caller's stream.
#include <algorithm>

#include "backends/device_backend.h"
#include "base/error.h"
#include "device/ipc_path.h"
#include "exec/comm_context.h"

namespace hccl {

Status IpcPath::reduceInto(Operation& o, char* dst, const std::vector<const char*>& sources, size_t count,
                           void* stream) {
  if (count == 0) return Status::Success;
  if (sources.size() == 1 && dst != sources[0])
    HCCL_TRY(device_.copyAsync(dst, sources[0], count * o.args.elemSize, stream, "IPC copy"));
  for (size_t k = 1; k < sources.size(); ++k)
    HCCL_TRY(device_.reduceAsync(dst, nullptr, k == 1 ? sources[0] : dst, sources[k], count, o.type, o.op, stream));
  if (o.average && o.args.nranks > 1) HCCL_TRY(device_.divideAsync(dst, count, o.type, o.args.nranks, stream));
  return Status::Success;
}

char* IpcPath::resolve(const Operation& o, const MemRegion& r) const {
  const int me = comm_.rank();
  if (r.rank < 0 || r.rank >= comm_.nranks()) return nullptr;
  char* scratch = scratch_[r.rank];
  switch (r.buffer) {
    case MemBuffer::Send: return r.rank == me ? const_cast<char*>(o.send) : nullptr;
    case MemBuffer::Recv: return r.rank == me ? o.recv : nullptr;
    case MemBuffer::ScratchIn: return scratch == nullptr ? nullptr : scratch + flagBytes_;
    case MemBuffer::ScratchOut: return scratch == nullptr ? nullptr : scratch + flagBytes_ + regionBytes_;
  }
  return nullptr;
}

Status IpcPath::runStep(Operation& o, const MemStep& step, void* stream) {
  auto where = [&](const MemRegion& r) -> char* {
    char* base = resolve(o, r);
    return base == nullptr ? nullptr : base + r.offset;
  };
  char* dst = where(step.dst);
  std::vector<const char*> sources;
  for (const MemRegion& r : step.sources) sources.push_back(where(r));
  const bool reachable = dst != nullptr && !sources.empty() &&
                         std::none_of(sources.begin(), sources.end(), [](const char* p) { return p == nullptr; });
  if (!reachable) return fail(Status::InternalError, "rank %d: an IPC plan step reaches memory not mapped here", comm_.rank());
  if (step.kind == MemStepKind::Copy)
    return dst == sources[0] ? Status::Success : device_.copyAsync(dst, sources[0], step.bytes, stream, "IPC copy");
  return reduceInto(o, dst, sources, step.bytes / o.args.elemSize, stream);
}

}  // namespace hccl
