// A copy engine that moves bytes between a device's memory and host memory without the CPU
// (a GPU's DMA engine). The messenger uses one to move a request whose buffer is device memory
// straight through a link's windows (transport.h), so no host copy stands in between.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/status.h"

namespace hccl {

class AsyncCopier {
 public:
  enum class Direction { ToHost, ToDevice };

  virtual ~AsyncCopier() = default;

  // Starts a copy; copies of one direction complete in the order they were started. The
  // ticket names the copy for done() and wait().
  virtual Status start(void* dst, const void* src, size_t bytes, Direction direction,
                       uint64_t* ticket) = 0;
  // Whether the copy (and so every earlier one of its direction) has completed.
  virtual Status done(uint64_t ticket, Direction direction, bool* complete) = 0;
  virtual Status wait(uint64_t ticket, Direction direction) = 0;
  // Copies now, when the call returns the bytes are in place (rare paths: a message that
  // arrived before its receive was posted).
  virtual Status copyNow(void* dst, const void* src, size_t bytes) = 0;
};

}  // namespace hccl
