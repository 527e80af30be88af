// The host backend: Backend on CPU memory. Memory comes from posix_memalign (page-aligned),
// copies are memcpy, and the element-wise kernels come from the best kernel set this CPU
// runs (host_kernels.h), chosen once.
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "backends/backend.h"
#include "backends/host/host_kernels.h"
#include "base/log.h"

namespace hccl {
namespace host {

namespace {

bool cpuHasAvx2() {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
         __builtin_cpu_supports("f16c");
#else
  return false;
#endif
}

}  // namespace

const KernelSet* kernelSet(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::Generic: return &genericKernelSet();
    case KernelIsa::Avx2: {
      static const bool kSupported = cpuHasAvx2();
      return kSupported ? avx2KernelSet() : nullptr;
    }
  }
  return nullptr;
}

const KernelSet& activeKernelSet() {
  static const KernelSet& kActive = [] () -> const KernelSet& {
    const KernelSet* avx2 = kernelSet(KernelIsa::Avx2);
    const KernelSet& chosen = avx2 != nullptr ? *avx2 : genericKernelSet();
    HCCL_INFO(Init, "host backend: %s kernels", chosen.name);
    return chosen;
  }();
  return kActive;
}

}  // namespace host

namespace {

constexpr size_t kPageSize = 4096;

bool validType(DataType type) {
  return static_cast<unsigned>(type) < static_cast<unsigned>(kNumDataTypes);
}

class HostBackend final : public Backend {
 public:
  BackendKind kind() const override { return BackendKind::Host; }
  const char* name() const override { return "host"; }
  int deviceIndex() const override { return -1; }

  Status allocate(void** ptr, size_t bytes) override {
    if (ptr == nullptr) {
      HCCL_WARN("host backend: allocate with a NULL result pointer");
      return Status::InvalidArgument;
    }
    *ptr = nullptr;
    void* p = nullptr;
    const int rc = posix_memalign(&p, kPageSize, bytes == 0 ? 1 : bytes);
    if (rc != 0) {
      HCCL_WARN("host backend: posix_memalign(%zu bytes) failed: %s", bytes, strerror(rc));
      return Status::SystemError;
    }
    *ptr = p;
    HCCL_TRACE(Alloc, "host backend: allocated %zu bytes at %p", bytes, p);
    return Status::Success;
  }

  Status release(void* ptr) override {
    free(ptr);
    return Status::Success;
  }

  Status copy(void* dst, const void* src, size_t bytes) override {
    if (bytes == 0 || dst == src) return Status::Success;
    if (dst == nullptr || src == nullptr) {
      HCCL_WARN("host backend: copy of %zu bytes with a NULL pointer", bytes);
      return Status::InvalidArgument;
    }
    memmove(dst, src, bytes);
    return Status::Success;
  }

  Status reduce(void* dst, const void* a, const void* b, size_t count, DataType type,
                ReduceOp op) override {
    if (!validType(type) || static_cast<unsigned>(op) >= static_cast<unsigned>(kNumReduceOps)) {
      HCCL_WARN("host backend: reduce with invalid type %d or op %d", static_cast<int>(type),
                static_cast<int>(op));
      return Status::InvalidArgument;
    }
    if (count == 0) return Status::Success;
    if (dst == nullptr || a == nullptr || b == nullptr) {
      HCCL_WARN("host backend: reduce of %zu elements with a NULL pointer", count);
      return Status::InvalidArgument;
    }
    kernels_.reduce[static_cast<int>(type)][static_cast<int>(op)](dst, a, b, count);
    return Status::Success;
  }

  Status scale(void* dst, const void* src, size_t count, DataType type,
               const void* scalar) override {
    if (!validType(type) || scalar == nullptr) {
      HCCL_WARN("host backend: scale with invalid type %d or NULL scalar", static_cast<int>(type));
      return Status::InvalidArgument;
    }
    if (count == 0) return Status::Success;
    if (dst == nullptr || src == nullptr) {
      HCCL_WARN("host backend: scale of %zu elements with a NULL pointer", count);
      return Status::InvalidArgument;
    }
    kernels_.scale[static_cast<int>(type)](dst, src, count, scalar);
    return Status::Success;
  }

  Status divide(void* buf, size_t count, DataType type, int divisor) override {
    if (!validType(type) || divisor < 1) {
      HCCL_WARN("host backend: divide with invalid type %d or divisor %d", static_cast<int>(type),
                divisor);
      return Status::InvalidArgument;
    }
    if (count == 0 || divisor == 1) return Status::Success;
    if (buf == nullptr) {
      HCCL_WARN("host backend: divide of %zu elements with a NULL pointer", count);
      return Status::InvalidArgument;
    }
    kernels_.divide[static_cast<int>(type)](buf, count, divisor);
    return Status::Success;
  }

 private:
  const host::KernelSet& kernels_ = host::activeKernelSet();
};

}  // namespace

Backend& hostBackend() {
  static HostBackend backend;
  return backend;
}

}  // namespace hccl
