#include "device/gpu_queue.h"

#include <algorithm>

#include "backends/device_backend.h"
#include "base/error.h"
#include "base/log.h"
#include "device/staged_pipeline.h"
#include "exec/comm_context.h"
#include "exec/executor.h"

namespace hccl {

GpuQueue::GpuQueue(CommContext& comm, DeviceBackend& device)
    : comm_(comm), device_(device), gate_(comm, device), staging_(&device), direct_(comm, device) {}

Status GpuQueue::start() {
  HCCL_TRY(gate_.start());
  // Allocations now, before any gate of this communicator can hold a stream.
  direct_.prepare();
  HCCL_TRY(staging_.preallocate(2 * comm_.config().devicePieceBytes + 4096));
  HCCL_TRY(staging_.attachWindows(comm_));
  thread_ = std::thread([this] { loop(); });
  HCCL_INFO(Init, "rank %d: progress thread for %s device %d", comm_.rank(), device_.name(),
            device_.deviceIndex());
  return Status::Success;
}

GpuQueue::~GpuQueue() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

// A one-rank communicator's calls copy (or scale) input to output: issued straight on the
// caller's streams, with no progress thread involved, so they cost one launch and may be captured
// into a graph. Not for factors read from memory, inputs staged on the host, PreMulSum on buffers
// a kernel cannot reach (host memory), or groups spanning several streams (which the gate joins).
bool GpuQueue::onStreamOnly(const std::vector<std::unique_ptr<Operation>>& ops) const {
  if (comm_.nranks() != 1) return false;
  const bool oneStream = std::all_of(ops.begin(), ops.end(), [&](const auto& o) { return o->stream == ops[0]->stream; });
  return oneStream && std::none_of(ops.begin(), ops.end(), [&](const auto& o) {
    auto hostBuffers = [&] { return !device_.isDeviceMemory(o->send) || !device_.isDeviceMemory(o->recv); };
    return o->scalarSource != nullptr || !o->stagedInput.empty() || (o->preMultiply && hostBuffers()) ||
           convertsFp8(*o);  // FNUZ inputs convert on the host path
  });
}

Status GpuQueue::runOnStreams(const std::vector<std::unique_ptr<Operation>>& ops) {
  for (const auto& o : ops) {
    const size_t count = o->args.count, bytes = count * o->args.elemSize;
    const bool reduces = o->args.kind == CollKind::AllReduce || o->args.kind == CollKind::Reduce ||
                         o->args.kind == CollKind::ReduceScatter;
    if (o->args.kind == CollKind::Send || count == 0) continue;  // the paired receive copies
    if (reduces && o->preMultiply) {
      HCCL_TRY(device_.scaleAsync(o->recv, o->send, count, o->type, o->scalar, o->stream));
    } else if (o->recv != o->send) {
      HCCL_TRY(device_.copyAsync(o->recv, o->send, bytes, o->stream, "copy"));
    }
  }
  return Status::Success;
}

Status GpuQueue::enqueue(std::vector<std::unique_ptr<Operation>> ops) {
  HCCL_TRY(device_.select());
  if (onStreamOnly(ops)) return runOnStreams(ops);
  std::vector<void*> streams;
  for (auto& o : ops)
    if (std::find(streams.begin(), streams.end(), o->stream) == streams.end()) streams.push_back(o->stream);
  for (void* s : streams) {
    bool capturing = false;
    HCCL_TRY(device_.isCapturing(s, &capturing));
    if (capturing)
      return reject(Status::InvalidUsage,
                    "rank %d: %s on a stream that is being captured into a graph: hccl does not "
                    "support graph capture of collectives on GPU ranks yet; call it outside capture",
                    comm_.rank(), collKindName(ops[0]->args.kind));
  }
  const uint32_t seq = ++nextSeq_;
  const Status held = gate_.hold(streams, seq);
  {
    // A gate that failed half-way may already hold a stream: its batch still releases it, in
    // order, after the batches before it have run.
    std::lock_guard<std::mutex> lock(mutex_);
    if (failed(held)) queue_.push_back(Batch{seq, {}, false});
    else queue_.push_back(Batch{seq, std::move(ops), true});
  }
  cv_.notify_one();
  return held;
}

void GpuQueue::drain() {
  std::unique_lock<std::mutex> lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && !running_; });
}

void GpuQueue::run(Batch& batch) {
  std::lock_guard<std::mutex> busy(comm_.busy());
  if (failed(comm_.state())) return;  // the stream is released; the error stays reported
  Status s = runBatch(batch);
  if (failed(s) && !failed(comm_.state())) {
    comm_.setLastError(threadLastError());
    comm_.fail(s);
  }
}

// Collectives in call order, each device to device when it can be. The calls in between run
// staged, a run of them in one runInPieces (which pipelines consecutive calls); the batch's sends
// and receives all join the run where the first of them was called, as runInPieces itself
// groups them, so no rank waits on a send that sits behind a collective.
Status GpuQueue::runBatch(Batch& batch) {
  std::vector<Operation*> staged;
  bool p2pPlaced = false;
  for (auto& o : batch.ops) {
    // PreMulSum's factor in memory (ncclScalarDevice, or host memory) holds what the stream
    // wrote before the call.
    if (o->scalarSource != nullptr)
      HCCL_TRY(device_.copy(o->scalar, o->scalarSource, dataTypeSize(o->type)));
    if (isPointToPoint(o->args.kind)) {
      if (!p2pPlaced)
        for (auto& p : batch.ops)
          if (isPointToPoint(p->args.kind)) staged.push_back(p.get());
      p2pPlaced = true;
      continue;
    }
    bool ran = false;
    if (direct_.eligible(*o)) {
      if (!staged.empty()) HCCL_TRY(runInPieces(staged, staging_));
      staged.clear();
      HCCL_TRY(direct_.run(*o, &ran));
    }
    if (!ran) staged.push_back(o.get());
  }
  return staged.empty() ? Status::Success : runInPieces(staged, staging_);
}

void GpuQueue::loop() {
  logSetThreadRank(comm_.rank());
  device_.select();
  for (;;) {
    Batch batch;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      batch = std::move(queue_.front());
      queue_.pop_front();
      running_ = true;
    }
    if (batch.held) {
      const Status s = gate_.waitReached(batch.seq);
      if (!failed(s)) {
        run(batch);
      } else if (!failed(comm_.state())) {
        comm_.setLastError(threadLastError());
        comm_.fail(s);
      }
    }
    gate_.release(batch.seq);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      running_ = false;
    }
    idle_.notify_all();
  }
}

}  // namespace hccl
