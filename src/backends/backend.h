// What a device can do, behind one interface: identify itself, allocate, copy and reduce.
// The host backend implements it on CPU memory; CUDA and HIP backends are loaded at run time.
// Buffers cross this boundary type-erased: (pointer, count, DataType).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "base/datatype.h"
#include "base/status.h"

namespace hccl {

enum class BackendKind : int { Host = 0, Cuda = 1, Hip = 2 };

class DeviceBackend;  // backends/device_backend.h: what device ranks need beyond this interface

class Backend {
 public:
  virtual ~Backend() = default;

  virtual BackendKind kind() const = 0;
  virtual const char* name() const = 0;
  // The device index inside its vendor runtime; -1 for the host.
  virtual int deviceIndex() const = 0;

  // Memory for ncclMemAlloc: device memory on a GPU backend, page-aligned memory on the host.
  virtual Status allocate(void** ptr, size_t bytes) = 0;
  virtual Status release(void* ptr) = 0;

  virtual Status copy(void* dst, const void* src, size_t bytes) = 0;
  // dst[i] = a[i] op b[i]; dst may alias a or b exactly. Pointers need no alignment.
  virtual Status reduce(void* dst, const void* a, const void* b, size_t count, DataType type,
                        ReduceOp op) = 0;
  // dst[i] = src[i] * scalar, scalar holding one element of `type` (PreMulSum's factor).
  virtual Status scale(void* dst, const void* src, size_t count, DataType type,
                       const void* scalar) = 0;
  // buf[i] = buf[i] / divisor (Avg's last step; integer types divide with truncation).
  virtual Status divide(void* buf, size_t count, DataType type, int divisor) = 0;

  // The device side of a GPU backend (streams, pinned memory, stream gates); nullptr on the host.
  virtual DeviceBackend* asDevice() { return nullptr; }
};

// The backend every process has.
Backend& hostBackend();

}  // namespace hccl
