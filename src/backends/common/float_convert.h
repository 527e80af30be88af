// Scalar conversions between float and the narrow floating-point types hccl reduces:
// IEEE half (binary16), bfloat16, and the OCP 8-bit formats E4M3 (fn: no infinities, one NaN
// pattern per sign) and E5M2 as NVIDIA encodes them (__nv_fp8_e4m3 / __nv_fp8_e5m2).
//
// Contract (shared by every backend so that they agree on the meaning of a reduction):
// - narrow -> float is exact.
// - float -> narrow rounds to nearest, ties to even (one rounding of the float value).
// - half and bfloat16 overflow to +-infinity, as IEEE does.
// - fp8 saturates (CUDA's __NV_SATFINITE): any magnitude above the largest finite value,
//   infinities included, becomes +-448 (E4M3) or +-57344 (E5M2).
// - a NaN becomes the canonical NaN CUDA produces: 0x7FFF (half, bfloat16), 0x7F (both fp8).
// - doubleToBf16 rounds a double once to bfloat16 (used where float could round twice).
//
// Everything is written on integer bit patterns with selects instead of branches, so that a
// loop calling these functions auto-vectorises on the host and compiles unchanged with nvcc
// or hipcc (HCCL_HOST_DEVICE). Subnormal inputs and outputs are produced with integer
// arithmetic or with additions whose results are normal, so the host's flush-to-zero or
// denormals-are-zero modes do not change a conversion (arithmetic on bfloat16 values that are
// float subnormals is another matter: that follows the caller's floating-point environment).
// Rounding uses the current rounding mode, which must be the default (to nearest).
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__CUDACC__) || defined(__HIPCC__)
#define HCCL_HOST_DEVICE __host__ __device__
#define HCCL_FORCE_INLINE __forceinline__
#else
#define HCCL_HOST_DEVICE
#define HCCL_FORCE_INLINE inline __attribute__((always_inline))
#endif
#define HCCL_CVT_FN HCCL_HOST_DEVICE HCCL_FORCE_INLINE

namespace hccl {
namespace cvt {

// ---- bit casts -------------------------------------------------------------------------------

HCCL_CVT_FN uint32_t floatBits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof(u));
  return u;
}
HCCL_CVT_FN float bitsToFloat(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof(f));
  return f;
}
HCCL_CVT_FN uint64_t doubleBits(double d) {
  uint64_t u;
  memcpy(&u, &d, sizeof(u));
  return u;
}
HCCL_CVT_FN double bitsToDouble(uint64_t u) {
  double d;
  memcpy(&d, &u, sizeof(d));
  return d;
}

// Branch-free selects. Written with masks rather than ?: so that the compiler evaluates both
// arms unconditionally: with ?: it may move a floating-point addition into the arm that uses it,
// and then refuse to if-convert (and vectorise) a conditional operation that could trap.
HCCL_CVT_FN uint32_t select32(bool c, uint32_t ifTrue, uint32_t ifFalse) {
  const uint32_t m = 0u - static_cast<uint32_t>(c);
  return (ifTrue & m) | (ifFalse & ~m);
}
HCCL_CVT_FN uint64_t select64(bool c, uint64_t ifTrue, uint64_t ifFalse) {
  const uint64_t m = 0ull - static_cast<uint64_t>(c);
  return (ifTrue & m) | (ifFalse & ~m);
}

// ---- canonical NaNs and limits ---------------------------------------------------------------

constexpr uint16_t kHalfNaN = 0x7FFFu;
constexpr uint16_t kBf16NaN = 0x7FFFu;
constexpr uint8_t kFp8NaN = 0x7Fu;          // both E4M3 and E5M2
constexpr uint8_t kE4m3MaxFinite = 0x7Eu;   // 448
constexpr uint8_t kE5m2MaxFinite = 0x7Bu;   // 57344

// ---- half ------------------------------------------------------------------------------------

HCCL_CVT_FN float halfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t abs = h & 0x7FFFu;
  // Normal: move the fields up and rebias the exponent (15 -> 127).
  const uint32_t normal = (abs << 13) + ((127u - 15u) << 23);
  // Infinity and NaN keep their mantissa (a NaN stays a NaN).
  const uint32_t special = (abs << 13) | 0x7F800000u;
  // Zero and subnormal: mantissa * 2^-24, exact, and a normal float.
  const uint32_t sub = floatBits(static_cast<float>(static_cast<int32_t>(abs)) * 0x1p-24f);
  const uint32_t mag = select32(abs >= 0x7C00u, special, select32(abs >= 0x0400u, normal, sub));
  return bitsToFloat(sign | mag);
}

HCCL_CVT_FN uint16_t floatToHalf(float f) {
  const uint32_t x = floatBits(f);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t abs = x & 0x7FFFFFFFu;
  // Normal result (|f| >= 2^-14): round away the low 13 mantissa bits (ties to even) and rebias;
  // a carry moves into the exponent by itself, and everything from 65520 up reaches 0x7C00.
  uint32_t normal = (abs + 0x0FFFu + ((abs >> 13) & 1u) - ((127u - 15u) << 23)) >> 13;
  normal = select32(normal > 0x7C00u, 0x7C00u, normal);
  // Subnormal result: adding 0.5 makes the FPU round at 2^-24, the half subnormal quantum.
  const uint32_t sub = floatBits(bitsToFloat(abs) + 0.5f) - 0x3F000000u;
  const uint32_t mag = select32(abs >= 0x38800000u, normal, sub);
  return static_cast<uint16_t>(select32(abs > 0x7F800000u, kHalfNaN, sign | mag));
}

