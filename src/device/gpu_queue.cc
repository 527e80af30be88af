#include "device/gpu_queue.h"

#include <algorithm>

#include "backends/device_backend.h"
#include "base/backoff.h"
#include "base/error.h"
#include "base/log.h"
#include "exec/comm_context.h"
#include "exec/executor.h"

namespace hccl {
namespace {

// How often a waiting progress thread asks whether the peers are alive.
constexpr auto kPeerCheckInterval = std::chrono::milliseconds(20);
// A peer that is gone fails the communicator only if no batch retires for this long: a peer that
// finished its calls and exited left every flag this rank still waits for written.
constexpr auto kPeerGoneGrace = std::chrono::seconds(1);
// Events made at init: the end of the last batch, and joins of a group's other streams.
constexpr int kInitialEvents = 8;

}  // namespace

GpuQueue::GpuQueue(CommContext& comm, DeviceBackend& device)
    : comm_(comm), device_(device), gate_(device), slots_(&device), ipc_(comm, device, gate_) {}

Status GpuQueue::start() {
  DeviceScope scope(device_);
  HCCL_TRY(scope.status());
  HCCL_TRY(device_.preloadKernels());
  HCCL_TRY(gate_.start());
  HCCL_TRY(slots_.preallocate(2 * comm_.config().devicePieceBytes + 4096));
  for (int i = 0; i < kInitialEvents; ++i) {
    void* event = nullptr;
    HCCL_TRY(device_.createEvent(&event));
    events_.push_back(event);
  }
  HCCL_TRY(ipc_.setup());
  stallSince_ = lastPeerCheck_ = Clock::now();
  thread_ = std::thread([this] { loop(); });
  HCCL_INFO(Init, "rank %d: progress thread for %s device %d", comm_.rank(), device_.name(), device_.deviceIndex());
  return Status::Success;
}

GpuQueue::~GpuQueue() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  // A failed or aborted communicator's streams must not stay held: frees wait for the device.
  if (failed(comm_.state()) || comm_.abortRequested()) gate_.abortAll();
  DeviceScope scope(device_);
  for (void* event : events_) device_.destroyEvent(event);
}

// ---- the API side ------------------------------------------------------------------------------

// A one-rank communicator's calls copy (or scale) input to output: issued straight on the
// caller's streams, with no progress thread involved, so they cost one launch and may be captured
// into a graph. Not for factors read from memory, PreMulSum on buffers a kernel cannot reach
// (host memory), FNUZ inputs (converted on the host path), or groups spanning several streams.
bool GpuQueue::onStreamOnly(const std::vector<std::unique_ptr<Operation>>& ops) const {
  if (comm_.nranks() != 1) return false;
  const bool oneStream = std::all_of(ops.begin(), ops.end(), [&](const auto& o) { return o->stream == ops[0]->stream; });
  return oneStream && std::none_of(ops.begin(), ops.end(), [&](const auto& o) {
    auto hostBuffers = [&] { return !device_.isDeviceMemory(o->send) || !device_.isDeviceMemory(o->recv); };
    return o->scalarSource != nullptr || (o->preMultiply && hostBuffers()) || convertsFp8(*o);
  });
}

