// A device rank's collectives: ordered on the caller's stream and asynchronous to the host.
//
// Each communicator whose rank is a GPU gets a progress thread. A call (or a group's calls on
// the communicator) becomes a batch with a sequence number s. On the caller's stream the batch
// inserts a gate: the stream writes s into a pinned host word ("reached") when it gets there,
// then waits until the host writes s into a second word ("done") — stream memory operations
// (write/wait value 32), or, where the device lacks them, a host function that does both. The
// progress thread waits for "reached", runs the batch piece by piece (device_pieces.h), and
// writes "done": the stream resumes and the call's results are in place, as in NCCL. Where all
// ranks are GPUs of one node, collectives run device to device instead (device_direct.h).
// A stream being captured into a graph is refused (ncclInvalidUsage) before anything is enqueued.
// A one-rank communicator's calls are plain copies issued on the caller's stream instead.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "device/ipc_path.h"
#include "device/staged_pipeline.h"
#include "exec/operation.h"

namespace hccl {

class CommContext;
class DeviceBackend;

class GpuQueue {
 public:
  GpuQueue(CommContext& comm, DeviceBackend& device);
  // Runs what is queued (or, after an abort, releases the streams), then stops the thread.
  ~GpuQueue();

  Status start();
  // Gates the streams of `ops` (calls of this communicator, in order) and queues them.
  Status enqueue(std::vector<std::unique_ptr<Operation>> ops);

 private:
  struct Batch {
    uint32_t seq;
    std::vector<std::unique_ptr<Operation>> ops;
  };
  bool onStreamOnly(const std::vector<std::unique_ptr<Operation>>& ops) const;
  Status runOnStreams(const std::vector<std::unique_ptr<Operation>>& ops);
  Status gate(const std::vector<void*>& streams, uint32_t seq);
  void loop();
  Status waitReached(uint32_t seq);
  void run(Batch& batch);
  Status runBatch(Batch& batch);
  void release(uint32_t seq);

  CommContext& comm_;
  DeviceBackend& device_;
  uint32_t* words_ = nullptr;        // [0] reached, [1] done: pinned, mapped
  void* deviceWords_ = nullptr;      // their device address
  uint32_t nextSeq_ = 0;             // API side, under the caller's ordering
  PieceStaging staging_;
  IpcPath direct_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Batch> queue_;
  bool stop_ = false;
};

}  // namespace hccl
