// Operations of communicators that hold device ranks run in pieces: every rank, GPU or CPU,
// splits each call into the same pieces (same sizes, one wire tag each), so GPU and CPU ranks
// speak the same protocol while a GPU rank only ever stages one piece at a time through pinned
// host memory (bounded memory, whatever the message size). The host backend reduces the staged
// bytes on every rank, so every rank ends with bitwise the same result.
//
// A piece of a call takes the same element range [offset, offset + elems) of each of the call's
// blocks (one block for AllReduce/Broadcast/Reduce/Send/Recv, one per rank for the others) and
// runs as an ordinary operation on staging buffers holding those ranges back to back.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "device/dma_copier.h"
#include "exec/operation.h"

namespace hccl {

class CommContext;
class DeviceBackend;

struct PieceShape {
  size_t elems;   // per block, per piece (the last piece may hold fewer)
  size_t pieces;  // at least 1
};

// The same on every rank: from the call's kind, nranks, count, element size and
// Config::devicePieceBytes (which must therefore be equal on every rank).
PieceShape pieceShape(const Operation& o);
// Takes the wire tags of o's pieces after the first from its communicator, in call order.
void reservePieceTags(Operation& o);

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

// Runs `ops` (any communicators; each one's calls in call order) piece by piece: the
// collectives of a communicator one after the other, its sends and receives together.
Status runInPieces(const std::vector<Operation*>& ops, PieceStaging& staging);

}  // namespace hccl
