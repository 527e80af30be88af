// A GPU rank's collectives: ordered on the caller's stream and asynchronous to the host.
//
// Each communicator whose rank is a GPU gets a progress thread. A call (or a group's calls on
// the communicator) becomes a batch with a sequence number s, held at a gate on the caller's
// stream (stream_gate.h); the progress thread waits until the stream reaches it, runs the batch
// piece by piece (staged_pipeline.h), and releases it: the stream resumes and the call's results
// are in place, as in NCCL. Where all ranks are GPUs of one node, collectives run device to
// device instead (ipc_path.h).
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
#include "device/piece_staging.h"
#include "device/stream_gate.h"
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
  // Waits until every queued batch has run: for work the host thread does on the communicator
  // outside the queue (a split's exchange), which must come after the calls made before it.
  // The streams reach their gates on their own; a gate never reached fails at HCCL_TIMEOUT.
  void drain();

 private:
  struct Batch {
    uint32_t seq;
    std::vector<std::unique_ptr<Operation>> ops;
    bool held = true;  // false: holding the streams failed; the batch only releases its gate
  };
  bool onStreamOnly(const std::vector<std::unique_ptr<Operation>>& ops) const;
  Status runOnStreams(const std::vector<std::unique_ptr<Operation>>& ops);
  void loop();
  void run(Batch& batch);
  Status runBatch(Batch& batch);

  CommContext& comm_;
  DeviceBackend& device_;
  StreamGate gate_;
  uint32_t nextSeq_ = 0;  // API side, under the caller's ordering
  PieceStaging staging_;
  IpcPath direct_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;    // work queued, or stop
  std::condition_variable idle_;  // nothing queued and nothing running
  std::deque<Batch> queue_;
  bool running_ = false;
  bool stop_ = false;
};

}  // namespace hccl
