// The shared kernels (src/backends/common/device_kernels.h) compiled by hipcc, with the launcher
// they expect: a triple-chevron launch on the caller's stream, its grid capped at what the current
// device runs at once (compute units times the kernel's occupancy, found when the kernels are
// preloaded). Only hipcc compiles this file (CMakeLists.txt), with -ffp-contract=off.
#include <hip/hip_runtime.h>

#include "backends/common/device_kernels.h"
#include "backends/common/launch_capacity.h"
#include "backends/hip/hip_kernels.h"

namespace hccl {
namespace hip {
namespace {

dev::LaunchCapacities& capacities() {
  static auto* table = new dev::LaunchCapacities();  // never destroyed: launches may outlive statics
  return *table;
}

template <class Kernel>
dev::LaunchCapacity capacityOf(Kernel kernel) {
  int device = 0;
  (void)hipGetDevice(&device);
  return capacities().get(device, reinterpret_cast<const void*>(kernel), [&] {
    dev::LaunchCapacity c;
    (void)hipDeviceGetAttribute(&c.units, hipDeviceAttributeMultiprocessorCount, device);
    (void)hipOccupancyMaxActiveBlocksPerMultiprocessor(&c.perUnit, kernel, dev::kThreadsPerBlock, 0);
    (void)hipGetLastError();
    return c;
  });
}

struct Launcher {
  hipStream_t stream;
  template <class Kernel, class... Args>
  void operator()(Kernel kernel, dev::LaunchShape shape, Args... args) const {
    const dev::LaunchCapacity c = capacityOf(kernel);
    kernel<<<dev::cappedBlocks(shape, c.units, c.perUnit), shape.threads, 0, stream>>>(args...);
  }
};

int launched(bool valid) {
  if (!valid) return static_cast<int>(hipErrorInvalidValue);
  return static_cast<int>(hipGetLastError());
}

}  // namespace

int preloadKernels() {
  hipError_t first = hipSuccess;
  dev::forEachKernel([&](auto kernel) {
    hipFuncAttributes attributes;
    const hipError_t e = hipFuncGetAttributes(&attributes, reinterpret_cast<const void*>(kernel));
    if (e != hipSuccess && first == hipSuccess) first = e;
    capacityOf(kernel);
  });
  (void)hipGetLastError();
  return static_cast<int>(first);
}

int reduce(void* dst, void* dst2, const void* a, const void* b, size_t count, int type, int op,
           void* stream) {
  if (count == 0) return 0;
  return launched(dev::launchReduce(Launcher{static_cast<hipStream_t>(stream)}, dst, dst2, a, b, count, type, op));
}

int scale(void* dst, const void* src, size_t count, int type, const void* scalar, void* stream) {
  if (count == 0) return 0;
  return launched(dev::launchScale(Launcher{static_cast<hipStream_t>(stream)}, dst, src, count, type, scalar));
}

int divide(void* buf, size_t count, int type, int divisor, void* stream) {
  if (count == 0) return 0;
  return launched(dev::launchDivide(Launcher{static_cast<hipStream_t>(stream)}, buf, count, type, divisor));
}

int waitFlag(const void* flag, uint32_t value, const void* abort, void* stream) {
  const dev::FlagWait w{static_cast<const volatile uint32_t*>(flag), value, static_cast<const volatile uint32_t*>(abort)};
  dev::waitFlagKernel<<<1, 1, 0, static_cast<hipStream_t>(stream)>>>(w);
  return launched(true);
}

}  // namespace hip
}  // namespace hccl