Status GpuQueue::runOnStreams(const std::vector<Operation*>& ops) {
  for (const Operation* o : ops) {
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

Status GpuQueue::streamsOf(const std::vector<std::unique_ptr<Operation>>& ops, std::vector<void*>* streams) {
  for (const auto& o : ops)
    if (std::find(streams->begin(), streams->end(), o->stream) == streams->end()) streams->push_back(o->stream);
  for (void* s : *streams) {
    bool capturing = false;
    HCCL_TRY(device_.isCapturing(s, &capturing));
    if (capturing)
      return reject(Status::InvalidUsage,
                    "rank %d: %s on a stream that is being captured into a graph: hccl does not "
                    "support graph capture of collectives on GPU ranks yet; call it outside capture",
                    comm_.rank(), collKindName(ops[0]->args.kind));
  }
  // Events for the joins, made now if the group has more streams than init made events for.
  while (events_.size() < streams->size()) {
    void* event = nullptr;
    HCCL_TRY(device_.createEvent(&event));
    events_.push_back(event);
  }
  return Status::Success;
}

// The gate's words count in stream order: a batch on another stream than the last one's starts
// after it. A group's other streams join the first, which carries the batch.
void GpuQueue::addPrologue(const std::vector<void*>& streams, StreamSteps* steps) {
  const bool follow = issued_ > 0 && lastStream_ != streams[0];
  std::vector<void*> joined(streams.begin() + 1, streams.end());
  steps->push_back([this, follow, primary = streams[0], joined]() -> Status {
    if (follow) HCCL_TRY(device_.streamWaitEvent(primary, events_[0]));
    for (size_t i = 0; i < joined.size(); ++i) {
      HCCL_TRY(device_.recordEvent(events_[i + 1], joined[i]));
      HCCL_TRY(device_.streamWaitEvent(primary, events_[i + 1]));
    }
    return Status::Success;
  });
  lastStream_ = streams[0];
}

void GpuQueue::addEpilogue(const std::vector<void*>& streams, StreamSteps* steps) {
  const uint32_t batch = ++issued_;
  steps->push_back([this, batch, streams]() -> Status {
    HCCL_TRY(gate_.signalRetired(streams[0], batch));
    HCCL_TRY(device_.recordEvent(events_[0], streams[0]));
    for (size_t i = 1; i < streams.size(); ++i) HCCL_TRY(device_.streamWaitEvent(streams[i], events_[0]));
    return Status::Success;
  });
}

// Collectives in call order, each device to device when it can be; the calls in between are
// staged, a run of them together (which pipelines consecutive calls). The batch's sends and
// receives all join the run where the first of them was called, as planRounds groups them, so
// no rank waits on a send that sits behind a collective.
Status GpuQueue::prepare(std::vector<std::unique_ptr<Operation>> ops, GpuBatch* batch) {
  DeviceScope scope(device_);
  HCCL_TRY(scope.status());
  batch->ops = std::move(ops);
  std::vector<std::unique_ptr<Operation>>& mine = batch->ops;
  StreamSteps& steps = batch->steps;
  if (onStreamOnly(mine)) {
    std::vector<Operation*> calls;
    for (auto& o : mine) calls.push_back(o.get());
    steps.push_back([this, calls] { return runOnStreams(calls); });
  } else {
    std::vector<void*> streams;
    HCCL_TRY(streamsOf(mine, &streams));
    void* stream = streams[0];
    addPrologue(streams, &steps);
    std::vector<Operation*> staged;
    auto flushStaged = [&]() -> Status {
      if (staged.empty()) return Status::Success;
      batch->runs.push_back(std::make_unique<StagedRun>());
      HCCL_TRY(appendStagedSteps(staged, stream, device_, gate_, slots_, batch->runs.back().get(), &steps));
      staged.clear();
      return Status::Success;
    };
    bool p2pPlaced = false;
    for (auto& o : mine) {
      if (isPointToPoint(o->args.kind)) {
        if (!p2pPlaced)
          for (auto& p : mine)
            if (isPointToPoint(p->args.kind)) staged.push_back(p.get());
        p2pPlaced = true;
        continue;
      }
      if (!ipc_.eligible(*o)) {
        staged.push_back(o.get());
        continue;
      }
      HCCL_TRY(flushStaged());
      HCCL_TRY(ipc_.appendSteps(*o, stream, &steps));
    }
    HCCL_TRY(flushStaged());
    addEpilogue(streams, &steps);
  }
  // Each step runs with this rank's device current: one thread may emit several devices' steps.
  for (StreamStep& step : steps)
    step = [this, inner = std::move(step)]() -> Status {
      HCCL_TRY(device_.select());
      return inner();
    };
  return Status::Success;
}

void GpuQueue::submit(GpuBatch batch, Status emitted) {
  if (failed(emitted)) {
    failAndRelease(emitted);
    return;
  }
  submitted_.store(issued_, std::memory_order_release);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!batch.runs.empty()) queue_.push_back(Job{std::move(batch.ops), std::move(batch.runs)});
  }
  cv_.notify_one();
  // The progress thread may have failed the communicator while these steps were emitted.
  if (failed(comm_.state())) gate_.abortAll();
}

