// The shared kernels (src/backends/common/device_kernels.h) compiled by nvcc, with the launcher
// they expect: a triple-chevron launch on the caller's stream, sized from the current device.
#include <cuda_runtime.h>

#include "backends/common/device_kernels.h"
#include "backends/cuda/cuda_kernels.h"

namespace hccl {
namespace cuda {
namespace {

int smCount() {
  int device = 0, count = 0;
  cudaGetDevice(&device);
  cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount, device);
  return count;
}

struct Launcher {
  cudaStream_t stream;
  template <class Kernel, class... Args>
  void operator()(Kernel kernel, dev::LaunchShape shape, Args... args) const {
    kernel<<<shape.blocks, shape.threads, 0, stream>>>(args...);
  }
};

int launched(bool valid) {
  if (!valid) return static_cast<int>(cudaErrorInvalidValue);
  return static_cast<int>(cudaGetLastError());
}

}  // namespace

int reduce(void* dst, void* dst2, const void* a, const void* b, size_t count, int type, int op,
           void* stream) {
  if (count == 0) return 0;
  return launched(dev::launchReduce(Launcher{static_cast<cudaStream_t>(stream)}, smCount(), dst,
                                    dst2, a, b, count, type, op));
}

int scale(void* dst, const void* src, size_t count, int type, const void* scalar, void* stream) {
  if (count == 0) return 0;
  return launched(dev::launchScale(Launcher{static_cast<cudaStream_t>(stream)}, smCount(), dst,
                                   src, count, type, scalar));
}

int divide(void* buf, size_t count, int type, int divisor, void* stream) {
  if (count == 0) return 0;
  return launched(dev::launchDivide(Launcher{static_cast<cudaStream_t>(stream)}, smCount(), buf,
                                    count, type, divisor));
}

}  // namespace cuda
}  // namespace hccl
