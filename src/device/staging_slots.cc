#include "device/staging_slots.h"

#include <algorithm>
#include <cstdlib>

#include "backends/device_backend.h"
#include "base/error.h"

namespace hccl {

StagingSlots::~StagingSlots() {
  for (Slot& s : slots_) freeBuffer(s.base);
  for (char* r : retired_) freeBuffer(r);
}

void StagingSlots::freeBuffer(char* p) {
  if (device_ != nullptr) device_->freePinned(p);
  else free(p);
}

Status StagingSlots::reserve(int slot, size_t bytes, char** base) {
  Slot& s = slots_[slot];
  if (s.base == nullptr || s.bytes < bytes) {
    // At least double, so that retired buffers add up to less than one slot.
    size_t grown = std::max<size_t>((bytes + (1 << 20) - 1) >> 20 << 20, 1 << 20);
    grown = std::max(grown, 2 * s.bytes);
    void* p = nullptr;
    if (device_ != nullptr) {
      HCCL_TRY(device_->allocatePinned(&p, grown));
      if (s.base != nullptr) retired_.push_back(s.base);
    } else {
      if (posix_memalign(&p, 4096, grown) != 0) return fail(Status::SystemError, "staging: cannot allocate %zu bytes", grown);
      free(s.base);
    }
    s.base = static_cast<char*>(p);
    s.bytes = grown;
  }
  *base = s.base;
  return Status::Success;
}

Status StagingSlots::preallocate(size_t bytes) {
  char* base = nullptr;
  for (int slot = 0; slot < kSlots; ++slot) HCCL_TRY(reserve(slot, bytes, &base));
  return Status::Success;
}

}  // namespace hccl
