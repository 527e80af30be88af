// Compiles the shared device kernels (src/backends/common/device_kernels.h) with the host
// compiler: __global__ vanishes, the CUDA index variables are thread-locals, and a launch runs
// every (block, thread) of the grid in turn. The kernels have no barriers or shared memory, so
// running threads one after another is a valid schedule; a spinning kernel yields the CPU. For
// the fake runtime and the tests.
#pragma once

#include <sched.h>

#include <atomic>

#define __global__
#define HCCL_SPIN_PAUSE() sched_yield()
#define HCCL_FENCE_SYSTEM() std::atomic_thread_fence(std::memory_order_seq_cst)

struct HostShimDim {
  unsigned x = 0, y = 0, z = 0;
};
inline thread_local HostShimDim threadIdx, blockIdx, blockDim, gridDim;

#include "backends/common/device_kernels.h"

namespace hccl {
namespace dev {

// Blocks a fake device runs at once, per SM.
inline constexpr int kHostBlocksPerSm = 4;

struct HostLauncher {
  int smCount = 4;
  template <class Kernel, class... Args>
  void operator()(Kernel kernel, LaunchShape shape, Args... args) const {
    gridDim.x = cappedBlocks(shape, smCount, kHostBlocksPerSm);
    blockDim.x = shape.threads;
    for (unsigned b = 0; b < gridDim.x; ++b) {
      blockIdx.x = b;
      for (unsigned t = 0; t < shape.threads; ++t) {
        threadIdx.x = t;
        kernel(args...);
      }
    }
  }
};

}  // namespace dev
}  // namespace hccl
