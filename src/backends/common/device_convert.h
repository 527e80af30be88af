// The narrow-float conversions the GPU kernels use: on NVIDIA GPUs the device's own conversion
// instructions (half everywhere, bfloat16 from sm_80, fp8 from sm_89; the CUDA headers emulate
// them on older architectures), with float_convert.h's contract: round to nearest even,
// half and bfloat16 overflowing to infinity, fp8 saturating, every NaN made the canonical one.
// Everywhere else (the host, hipcc) the software conversions of float_convert.h.
//
// The instructions and the software agree bit for bit: tests/device/cuda_convert_test.cc holds
// CUDA's own conversions (the CUDA headers' host emulation of them) to float_convert.h on every
// narrow value and on every rounding boundary, and the GPU kernel test compares the kernels with
// the host backend on the device. Widening NaN payloads may differ, but no widened value is
// stored: every result is narrowed again, which canonicalises NaNs.
#pragma once

#include <cstdint>

#include "backends/common/float_convert.h"

#if defined(__CUDACC__) || defined(HCCL_CUDA_CONVERT_ON_HOST)
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>

namespace hccl {
// The conversions through CUDA's intrinsics. Compiled for the host too where the CUDA headers are
// at hand (their host emulation of the instructions), which is how the tests check them.
namespace cudacvt {

HCCL_CVT_FN bool isNaN(float f) { return f != f; }
HCCL_CVT_FN bool isNaN(double d) { return d != d; }

HCCL_CVT_FN float halfToFloat(uint16_t h) { return __half2float(__ushort_as_half(h)); }
HCCL_CVT_FN uint16_t floatToHalf(float f) { return isNaN(f) ? cvt::kHalfNaN : __half_as_ushort(__float2half_rn(f)); }
HCCL_CVT_FN float bf16ToFloat(uint16_t h) { return cvt::bf16ToFloat(h); }  // a shift either way
HCCL_CVT_FN uint16_t floatToBf16(float f) {
  return isNaN(f) ? cvt::kBf16NaN : __bfloat16_as_ushort(__float2bfloat16_rn(f));
}
HCCL_CVT_FN uint16_t doubleToBf16(double d) {
  return isNaN(d) ? cvt::kBf16NaN : __bfloat16_as_ushort(__double2bfloat16(d));
}
HCCL_CVT_FN float fp8ToFloat(uint8_t v, __nv_fp8_interpretation_t kind) {
  return __half2float(__half(__nv_cvt_fp8_to_halfraw(v, kind)));
}
HCCL_CVT_FN uint8_t floatToFp8(float f, __nv_fp8_interpretation_t kind) {
  return isNaN(f) ? cvt::kFp8NaN : static_cast<uint8_t>(__nv_cvt_float_to_fp8(f, __NV_SATFINITE, kind));
}
HCCL_CVT_FN float fp8e4m3ToFloat(uint8_t v) { return fp8ToFloat(v, __NV_E4M3); }
HCCL_CVT_FN uint8_t floatToFp8e4m3(float f) { return floatToFp8(f, __NV_E4M3); }
HCCL_CVT_FN float fp8e5m2ToFloat(uint8_t v) { return fp8ToFloat(v, __NV_E5M2); }
HCCL_CVT_FN uint8_t floatToFp8e5m2(float f) { return floatToFp8(f, __NV_E5M2); }

}  // namespace cudacvt
}  // namespace hccl
#endif

namespace hccl {
namespace devcvt {

#if defined(__CUDA_ARCH__)
using cudacvt::bf16ToFloat;
using cudacvt::doubleToBf16;
using cudacvt::floatToBf16;
using cudacvt::floatToFp8e4m3;
using cudacvt::floatToFp8e5m2;
using cudacvt::floatToHalf;
using cudacvt::fp8e4m3ToFloat;
using cudacvt::fp8e5m2ToFloat;
using cudacvt::halfToFloat;
#else
using cvt::bf16ToFloat;
using cvt::doubleToBf16;
using cvt::floatToBf16;
using cvt::floatToFp8e4m3;
using cvt::floatToFp8e5m2;
using cvt::floatToHalf;
using cvt::fp8e4m3ToFloat;
using cvt::fp8e5m2ToFloat;
using cvt::halfToFloat;
#endif

}  // namespace devcvt
}  // namespace hccl
