#include "device/piece_staging.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "backends/device_backend.h"
#include "base/log.h"
#include "exec/comm_context.h"
#include "exec/executor.h"

namespace hccl {

PieceStaging::PieceStaging(DeviceBackend* device) : device_(device) {}

PieceStaging::~PieceStaging() {
  copier_.reset();  // it finishes its copies on our streams
  for (Slot& s : slots_) {
    if (device_ == nullptr) {
      free(s.base);
      continue;
    }
    device_->freePinned(s.base);
    device_->destroyEvent(s.inDone);
    device_->destroyEvent(s.outDone);
  }
  if (device_ != nullptr) {
    for (char* r : retired_) device_->freePinned(r);
    device_->destroyStream(inStream_);
    device_->destroyStream(outStream_);
  }
}

Status PieceStaging::prepare() {
  if (device_ == nullptr || inStream_ != nullptr) return Status::Success;
  HCCL_TRY(device_->select());
  HCCL_TRY(device_->createStream(&inStream_));
  HCCL_TRY(device_->createStream(&outStream_));
  copier_ = std::make_unique<DmaCopier>(*device_, inStream_, outStream_);
  HCCL_TRY(copier_->init());
  for (Slot& s : slots_) {
    HCCL_TRY(device_->createEvent(&s.inDone));
    HCCL_TRY(device_->createEvent(&s.outDone));
  }
  return Status::Success;
}

Status PieceStaging::reserve(int slot, size_t bytes, char** base) {
  Slot& s = slots_[slot];
  if (s.bytes < bytes || s.base == nullptr) {
    // At least double, so the buffers a device rank retires (below) add up to less than one slot.
    size_t grown = std::max<size_t>((bytes + (1 << 20) - 1) >> 20 << 20, 1 << 20);
    grown = std::max(grown, 2 * s.bytes);
    void* p = nullptr;
    if (device_ == nullptr) {
      free(s.base);
      s.base = nullptr;
      if (posix_memalign(&p, 4096, grown) != 0) {
        HCCL_WARN("staging: cannot allocate %zu bytes", grown);
        return Status::SystemError;
      }
    } else {
      HCCL_TRY(prepare());
      // Freeing pinned memory may wait for the device, whose streams a gate may hold: the old
      // buffer is kept until destruction.
      if (s.base != nullptr) retired_.push_back(s.base);
      s.base = nullptr;
      HCCL_TRY(device_->allocatePinned(&p, grown));
    }
    s.base = static_cast<char*>(p);
    s.bytes = grown;
  }
  *base = s.base;
  return Status::Success;
}

Status PieceStaging::preallocate(size_t bytes) {
  char* base = nullptr;
  for (int slot = 0; slot < kSlots; ++slot) HCCL_TRY(reserve(slot, bytes, &base));
  return Status::Success;
}

Status PieceStaging::attachWindows(CommContext& comm) {
  if (device_ == nullptr || !comm.config().deviceShmDma) return Status::Success;
  HCCL_TRY(prepare());
  windowComm_ = &comm;
  windowPeers_.assign(comm.nranks(), false);
  for (int peer = 0; peer < comm.nranks(); ++peer)
    if (peer != comm.rank()) windowPeers_[peer] = copier_->attach(comm.messenger(peer)->link());
  return Status::Success;
}

AsyncCopier* PieceStaging::linkCopier(const Operation& o) const {
  const bool self = o.args.root == o.args.rank;
  if (o.comm != windowComm_ || !isPointToPoint(o.args.kind) || self || convertsFp8(o)) return nullptr;
  const int peer = o.args.root;
  return peer >= 0 && peer < static_cast<int>(windowPeers_.size()) && windowPeers_[peer] ? copier_.get()
                                                                                          : nullptr;
}

Status PieceStaging::copyIn(void* dst, const void* src, size_t bytes) {
  if (device_ == nullptr) {
    memmove(dst, src, bytes);
    return Status::Success;
  }
  return device_->copyAsync(dst, src, bytes, inStream_, "staging copy in");
}

Status PieceStaging::copyOut(void* dst, const void* src, size_t bytes) {
  if (device_ == nullptr) {
    memmove(dst, src, bytes);
    return Status::Success;
  }
  return device_->copyAsync(dst, src, bytes, outStream_, "staging copy out");
}

Status PieceStaging::inIssued(int slot) {
  if (device_ == nullptr) return Status::Success;
  return device_->recordEvent(slots_[slot].inDone, inStream_);
}

Status PieceStaging::waitIn(int slot) {
  if (device_ == nullptr) return Status::Success;
  return device_->waitEvent(slots_[slot].inDone, "staging copy in");
}

Status PieceStaging::outIssued(int slot) {
  if (device_ == nullptr) return Status::Success;
  return device_->recordEvent(slots_[slot].outDone, outStream_);
}

Status PieceStaging::waitOut(int slot) {
  if (device_ == nullptr || slots_[slot].outDone == nullptr) return Status::Success;
  return device_->waitEvent(slots_[slot].outDone, "staging copy out");
}

Status PieceStaging::inAfterOut(int slot) {
  if (device_ == nullptr) return Status::Success;
  return device_->streamWaitEvent(inStream_, slots_[slot].outDone);
}

}  // namespace hccl
