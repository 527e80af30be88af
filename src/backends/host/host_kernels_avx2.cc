// The kernel set for x86-64 CPUs with AVX2, FMA and F16C (Haswell, Zen and later): the same
// templates as the generic set, compiled for those instructions, plus hand-written F16C loops
// for half and bfloat16. Chosen at run time by activeKernelSet().
//
// Every header with external-linkage inline code is included before the target pragma, so that
// only this unit's anonymous-namespace kernels are compiled for AVX2 and the linker cannot pick
// an AVX2 copy of a shared inline function for code that runs on older CPUs.
#include "backends/host/host_kernels.h"

#if defined(__x86_64__) && defined(__GNUC__)

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "backends/common/float_convert.h"
#include "base/datatype.h"

#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")
#define HCCL_KERNELS_F16C 1
#include "backends/host/host_kernels_impl.h"

namespace hccl {
namespace host {
namespace {

KernelSet makeAvx2KernelSet() { return makeKernelSet("avx2"); }

}  // namespace
}  // namespace host
}  // namespace hccl
#pragma GCC pop_options

namespace hccl {
namespace host {

const KernelSet* avx2KernelSet() {
  static const KernelSet kSet = makeAvx2KernelSet();
  return &kSet;
}

}  // namespace host
}  // namespace hccl

#else

namespace hccl {
namespace host {

const KernelSet* avx2KernelSet() { return nullptr; }

}  // namespace host
}  // namespace hccl

#endif
