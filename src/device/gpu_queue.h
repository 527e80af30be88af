// A GPU rank's calls: enqueued on the caller's stream when they are made, asynchronous to the
// host, as in NCCL.
//
// A call (or a group's calls on the communicator) becomes a batch of stream steps
// (stream_steps.h), which the calling thread emits: collectives device to device where every
// rank is a GPU of this node (ipc_path.h), the rest staged through pinned host memory
// (staged_on_stream.h). The communicator's progress thread runs the staged rounds' host part and
// watches the device part: it makes no device runtime call, so nothing it must do to release a
// stream can wait for the device (lazy module loading, a free that waits for the device to go
// idle, streams that share one hardware queue). Everything the first call needs (the kernels,
// staging, IPC scratch, events) is made at init.
//
// A stream being captured into a graph is refused (ncclInvalidUsage) before anything is
// enqueued. A one-rank communicator's calls are plain copies on the caller's stream.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "device/ipc_path.h"
#include "device/staged_on_stream.h"
#include "device/staging_slots.h"
#include "device/stream_gate.h"
#include "exec/operation.h"

namespace hccl {

class CommContext;
class DeviceBackend;

// A batch between prepare and submit: its steps, and what stays alive until the host is done.
struct GpuBatch {
  std::vector<std::unique_ptr<Operation>> ops;
  std::vector<std::unique_ptr<StagedRun>> runs;
  StreamSteps steps;
};

class GpuQueue {
 public:
  GpuQueue(CommContext& comm, DeviceBackend& device);
  // Lets every call enqueued so far finish (or, after an abort or failure, ends the device's
  // waits), then stops the thread and frees what init made.
  ~GpuQueue();

  // At init, on every rank of the communicator at once (the IPC setup is an exchange).
  Status start();
  // `ops` (calls of this communicator, in order) as a batch whose steps the caller then emits
  // with the device current (each step selects it).
  Status prepare(std::vector<std::unique_ptr<Operation>> ops, GpuBatch* batch);
  // After the batch's steps were emitted with outcome `emitted`: queues its host part, or, when
  // emitting failed, fails the communicator and releases every stream.
  void submit(GpuBatch batch, Status emitted);
  // Waits until the host's part of every submitted batch has run: for host work on the
  // communicator outside the queue (a split's exchange), which must come after earlier calls.
  void drain();

 private:
  // What the progress thread keeps of a batch: its staged runs and the calls they point into.
  struct Job {
    std::vector<std::unique_ptr<Operation>> ops;
    std::vector<std::unique_ptr<StagedRun>> runs;
  };
  bool onStreamOnly(const std::vector<std::unique_ptr<Operation>>& ops) const;
  Status runOnStreams(const std::vector<Operation*>& ops);
  // The first and last steps of a batch on several streams: the others join the first before
  // it and wait for it after; and batches on different streams follow each other.
  Status streamsOf(const std::vector<std::unique_ptr<Operation>>& ops, std::vector<void*>* streams);
  void addPrologue(const std::vector<void*>& streams, StreamSteps* steps);
  void addEpilogue(const std::vector<void*>& streams, StreamSteps* steps);

  void loop();
  void runJob(Job& job);
  Status waitReached(uint32_t seq);
  // Whether the communicator can go on waiting: not aborted or failed, and progress within
  // HCCL_TIMEOUT since `since`.
  Status health(Clock::time_point since);
  // While batches are on the device and nothing else runs: health() since the last one retired,
  // no peer gone while none retires, and a failed communicator's streams released.
  void watch();
  void failAndRelease(Status s);

  CommContext& comm_;
  DeviceBackend& device_;
  StreamGate gate_;
  StagingSlots slots_;
  IpcPath ipc_;
  std::vector<void*> events_;  // [0]: the end of the last batch; then one per joined stream
  void* lastStream_ = nullptr;
  uint32_t issued_ = 0;  // batches enqueued (the gate's "retired" counts them back), API side
  std::atomic<uint32_t> submitted_{0};  // the same, as the progress thread sees it
  uint32_t lastRetired_ = 0;  // progress thread: watch()'s state
  Clock::time_point stallSince_;
  Clock::time_point lastPeerCheck_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;    // work queued, or stop
  std::condition_variable idle_;  // nothing queued and nothing running
  std::deque<Job> queue_;
  bool running_ = false;
  bool stop_ = false;
};

}  // namespace hccl
