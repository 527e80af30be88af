// Element arithmetic for the device kernels, written once for nvcc, hipcc and the host compiler
// (the fake device runtime and the kernel unit test run it on the CPU). Every function computes
// bit for bit what the host backend's kernels compute (src/backends/host/host_kernels.h states
// the contract): integers wrap, narrow floats widen to float and round back once through
// float_convert.h, or the GPU's conversion instructions with its bits (device_convert.h;
// bfloat16 products in double), Max/Min ignore a NaN and order -0 < +0.
// Kernels built from these must not contract a*b+c into an FMA (nvcc --fmad=false,
// hipcc -ffp-contract=off): the host never fuses.
#pragma once

#include <cstdint>
#include <type_traits>

#include "backends/common/device_convert.h"
#include "backends/common/float_convert.h"
#include "backends/common/float_order.h"

namespace hccl {
namespace dev {

#define HCCL_DEV_FN HCCL_HOST_DEVICE HCCL_FORCE_INLINE

// Integer types travel as their unsigned storage; kSigned picks the comparison.
template <class U, bool kSigned>
struct IntElem {
  using T = U;
  using S = std::make_signed_t<U>;
  using Wide = std::conditional_t<sizeof(U) == 1, unsigned, U>;  // no promotion to signed int
  static HCCL_DEV_FN U sum(U a, U b) { return static_cast<U>(static_cast<Wide>(a) + static_cast<Wide>(b)); }
  static HCCL_DEV_FN U prod(U a, U b) { return static_cast<U>(static_cast<Wide>(a) * static_cast<Wide>(b)); }
  static HCCL_DEV_FN U max(U a, U b) {
    if constexpr (kSigned) return static_cast<S>(a) >= static_cast<S>(b) ? a : b;
    else return a >= b ? a : b;
  }
  static HCCL_DEV_FN U min(U a, U b) {
    if constexpr (kSigned) return static_cast<S>(a) <= static_cast<S>(b) ? a : b;
    else return a <= b ? a : b;
  }
  static HCCL_DEV_FN U scale(U x, U s) { return prod(x, s); }
  // Truncating division of the typed value (divisor >= 1). Up to 32 bits it divides in double:
  // the quotient of two such integers is never within rounding distance of the next integer, so
  // truncating it is exact, and it vectorises (CPUs have no SIMD integer division); with a
  // divisor >= 2 every quotient fits in int32.
  static HCCL_DEV_FN U divide(U x, int divisor) {
    if constexpr (sizeof(U) <= 4) {
      if (divisor == 1) return x;
      return static_cast<U>(static_cast<int32_t>(exact(x) / static_cast<double>(divisor)));
    } else if constexpr (kSigned) {
      return static_cast<U>(static_cast<S>(x) / static_cast<S>(divisor));
    } else {
      return static_cast<U>(x / static_cast<U>(divisor));
    }
  }
  // The typed value of x as a double, exactly (32 bits at most).
  static HCCL_DEV_FN double exact(U x) {
    if constexpr (kSigned) return static_cast<double>(static_cast<S>(x));
    // x86 converts only signed int32 to double in SIMD: shift the range, convert, shift back.
    else if constexpr (sizeof(U) == 4) return static_cast<double>(static_cast<int32_t>(x ^ 0x80000000u)) + 2147483648.0;
    else return static_cast<double>(x);
  }
};

template <class F, class U, U kAbsMask, U kNaNAbove, U kNaN>
struct IeeeElem {
  using T = F;
  using Pick = FloatBitsMinMax<U, kAbsMask, kNaNAbove, kNaN>;
  static HCCL_DEV_FN U bits(F f) {
    U u;
    memcpy(&u, &f, sizeof(u));
    return u;
  }
  static HCCL_DEV_FN F value(U u) {
    F f;
    memcpy(&f, &u, sizeof(f));
    return f;
  }
  static HCCL_DEV_FN F sum(F a, F b) { return a + b; }
  static HCCL_DEV_FN F prod(F a, F b) { return a * b; }
  static HCCL_DEV_FN F max(F a, F b) { return value(Pick::template pick<true>(bits(a), bits(b))); }
  static HCCL_DEV_FN F min(F a, F b) { return value(Pick::template pick<false>(bits(a), bits(b))); }
  static HCCL_DEV_FN F scale(F x, F s) { return x * s; }
  static HCCL_DEV_FN F divide(F x, int divisor) { return x / static_cast<F>(divisor); }
};

// Narrow floats: widen, compute in float (bfloat16 products in double), round back once.
// C names the conversions (a struct, so nvcc and hipcc see plain inline calls).
template <class C>
struct NarrowElem {
  using T = typename C::U;
  using U = typename C::U;
  using Pick = FloatBitsMinMax<U, static_cast<U>(sizeof(U) == 1 ? 0x7F : 0x7FFF), C::kNaNAbove,
                             C::kNaN>;
  static HCCL_DEV_FN U sum(U a, U b) { return C::narrow(C::widen(a) + C::widen(b)); }
  static HCCL_DEV_FN U prod(U a, U b) {
    if constexpr (C::kProdInDouble)
      return devcvt::doubleToBf16(static_cast<double>(C::widen(a)) * static_cast<double>(C::widen(b)));
    else return C::narrow(C::widen(a) * C::widen(b));
  }
  static HCCL_DEV_FN U max(U a, U b) { return Pick::template pick<true>(a, b); }
  static HCCL_DEV_FN U min(U a, U b) { return Pick::template pick<false>(a, b); }
  static HCCL_DEV_FN U scale(U x, U s) { return prod(x, s); }
  static HCCL_DEV_FN U divide(U x, int divisor) {
    return C::narrow(C::widen(x) / static_cast<float>(divisor));
  }
};

struct HalfCvt {
  using U = uint16_t;
  static constexpr U kNaNAbove = 0x7C00, kNaN = cvt::kHalfNaN;
  static constexpr bool kProdInDouble = false;
  static HCCL_DEV_FN float widen(U v) { return devcvt::halfToFloat(v); }
  static HCCL_DEV_FN U narrow(float f) { return devcvt::floatToHalf(f); }
};
struct Bf16Cvt {
  using U = uint16_t;
  static constexpr U kNaNAbove = 0x7F80, kNaN = cvt::kBf16NaN;
  static constexpr bool kProdInDouble = true;
  static HCCL_DEV_FN float widen(U v) { return devcvt::bf16ToFloat(v); }
  static HCCL_DEV_FN U narrow(float f) { return devcvt::floatToBf16(f); }
};
struct E4m3Cvt {
  using U = uint8_t;
  static constexpr U kNaNAbove = 0x7E, kNaN = cvt::kFp8NaN;
  static constexpr bool kProdInDouble = false;
  static HCCL_DEV_FN float widen(U v) { return devcvt::fp8e4m3ToFloat(v); }
  static HCCL_DEV_FN U narrow(float f) { return devcvt::floatToFp8e4m3(f); }
};
struct E5m2Cvt {
  using U = uint8_t;
  static constexpr U kNaNAbove = 0x7C, kNaN = cvt::kFp8NaN;
  static constexpr bool kProdInDouble = false;
  static HCCL_DEV_FN float widen(U v) { return devcvt::fp8e5m2ToFloat(v); }
  static HCCL_DEV_FN U narrow(float f) { return devcvt::floatToFp8e5m2(f); }
};

using Int8Elem = IntElem<uint8_t, true>;
using Uint8Elem = IntElem<uint8_t, false>;
using Int32Elem = IntElem<uint32_t, true>;
using Uint32Elem = IntElem<uint32_t, false>;
using Int64Elem = IntElem<uint64_t, true>;
using Uint64Elem = IntElem<uint64_t, false>;
using F32Elem = IeeeElem<float, uint32_t, 0x7FFFFFFFu, 0x7F800000u, 0x7FFFFFFFu>;
using F64Elem = IeeeElem<double, uint64_t, 0x7FFFFFFFFFFFFFFFull, 0x7FF0000000000000ull,
                         0x7FFFFFFFFFFFFFFFull>;
using HalfElem = NarrowElem<HalfCvt>;
using Bf16Elem = NarrowElem<Bf16Cvt>;
using E4m3Elem = NarrowElem<E4m3Cvt>;
using E5m2Elem = NarrowElem<E5m2Cvt>;

// Element types (hccl::DataType values 0 .. kNumKernelTypes - 1).
inline constexpr int kNumKernelTypes = 12;

// Calls f(Elem{}) for the element type of `type` (hccl::DataType value); false if invalid.
template <class F>
HCCL_FORCE_INLINE bool withElem(int type, F&& f) {
  switch (type) {
    case 0: f(Int8Elem{}); return true;
    case 1: f(Uint8Elem{}); return true;
    case 2: f(Int32Elem{}); return true;
    case 3: f(Uint32Elem{}); return true;
    case 4: f(Int64Elem{}); return true;
    case 5: f(Uint64Elem{}); return true;
    case 6: f(HalfElem{}); return true;
    case 7: f(F32Elem{}); return true;
    case 8: f(F64Elem{}); return true;
    case 9: f(Bf16Elem{}); return true;
    case 10: f(E4m3Elem{}); return true;
    case 11: f(E5m2Elem{}); return true;
  }
  return false;
}

// The operator as a functor, so a kernel template takes it by type (hccl::ReduceOp values).
template <class E, int kOp>
struct OpFn {
  using T = typename E::T;
  static HCCL_DEV_FN T apply(T a, T b) {
    if constexpr (kOp == 0) return E::sum(a, b);
    else if constexpr (kOp == 1) return E::prod(a, b);
    else if constexpr (kOp == 2) return E::max(a, b);
    else return E::min(a, b);
  }
};

template <class E>
struct ScaleFn {
  using T = typename E::T;
  T s;
  HCCL_DEV_FN T operator()(T x) const { return E::scale(x, s); }
};

template <class E>
struct DivideFn {
  using T = typename E::T;
  int divisor;
  HCCL_DEV_FN T operator()(T x) const { return E::divide(x, divisor); }
};

}  // namespace dev
}  // namespace hccl