void GpuQueue::drain() {
  std::unique_lock<std::mutex> lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && !running_; });
}

void GpuQueue::failAndRelease(Status s) {
  if (!failed(comm_.state())) {
    comm_.setLastError(threadLastError());
    comm_.fail(s);
  }
  gate_.abortAll();
}

// ---- the progress thread: host work only ----------------------------------------------------

void GpuQueue::loop() {
  logSetThreadRank(comm_.rank());
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      // Stopping waits (watching) until the device has retired every batch, or the communicator
      // has failed.
      auto finished = [this] {
        return gate_.retired() == submitted_.load(std::memory_order_acquire) || failed(comm_.state());
      };
      cv_.wait_for(lock, kPeerCheckInterval, [&] { return !queue_.empty() || (stop_ && finished()); });
      if (queue_.empty() && stop_ && finished()) return;
      if (!queue_.empty()) {
        job = std::move(queue_.front());
        queue_.pop_front();
        running_ = true;
      }
    }
    if (job.runs.empty()) {
      watch();
      continue;
    }
    runJob(job);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      running_ = false;
    }
    idle_.notify_all();
  }
}

void GpuQueue::runJob(Job& job) {
  for (const auto& run : job.runs)
    for (const GatedRound& g : run->gated) {
      Status s = waitReached(g.seq);
      if (!failed(s)) {
        std::lock_guard<std::mutex> busy(comm_.busy());
        s = failed(comm_.state()) ? comm_.state() : runRound(*g.round, g.slot);
      }
      if (failed(s)) {
        failAndRelease(s);
        return;
      }
      gate_.release(g.seq);
    }
  stallSince_ = Clock::now();
}

Status GpuQueue::waitReached(uint32_t seq) {
  const Clock::time_point since = Clock::now();
  Backoff backoff(comm_.oversubscribed());
  // The round's own exchange finds a peer that is gone (after draining what it sent).
  while (!gate_.hasReached(seq)) {
    if (!backoff.tick()) continue;
    HCCL_TRY(health(since));
    backoff.rest();
  }
  return Status::Success;
}

Status GpuQueue::health(Clock::time_point since) {
  if (comm_.abortRequested())
    return fail(Status::Aborted, "rank %d: communicator aborted with calls on the device", comm_.rank());
  if (failed(comm_.state())) return comm_.state();
  if (Clock::now() - since > secondsToDuration(comm_.config().timeoutSeconds))
    return fail(Status::RemoteError, "rank %d: a call on the device made no progress for %.0f s (HCCL_TIMEOUT)",
                comm_.rank(), comm_.config().timeoutSeconds);
  return Status::Success;
}

void GpuQueue::watch() {
  const uint32_t retired = gate_.retired();
  if (failed(comm_.state()) || comm_.abortRequested()) {
    gate_.abortAll();
    return;
  }
  const Clock::time_point now = Clock::now();
  if (retired == submitted_.load(std::memory_order_acquire) || retired != lastRetired_) {
    lastRetired_ = retired;
    stallSince_ = now;
    return;
  }
  Status s = health(stallSince_);
  if (!failed(s) && now - stallSince_ > kPeerGoneGrace && now - lastPeerCheck_ >= kPeerCheckInterval) {
    lastPeerCheck_ = now;
    // The links are the API thread's while it holds the communicator (a split's exchange).
    std::unique_lock<std::mutex> busy(comm_.busy(), std::try_to_lock);
    for (int peer = 0; busy.owns_lock() && peer < comm_.nranks() && !failed(s); ++peer) {
      Messenger* m = comm_.messenger(peer);
      if (m != nullptr && failed(m->link().checkAlive()))
        s = fail(Status::RemoteError, "rank %d: peer rank %d (%s) is gone while this rank's stream waits for it",
                 comm_.rank(), peer, m->link().name());
    }
  }
  if (failed(s)) failAndRelease(s);
}

}  // namespace hccl