// ---- bfloat16 --------------------------------------------------------------------------------

HCCL_CVT_FN float bf16ToFloat(uint16_t h) { return bitsToFloat(static_cast<uint32_t>(h) << 16); }

HCCL_CVT_FN uint16_t floatToBf16(float f) {
  const uint32_t x = floatBits(f);
  // Same exponent range as float: round the low 16 bits away; overflow carries into infinity.
  const uint32_t rounded = (x + 0x7FFFu + ((x >> 16) & 1u)) >> 16;
  return static_cast<uint16_t>(select32((x & 0x7FFFFFFFu) > 0x7F800000u, kBf16NaN, rounded));
}

HCCL_CVT_FN uint16_t doubleToBf16(double d) {
  const uint64_t x = doubleBits(d);
  const uint64_t sign = (x >> 48) & 0x8000u;
  const uint64_t abs = x & 0x7FFFFFFFFFFFFFFFull;
  // Normal result (|d| >= 2^-126): keep 7 of 52 mantissa bits, rebias 1023 -> 127.
  uint64_t normal =
      (abs + ((1ull << 44) - 1) + ((abs >> 45) & 1u) - (static_cast<uint64_t>(1023 - 127) << 52)) >>
      45;
  normal = select64(normal > 0x7F80u, 0x7F80u, normal);
  // Subnormal result: quantum 2^-133; adding 2^-81 makes the FPU round there.
  const uint64_t sub = doubleBits(bitsToDouble(abs) + 0x1p-81) - 0x3AE0000000000000ull;
  const uint64_t mag = select64(abs >= 0x3810000000000000ull, normal, sub);
  return static_cast<uint16_t>(select64(abs > 0x7FF0000000000000ull, kBf16NaN, sign | mag));
}

// ---- fp8 E4M3 (bias 7, max 448, NaN = S.1111.111, no infinities) ----------------------------

HCCL_CVT_FN float fp8e4m3ToFloat(uint8_t v) {
  const uint32_t sign = static_cast<uint32_t>(v & 0x80u) << 24;
  const uint32_t abs = v & 0x7Fu;
  const uint32_t normal = (abs << 20) + ((127u - 7u) << 23);
  const uint32_t sub = floatBits(static_cast<float>(static_cast<int32_t>(abs)) * 0x1p-9f);
  const uint32_t mag = select32(abs == 0x7Fu, 0x7FC00000u, select32(abs >= 0x08u, normal, sub));
  return bitsToFloat(sign | mag);
}

HCCL_CVT_FN uint8_t floatToFp8e4m3(float f) {
  const uint32_t x = floatBits(f);
  const uint32_t sign = (x >> 24) & 0x80u;
  const uint32_t abs = x & 0x7FFFFFFFu;
  // Saturate first: nothing can round above 448 (0x43E00000) afterwards.
  const uint32_t a = select32(abs > 0x43E00000u, 0x43E00000u, abs);
  const uint32_t normal = (a + 0x7FFFFu + ((a >> 20) & 1u) - ((127u - 7u) << 23)) >> 20;
  // Subnormal result (|f| < 2^-6): quantum 2^-9; adding 2^14 makes the FPU round there.
  const uint32_t sub = floatBits(bitsToFloat(a) + 0x1p14f) - 0x46800000u;
  const uint32_t mag = select32(a >= 0x3C800000u, normal, sub);
  return static_cast<uint8_t>(select32(abs > 0x7F800000u, kFp8NaN, sign | mag));
}

// ---- fp8 E5M2 (bias 15, max 57344, the top byte of a half) -----------------------------------

HCCL_CVT_FN float fp8e5m2ToFloat(uint8_t v) {
  return halfToFloat(static_cast<uint16_t>(static_cast<uint16_t>(v) << 8));
}

HCCL_CVT_FN uint8_t floatToFp8e5m2(float f) {
  const uint32_t x = floatBits(f);
  const uint32_t sign = (x >> 24) & 0x80u;
  const uint32_t abs = x & 0x7FFFFFFFu;
  // Saturate at 57344 (0x47600000); infinities too.
  const uint32_t a = select32(abs > 0x47600000u, 0x47600000u, abs);
  const uint32_t normal = (a + 0xFFFFFu + ((a >> 21) & 1u) - ((127u - 15u) << 23)) >> 21;
  // Subnormal result (|f| < 2^-14): quantum 2^-16; adding 2^7 makes the FPU round there.
  const uint32_t sub = floatBits(bitsToFloat(a) + 0x1p7f) - 0x43000000u;
  const uint32_t mag = select32(a >= 0x38800000u, normal, sub);
  return static_cast<uint8_t>(select32(abs > 0x7F800000u, kFp8NaN, sign | mag));
}

}  // namespace cvt
}  // namespace hccl
