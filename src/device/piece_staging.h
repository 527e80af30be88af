// Where a rank's pieces (staged_pipeline.h) sit while they travel, and the engines that fill and
// drain them.
#pragma once

#include <memory>
#include <vector>

#include "device/dma_copier.h"
#include "exec/operation.h"

namespace hccl {

class CommContext;
class DeviceBackend;

// Staging memory and the engines that fill and drain it: memcpy on a host rank; on a device
// rank, pinned host memory and asynchronous copies on two streams (device to host, host to
// device), so both PCIe directions and the network overlap. kSlots rounds are in flight.
//
// A device rank's sends and receives skip the staging where the peer's link is shared memory:
// its rings are registered with the device, and the messenger's copy engine (the same two
// streams) moves the bytes by DMA between device memory and the rings, with no host copy on
// this side. Collectives stay staged: the host reduces and forwards their bytes, so they are
// needed in host memory anyway, and a forwarded byte would cross PCIe twice.
class PieceStaging {
 public:
  static constexpr int kSlots = 3;

  explicit PieceStaging(DeviceBackend* device);  // nullptr: a host rank
  ~PieceStaging();
  PieceStaging(const PieceStaging&) = delete;
  PieceStaging& operator=(const PieceStaging&) = delete;

  // A slot's memory, grown to at least `bytes` (the slot must be idle).
  Status reserve(int slot, size_t bytes, char** base);
  // Every slot grown to `bytes` now: on the API thread, before a gate can hold a stream (pinned
  // allocations may wait for the device), so that single calls never allocate later.
  Status preallocate(size_t bytes);
  // On the API thread too: registers the windows of comm's links (HCCL_DEVICE_SHM_DMA).
  Status attachWindows(CommContext& comm);
  // The copy engine that moves o's buffers through its link's windows, or nullptr: staged.
  AsyncCopier* linkCopier(const Operation& o) const;
  Status copyIn(void* dst, const void* src, size_t bytes);
  Status copyOut(void* dst, const void* src, size_t bytes);
  // Marks the copies issued so far into / out of `slot`; wait for them.
  Status inIssued(int slot);
  Status waitIn(int slot);
  Status outIssued(int slot);
  Status waitOut(int slot);
  // Copies in issued from now on start after `slot`'s copies out (a later call reads what an
  // earlier one wrote).
  Status inAfterOut(int slot);

 private:
  struct Slot {
    char* base = nullptr;
    size_t bytes = 0;
    void* inDone = nullptr;   // events (device rank)
    void* outDone = nullptr;
  };
  Status prepare();

  DeviceBackend* device_;
  Slot slots_[kSlots];
  std::vector<char*> retired_;  // outgrown pinned buffers, freed at destruction
  void* inStream_ = nullptr;
  void* outStream_ = nullptr;
  std::unique_ptr<DmaCopier> copier_;  // on inStream_ (to host) and outStream_ (to device)
  const CommContext* windowComm_ = nullptr;
  std::vector<bool> windowPeers_;  // peers whose link's windows are registered
};

}  // namespace hccl
