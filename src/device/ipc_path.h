// Collectives of a communicator whose ranks are all GPUs of one vendor on one node (several may
// share a GPU) run device to device: no byte is staged through host memory.
//
// What moves where is a MemoryPlan (algorithms/memory_plan.h), which this class runs:
//
// Mapped calls: the ranks exchange IPC records of the call's buffers (ipc_buffers.h, cached per
// allocation) and each rank's kernels then read the peers' inputs and write the peers' outputs in
// place, in one phase (planMappedCall).
//
// Scratch calls, where some rank's buffers cannot be mapped (host memory, memory the runtime
// cannot export) or the call cannot run in one phase (PreMulSum scales inputs it may not change;
// AllToAll in place): each rank's device scratch buffer, opened by every peer on the first
// collective, carries the data piece by piece (planScratchPiece).
//
// Every call ends with each rank waiting for its device work and then for every other rank (a
// barrier over the existing links, which also carries a failed rank's error to the others, so
// nobody hangs). Each element of a reduction is computed once, by one rank: all ranks get the
// same bits.
//
// Every rank decides alike whether a call runs here: from what init told all ranks (same host,
// same vendor, all GPUs) and from the call's arguments; if any rank cannot open the handles, all
// ranks learn it during the first call and keep the staged path (staged_pipeline.h). Ranks of one
// process (ncclCommInitAll) use each other's pointers directly, with peer access between devices.
#pragma once

#include <cstdint>
#include <set>
#include <tuple>
#include <vector>

#include "algorithms/memory_plan.h"
#include "device/ipc_buffers.h"
#include "exec/operation.h"

namespace hccl {

class CommContext;
class DeviceBackend;

class IpcPath {
 public:
  IpcPath(CommContext& comm, DeviceBackend& device);
  ~IpcPath();
  IpcPath(const IpcPath&) = delete;
  IpcPath& operator=(const IpcPath&) = delete;

  // Allocates the device scratch and the stream: on the API thread, before the first call's
  // gate can hold a stream (allocations may wait for the device).
  void prepare();
  // Whether `o` may run here; the same answer on every rank.
  bool eligible(const Operation& o) const;
  // Runs `o` (an eligible call) to completion. On the first call the ranks set up; when that
  // fails anywhere, *ran is false on every rank and later calls are no longer eligible.
  Status run(Operation& o, bool* ran);

 private:
  enum class State { Unset, On, Off };

  Status setup(uint64_t tag);
  // Sends `bytes` of `mine` to every peer and receives theirs into all[rank * bytes].
  Status exchange(uint64_t tag, const void* mine, size_t bytes, std::vector<char>* all);
  // Waits for this rank's device work, then for every rank's; fails on every rank when any
  // rank's work failed.
  Status phaseEnd(Operation& o, Status local);

  // Maps every rank's buffers of `o` into peerSend_/peerRecv_; *mapped is false on every rank
  // when some rank's buffers cannot be mapped.
  Status mapBuffers(Operation& o, bool* mapped);

  // Runs this rank's MemoryPlan of `o`, a barrier after every phase. Regions of other ranks'
  // send and receive buffers exist only in a mapped call.
  Status runPlan(Operation& o, const MemoryPlan& plan, bool mapped);
  Status runStep(Operation& o, const MemStep& step, bool mapped);
  // Where a region of the plan lies in this process; nullptr when it is not reachable here.
  char* resolve(const Operation& o, const MemRegion& r, bool mapped) const;
  // dst (and dst2 when not null) = the reduction of `sources` (count elements each) in their
  // order with o's operator, PreMulSum's factor applied to every source first (in place: scratch
  // only) and Avg's division after (dst2 must then be null).
  Status reduceInto(Operation& o, char* dst, char* dst2, const std::vector<const char*>& sources,
                    size_t count);
  Status copy(void* dst, const void* src, size_t bytes);

  CommContext& comm_;
  DeviceBackend& device_;
  bool candidate_ = false;  // same host, same vendor, all GPUs, enabled
  State state_ = State::Unset;
  size_t regionBytes_ = 0;        // scratch = input region + output region
  std::vector<char*> scratch_;    // every rank's scratch as mapped here (ours at our rank)
  std::vector<char> local_;       // rank r lives in this process: its pointers are ours
  IpcBuffers buffers_;
  std::vector<const char*> peerSend_;  // the running mapped call's buffers of every rank
  std::vector<char*> peerRecv_;
  // (rank, allocation start, buffer ID) of buffers every rank has mapped: calls on them skip
  // asking whether the mapping worked everywhere.
  std::set<std::tuple<int, uint64_t, uint64_t>> agreed_;
  void* stream_ = nullptr;
  uint64_t tag_ = 0;              // the running call's barriers: its tag base | counter
  uint32_t barrier_ = 0;
};

}  // namespace hccl
