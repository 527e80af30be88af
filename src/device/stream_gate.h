// The stream gate: how a GPU rank orders its collectives with the caller's stream. For batch s
// the gate makes the stream write s into a pinned host word ("reached") when it gets there, then
// wait until the host writes s into a second word ("done"): stream memory operations (write/wait
// value 32), or, where the device lacks them, a host function that does both. The progress
// thread waits for "reached", runs the batch, and releases it: the stream resumes with the
// call's results in place, as in NCCL.
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"

namespace hccl {

class CommContext;
class DeviceBackend;

class StreamGate {
 public:
  StreamGate(CommContext& comm, DeviceBackend& device) : comm_(comm), device_(device) {}
  ~StreamGate();
  StreamGate(const StreamGate&) = delete;
  StreamGate& operator=(const StreamGate&) = delete;

  // Allocates the words (pinned, mapped): on the API thread, before any stream is held.
  Status start();
  // On the API thread: holds `streams` at batch `seq`. Other streams join the first before the
  // gate and wait for it after.
  Status hold(const std::vector<void*>& streams, uint32_t seq);
  // On the progress thread: waits until the stream reaches batch `seq` (Aborted on abort,
  // RemoteError after the communicator's timeout).
  Status waitReached(uint32_t seq);
  // Lets the streams of batch `seq` (and every earlier one) go on.
  void release(uint32_t seq);

 private:
  CommContext& comm_;
  DeviceBackend& device_;
  uint32_t* words_ = nullptr;    // [0] reached, [1] done
  void* deviceWords_ = nullptr;  // their device address
};

}  // namespace hccl
