// Where a rank's pieces (staged_pipeline.h) sit while they travel: kSlots buffers that rounds use
// in turn. On a GPU rank they are pinned host memory the device copies into and out of on the
// caller's stream; on a CPU rank, ordinary host memory. A slot outgrown by a round is replaced,
// and on a GPU rank the old buffer is kept until destruction: a stream may still be using it,
// and freeing pinned memory waits for the device.
#pragma once

#include <cstddef>
#include <vector>

#include "base/status.h"

namespace hccl {

class DeviceBackend;

class StagingSlots {
 public:
  static constexpr int kSlots = 3;

  explicit StagingSlots(DeviceBackend* device) : device_(device) {}  // nullptr: a CPU rank
  ~StagingSlots();
  StagingSlots(const StagingSlots&) = delete;
  StagingSlots& operator=(const StagingSlots&) = delete;

  // Slot `slot`'s memory, grown to at least `bytes`.
  Status reserve(int slot, size_t bytes, char** base);
  // Every slot grown to `bytes` now (at init: a single call then never allocates).
  Status preallocate(size_t bytes);

 private:
  struct Slot {
    char* base = nullptr;
    size_t bytes = 0;
  };
  void freeBuffer(char* p);

  DeviceBackend* device_;
  Slot slots_[kSlots];
  std::vector<char*> retired_;
};

}  // namespace hccl
