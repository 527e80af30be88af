// Compiles the shared device kernels (src/backends/common/device_kernels.h) with the host
// compiler: __global__ vanishes, the CUDA index variables are thread-locals, and a launch runs
// every (block, thread) of the grid in turn. The kernels have no barriers or shared memory, so
// running threads one after another is a valid schedule. For the fake runtime and the tests.
#pragma once

#define __global__

struct HostShimDim {
  unsigned x = 0, y = 0, z = 0;
};
inline thread_local HostShimDim threadIdx, blockIdx, blockDim, gridDim;

#include "backends/common/device_kernels.h"

namespace hccl {
namespace dev {

struct HostLauncher {
  template <class Kernel, class... Args>
  void operator()(Kernel kernel, LaunchShape shape, Args... args) const {
    gridDim.x = shape.blocks;
    blockDim.x = shape.threads;
    for (unsigned b = 0; b < shape.blocks; ++b) {
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
