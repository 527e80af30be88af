// The shared kernels (src/backends/common/device_kernels.h) compiled by hipcc, with the launcher
// they expect: a triple-chevron launch on the caller's stream, sized from the current device's
// compute units. Only hipcc compiles this file (CMakeLists.txt), with -ffp-contract=off.
#include <hip/hip_runtime.h>

#include "backends/common/device_kernels.h"
#include "backends/hip/hip_kernels.h"

namespace hccl {
namespace hip {
namespace {

int computeUnitCount() {
  int device = 0, count = 0;
  (void)hipGetDevice(&device);
  (void)hipDeviceGetAttribute(&count, hipDeviceAttributeMultiprocessorCount, device);
  return count;
}

struct Launcher {
  hipStream_t stream;
  template <class Kernel, class... Args>
  void operator()(Kernel kernel, dev::LaunchShape shape, Args... args) const {
    kernel<<<shape.blocks, shape.threads, 0, stream>>>(args...);
  }
};

int launched(bool valid) {
  if (!valid) return static_cast<int>(hipErrorInvalidValue);
  return static_cast<int>(hipGetLastError());
}

}  // namespace

int reduce(void* dst, void* dst2, const void* a, const void* b, size_t count, int type, int op,
           void* stream) {
  if (count == 0) return 0;
  return launched(dev::launchReduce(Launcher{static_cast<hipStream_t>(stream)}, computeUnitCount(),
                                    dst, dst2, a, b, count, type, op));
}

int scale(void* dst, const void* src, size_t count, int type, const void* scalar, void* stream) {
  if (count == 0) return 0;
  return launched(dev::launchScale(Launcher{static_cast<hipStream_t>(stream)}, computeUnitCount(),
                                   dst, src, count, type, scalar));
}

int divide(void* buf, size_t count, int type, int divisor, void* stream) {
  if (count == 0) return 0;
  return launched(dev::launchDivide(Launcher{static_cast<hipStream_t>(stream)}, computeUnitCount(),
                                    buf, count, type, divisor));
}

}  // namespace hip
}  // namespace hccl
