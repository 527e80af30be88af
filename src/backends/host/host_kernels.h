// The host backend's element-wise kernels, compiled once per instruction set and chosen at run
// time (generic x86-64/other, or AVX2+FMA+F16C). Internal to src/backends/host and its tests.
//
// Semantics, for every kernel set (tests hold each set to them bit for bit):
// - Integers wrap (two's complement); division truncates toward zero.
// - half, bfloat16 and fp8 results are the exact result rounded once, to nearest even (as
//   common/float_convert.h rounds: half/bfloat16 overflow to infinity, fp8 saturates to the
//   largest finite value, infinities included, and a NaN result is the type's canonical NaN).
//   Computing in float and rounding back gives exactly that for these types, except for
//   bfloat16 products that fall below float's normal range: bfloat16 Prod and scale therefore
//   compute in double. Division divides in float by (float)divisor.
// - float and double use IEEE arithmetic of their own width (a NaN result is whichever NaN the
//   CPU produces).
// - Max/Min of floating types compare values with -0 < +0 and ignore a NaN operand (the other
//   operand is returned, as fmax/fmin and CUDA's __hmax do); when both operands are NaN the
//   result is the type's canonical NaN. Otherwise the result is one of the inputs' bit
//   patterns, so Max/Min are commutative and associative bit for bit.
// - The caller's floating-point environment must be the default one (round to nearest; with
//   flush-to-zero or denormals-are-zero set, float and bfloat16 subnormals flush).
#pragma once

#include <cstddef>

#include "base/datatype.h"

namespace hccl {
namespace host {

// dst[i] = a[i] op b[i]. dst may equal a or b; no other overlap. No alignment required.
using ReduceKernel = void (*)(void* dst, const void* a, const void* b, size_t count);
// dst[i] = src[i] * *scalar (scalar: one element of the type). dst may equal src.
using ScaleKernel = void (*)(void* dst, const void* src, size_t count, const void* scalar);
// buf[i] = buf[i] / divisor, divisor >= 1.
using DivideKernel = void (*)(void* buf, size_t count, int divisor);

struct KernelSet {
  const char* name;
  ReduceKernel reduce[kNumDataTypes][kNumReduceOps];
  ScaleKernel scale[kNumDataTypes];
  DivideKernel divide[kNumDataTypes];
};

enum class KernelIsa : int { Generic = 0, Avx2 = 1 };
constexpr int kNumKernelIsas = 2;

// The kernel set for `isa`, or nullptr when this build or this CPU lacks it.
const KernelSet* kernelSet(KernelIsa isa);
// The best kernel set this CPU runs (what hostBackend() uses).
const KernelSet& activeKernelSet();

// Defined in the per-ISA translation units. avx2KernelSet() returns nullptr when not built for
// x86-64, and may only be called on a CPU with AVX2, FMA and F16C (kernelSet() checks).
const KernelSet& genericKernelSet();
const KernelSet* avx2KernelSet();

}  // namespace host
}  // namespace hccl
