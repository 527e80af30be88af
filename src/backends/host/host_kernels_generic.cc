// The kernel set for any CPU: compiled with the project's baseline target options (SSE2 on
// x86-64), auto-vectorised at -O3.
#include "backends/host/host_kernels_impl.h"

namespace hccl {
namespace host {

const KernelSet& genericKernelSet() {
  static const KernelSet kSet = makeKernelSet("generic");
  return kSet;
}

}  // namespace host
}  // namespace hccl
