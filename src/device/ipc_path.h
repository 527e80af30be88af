// Collectives of a communicator whose ranks are all GPUs of one vendor on one node (several may
// share a GPU) run device to device, entirely on the caller's stream: no byte is staged through
// host memory and no host thread takes part once the call is enqueued.
//
// At init every rank allocates a device scratch (flags, then an input and an output region),
// exports it, and every rank opens every peer's (ranks of one process use each other's pointers,
// with peer access between devices). If any rank cannot, all ranks learn it then and keep the
// staged path (staged_pipeline.h).
//
// A call is its MemoryPlan (algorithms/memory_plan.h), piece by piece through scratch, enqueued
// at call time: each phase's copies and reduce kernels, then a barrier made of flags. Rank r
// ends barrier b by writing b into flag[r] of every peer's scratch (a stream write, which lands
// after the phase's data); the next step begins with one wait kernel per peer until its flag
// in our scratch reaches b. The wait kernels also end when the host sets the communicator's
// abort word (stream_gate.h), so an aborted or failed communicator never leaves a stream held.
// Each element of a reduction is computed once, by one rank: all ranks get the same bits.
#pragma once

#include <cstdint>
#include <vector>

#include "algorithms/memory_plan.h"
#include "device/stream_steps.h"
#include "exec/operation.h"

namespace hccl {

class CommContext;
class DeviceBackend;
class StreamGate;

class IpcPath {
 public:
  IpcPath(CommContext& comm, DeviceBackend& device, StreamGate& gate);
  ~IpcPath();
  IpcPath(const IpcPath&) = delete;
  IpcPath& operator=(const IpcPath&) = delete;

  // At init, on every rank at once (it exchanges records over the communicator's links): the
  // scratch, the handles, and the ranks' agreement. Success also when the path stays off.
  Status setup();
  bool on() const { return on_; }
  // Whether `o` runs here; the same answer on every rank.
  bool eligible(const Operation& o) const;
  // Appends `o`'s steps for `stream` (stream_steps.h): the first has no wait, the last waits
  // for the call's final barrier. `o` must outlive their emission.
  Status appendSteps(Operation& o, void* stream, StreamSteps* steps);

 private:
  // Where a region of the plan lies in this process.
  char* resolve(const Operation& o, const MemRegion& r) const;
  Status runStep(Operation& o, const MemStep& step, void* stream);
  // dst = the reduction of `sources` in their order, then Avg's division.
  Status reduceInto(Operation& o, char* dst, const std::vector<const char*>& sources, size_t count, void* stream);
  Status signalBarrier(uint32_t barrier, void* stream);
  Status waitBarrier(uint32_t barrier, void* stream);
  uint32_t* flag(int owner, int writer) const;

  CommContext& comm_;
  DeviceBackend& device_;
  StreamGate& gate_;
  bool candidate_ = false;  // same host, same vendor, all GPUs, enabled
  bool on_ = false;
  size_t flagBytes_ = 0;          // the flags at the start of each scratch
  size_t regionBytes_ = 0;        // then the input region, then the output region
  std::vector<char*> scratch_;    // every rank's scratch as mapped here (ours at our rank)
  std::vector<char> local_;       // rank r lives in this process: its pointers are ours
  uint32_t barrier_ = 0;          // barriers enqueued so far (the same count on every rank)
};

}  // namespace hccl
