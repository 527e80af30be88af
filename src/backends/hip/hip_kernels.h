// Kernel entry points of the HIP plugin (hip_kernels.hip.cc), in the table's shape.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hccl {
namespace hip {

int preloadKernels();
int reduce(void* dst, void* dst2, const void* a, const void* b, size_t count, int type, int op,
           void* stream);
int scale(void* dst, const void* src, size_t count, int type, const void* scalar, void* stream);
int divide(void* buf, size_t count, int type, int divisor, void* stream);
int waitFlag(const void* flag, uint32_t value, const void* abort, void* stream);

}  // namespace hip
}  // namespace hccl
