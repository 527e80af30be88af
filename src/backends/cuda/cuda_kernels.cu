// The shared kernels (src/backends/common/device_kernels.h) compiled by nvcc, with the launcher
// they expect: a triple-chevron launch on the caller's stream, its grid capped at what the current
// device runs at once (SMs times the kernel's occupancy, found when the kernels are preloaded).
#include <cuda_runtime.h>

#include "backends/common/device_kernels.h"
#include "backends/common/launch_capacity.h"
#include "backends/cuda/cuda_kernels.h"

namespace hccl {
namespace cuda {
namespace {

dev::LaunchCapacities& capacities() {
  static auto* table = new dev::LaunchCapacities();  // never destroyed: launches may outlive statics
  return *table;
}

template <class Kernel>
dev::LaunchCapacity capacityOf(Kernel kernel) {
  int device = 0;
  cudaGetDevice(&device);
  return capacities().get(device, reinterpret_cast<const void*>(kernel), [&] {
    dev::LaunchCapacity c;
    cudaDeviceGetAttribute(&c.units, cudaDevAttrMultiProcessorCount, device);
    cudaOccupancyMaxActiveBlocksPerMultiprocessor(&c.perUnit, kernel, dev::kThreadsPerBlock, 0);
    cudaGetLastError();
    return c;
  });
}

struct Launcher {
  cudaStream_t stream;
  template <class Kernel, class... Args>
  void operator()(Kernel kernel, dev::LaunchShape shape, Args... args) const {
    const dev::LaunchCapacity c = capacityOf(kernel);
    kernel<<<dev::cappedBlocks(shape, c.units, c.perUnit), shape.threads, 0, stream>>>(args...);
  }
};

int launched(bool valid) {
  if (!valid) return static_cast<int>(cudaErrorInvalidValue);
  return static_cast<int>(cudaGetLastError());
}

}  // namespace

int preloadKernels() {
  cudaError_t first = cudaSuccess;
  dev::forEachKernel([&](auto kernel) {
    cudaFuncAttributes attributes;
    const cudaError_t e = cudaFuncGetAttributes(&attributes, kernel);  // loads its module now
    if (e != cudaSuccess && first == cudaSuccess) first = e;
    capacityOf(kernel);
  });
  cudaGetLastError();
  return static_cast<int>(first);
}

int reduce(void* dst, void* dst2, const void* a, const void* b, size_t count, int type, int op,
           void* stream) {
  if (count == 0) return 0;
  return launched(dev::launchReduce(Launcher{static_cast<cudaStream_t>(stream)}, dst, dst2, a, b, count, type, op));
}

int scale(void* dst, const void* src, size_t count, int type, const void* scalar, void* stream) {
  if (count == 0) return 0;
  return launched(dev::launchScale(Launcher{static_cast<cudaStream_t>(stream)}, dst, src, count, type, scalar));
}

int divide(void* buf, size_t count, int type, int divisor, void* stream) {
  if (count == 0) return 0;
  return launched(dev::launchDivide(Launcher{static_cast<cudaStream_t>(stream)}, buf, count, type, divisor));
}

int waitFlag(const void* flag, uint32_t value, const void* abort, void* stream) {
  const dev::FlagWait w{static_cast<const volatile uint32_t*>(flag), value, static_cast<const volatile uint32_t*>(abort)};
  dev::waitFlagKernel<<<1, 1, 0, static_cast<cudaStream_t>(stream)>>>(w);
  return launched(true);
}

int waitValueKernel(void* word, uint32_t value, void* stream) {
  dev::waitValueKernel<<<1, 1, 0, static_cast<cudaStream_t>(stream)>>>(static_cast<const volatile uint32_t*>(word), value);
  return launched(true);
}

int writeValueKernel(void* word, uint32_t value, void* stream) {
  dev::writeValueKernel<<<1, 1, 0, static_cast<cudaStream_t>(stream)>>>(static_cast<volatile uint32_t*>(word), value);
  return launched(true);
}

}  // namespace cuda
}  // namespace hccl
