// Kernel templates, included by each per-ISA translation unit (host_kernels_generic.cc,
// host_kernels_avx2.cc) after it has chosen its target options. Everything here lives in an
// anonymous namespace, so each unit owns a private copy compiled for its instruction set and
// the linker can never mix an AVX2 copy into the generic path.
//
// The loops are plain scalar code that GCC auto-vectorises: loads and stores go through memcpy
// on byte pointers (any alignment, no aliasing UB), conversions are branch-free, and the three
// aliasing cases (dst distinct, dst == a, dst == b) each get their own restrict-qualified loop
// so that the vectoriser needs no run-time overlap check (which would fail, and fall back to
// scalar code, exactly when dst == a); dst == a == b has a loop of its own too. (a == b with a
// distinct dst needs nothing: restrict constrains only objects that are written.)
//
// A unit that defines HCCL_KERNELS_F16C before including this file gets hand-written AVX2/F16C
// loops for half, bfloat16 and fp8 (see the bottom of the file); it must include <immintrin.h>.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "backends/common/float_convert.h"
#include "backends/common/float_order.h"
#include "backends/host/host_kernels.h"
#include "base/datatype.h"

namespace hccl {
namespace host {
namespace {

#define HCCL_KERNEL_INLINE inline __attribute__((always_inline))

template <class U>
HCCL_KERNEL_INLINE U loadAt(const unsigned char* p, size_t i) {
  U v;
  memcpy(&v, p + i * sizeof(U), sizeof(U));
  return v;
}
template <class U>
HCCL_KERNEL_INLINE void storeAt(unsigned char* p, size_t i, U v) {
  memcpy(p + i * sizeof(U), &v, sizeof(U));
}

// ---- element arithmetic ----------------------------------------------------------------------
// Values travel as their storage type: the unsigned integer of the element's width for integers
// and narrow floats, float and double for those two. `S` is the signed integer of that width.

template <class UT, bool kIsSigned>
struct IntOps {
  using U = UT;
  using S = typename std::conditional<sizeof(UT) == 1, int8_t,
            typename std::conditional<sizeof(UT) == 4, int32_t, int64_t>::type>::type;
  // Unsigned arithmetic wraps without UB; uint8 operands promote to int, which cannot overflow.
  static HCCL_KERNEL_INLINE U sum(U a, U b) { return static_cast<U>(a + b); }
  static HCCL_KERNEL_INLINE U prod(U a, U b) {
    return static_cast<U>(static_cast<typename std::conditional<sizeof(U) == 1, unsigned, U>::type>(a) *
                          static_cast<typename std::conditional<sizeof(U) == 1, unsigned, U>::type>(b));
  }
  static HCCL_KERNEL_INLINE U max(U a, U b) {
    if constexpr (kIsSigned) return static_cast<S>(a) >= static_cast<S>(b) ? a : b;
    else return a >= b ? a : b;
  }
  static HCCL_KERNEL_INLINE U min(U a, U b) {
    if constexpr (kIsSigned) return static_cast<S>(a) <= static_cast<S>(b) ? a : b;
    else return a <= b ? a : b;
  }
};

// Float32/Float64: arithmetic in the type itself; Max/Min on the bits.
template <class F, class U, U kAbsMask, U kNaNAbove, U kNaN>
struct IeeeElem {
  using Storage = F;
  using MinMax = FloatBitsMinMax<U, kAbsMask, kNaNAbove, kNaN>;
  static HCCL_KERNEL_INLINE U bits(F f) {
    U u;
    memcpy(&u, &f, sizeof(u));
    return u;
  }
  static HCCL_KERNEL_INLINE F value(U u) {
    F f;
    memcpy(&f, &u, sizeof(f));
    return f;
  }
  static HCCL_KERNEL_INLINE F sum(F a, F b) { return a + b; }
  static HCCL_KERNEL_INLINE F prod(F a, F b) { return a * b; }
  static HCCL_KERNEL_INLINE F max(F a, F b) {
    return value(MinMax::template pick<true>(bits(a), bits(b)));
  }
  static HCCL_KERNEL_INLINE F min(F a, F b) {
    return value(MinMax::template pick<false>(bits(a), bits(b)));
  }
};

// ---- operator functors: `Storage apply(Storage, Storage)` ------------------------------------

template <class UT, bool kIsSigned, ReduceOp kOp>
struct IntFn {
  using Storage = UT;
  static HCCL_KERNEL_INLINE UT apply(UT a, UT b) {
    using O = IntOps<UT, kIsSigned>;
    if constexpr (kOp == ReduceOp::Sum) return O::sum(a, b);
    else if constexpr (kOp == ReduceOp::Prod) return O::prod(a, b);
    else if constexpr (kOp == ReduceOp::Max) return O::max(a, b);
    else return O::min(a, b);
  }
};

using F32Elem = IeeeElem<float, uint32_t, 0x7FFFFFFFu, 0x7F800000u, 0x7FFFFFFFu>;
using F64Elem = IeeeElem<double, uint64_t, 0x7FFFFFFFFFFFFFFFull, 0x7FF0000000000000ull,
                         0x7FFFFFFFFFFFFFFFull>;

template <class E, ReduceOp kOp>
struct IeeeFn {
  using Storage = typename E::Storage;
  static HCCL_KERNEL_INLINE Storage apply(Storage a, Storage b) {
    if constexpr (kOp == ReduceOp::Sum) return E::sum(a, b);
    else if constexpr (kOp == ReduceOp::Prod) return E::prod(a, b);
    else if constexpr (kOp == ReduceOp::Max) return E::max(a, b);
    else return E::min(a, b);
  }
};

// Narrow floating types: widen to float, compute, round back once.
struct HalfCvt {
  using U = uint16_t;
  using MinMax = FloatBitsMinMax<uint16_t, 0x7FFF, 0x7C00, cvt::kHalfNaN>;
  static HCCL_KERNEL_INLINE float widen(U v) { return cvt::halfToFloat(v); }
  static HCCL_KERNEL_INLINE U narrow(float f) { return cvt::floatToHalf(f); }
  static constexpr bool kProdInDouble = false;
};
struct Bf16Cvt {
  using U = uint16_t;
  using MinMax = FloatBitsMinMax<uint16_t, 0x7FFF, 0x7F80, cvt::kBf16NaN>;
  static HCCL_KERNEL_INLINE float widen(U v) { return cvt::bf16ToFloat(v); }
  static HCCL_KERNEL_INLINE U narrow(float f) { return cvt::floatToBf16(f); }
  // A product of two bfloat16 values is exact in double, and doubleToBf16 rounds it once; in
  // float it could round twice when it lands in float's subnormal range.
  static constexpr bool kProdInDouble = true;
  static HCCL_KERNEL_INLINE U narrowDouble(double d) { return cvt::doubleToBf16(d); }
};
struct E4m3Cvt {
  using U = uint8_t;
  using MinMax = FloatBitsMinMax<uint8_t, 0x7F, 0x7E, cvt::kFp8NaN>;
  static HCCL_KERNEL_INLINE float widen(U v) { return cvt::fp8e4m3ToFloat(v); }
  static HCCL_KERNEL_INLINE U narrow(float f) { return cvt::floatToFp8e4m3(f); }
  static constexpr bool kProdInDouble = false;
};
struct E5m2Cvt {
  using U = uint8_t;
  using MinMax = FloatBitsMinMax<uint8_t, 0x7F, 0x7C, cvt::kFp8NaN>;
  static HCCL_KERNEL_INLINE float widen(U v) { return cvt::fp8e5m2ToFloat(v); }
  static HCCL_KERNEL_INLINE U narrow(float f) { return cvt::floatToFp8e5m2(f); }
  static constexpr bool kProdInDouble = false;
};

template <class C>
HCCL_KERNEL_INLINE typename C::U narrowMul(typename C::U a, typename C::U b) {
  if constexpr (C::kProdInDouble) {
    return C::narrowDouble(static_cast<double>(C::widen(a)) * static_cast<double>(C::widen(b)));
  } else {
    return C::narrow(C::widen(a) * C::widen(b));
  }
}

template <class C, ReduceOp kOp>
struct NarrowFn {
  using Storage = typename C::U;
  static HCCL_KERNEL_INLINE Storage apply(Storage a, Storage b) {
    if constexpr (kOp == ReduceOp::Sum) return C::narrow(C::widen(a) + C::widen(b));
    else if constexpr (kOp == ReduceOp::Prod) return narrowMul<C>(a, b);
    else if constexpr (kOp == ReduceOp::Max) return C::MinMax::template pick<true>(a, b);
    else return C::MinMax::template pick<false>(a, b);
  }
};

// ---- loops -----------------------------------------------------------------------------------

template <class Fn>
void reduceDistinct(unsigned char* __restrict d, const unsigned char* __restrict a,
                    const unsigned char* __restrict b, size_t n) {
  using T = typename Fn::Storage;
  for (size_t i = 0; i < n; ++i) storeAt<T>(d, i, Fn::apply(loadAt<T>(a, i), loadAt<T>(b, i)));
}

// d[i] = d[i] op o[i] (kDstIsA) or o[i] op d[i].
template <class Fn, bool kDstIsA>
void reduceInPlace(unsigned char* __restrict d, const unsigned char* __restrict o, size_t n) {
  using T = typename Fn::Storage;
  for (size_t i = 0; i < n; ++i) {
    const T x = loadAt<T>(d, i), y = loadAt<T>(o, i);
    storeAt<T>(d, i, kDstIsA ? Fn::apply(x, y) : Fn::apply(y, x));
  }
}

// d[i] = d[i] op d[i] (dst, a and b all the same buffer).
template <class Fn>
void reduceSelf(unsigned char* __restrict d, size_t n) {
  using T = typename Fn::Storage;
  for (size_t i = 0; i < n; ++i) {
    const T x = loadAt<T>(d, i);
    storeAt<T>(d, i, Fn::apply(x, x));
  }
}

template <class Fn>
void reduceKernel(void* dst, const void* a, const void* b, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  if (dst == a && dst == b) {
    reduceSelf<Fn>(d, n);
  } else if (dst == a) {
    reduceInPlace<Fn, true>(d, static_cast<const unsigned char*>(b), n);
  } else if (dst == b) {
    reduceInPlace<Fn, false>(d, static_cast<const unsigned char*>(a), n);
  } else {
    reduceDistinct<Fn>(d, static_cast<const unsigned char*>(a),
                       static_cast<const unsigned char*>(b), n);
  }
}

// A unary map d[i] = Fn(s[i]) with Fn carrying its parameter, for scale and divide.
template <class T, class Map>
void mapDistinct(unsigned char* __restrict d, const unsigned char* __restrict s, size_t n,
                 Map map) {
  for (size_t i = 0; i < n; ++i) storeAt<T>(d, i, map(loadAt<T>(s, i)));
}
template <class T, class Map>
void mapInPlace(unsigned char* __restrict d, size_t n, Map map) {
  for (size_t i = 0; i < n; ++i) storeAt<T>(d, i, map(loadAt<T>(d, i)));
}
template <class T, class Map>
HCCL_KERNEL_INLINE void mapKernel(void* dst, const void* src, size_t n, Map map) {
  if (dst == src) {
    mapInPlace<T>(static_cast<unsigned char*>(dst), n, map);
  } else {
    mapDistinct<T>(static_cast<unsigned char*>(dst), static_cast<const unsigned char*>(src), n,
                   map);
  }
}

// ---- scale -----------------------------------------------------------------------------------

template <class UT>
void scaleInt(void* dst, const void* src, size_t n, const void* scalar) {
  UT s;
  memcpy(&s, scalar, sizeof(s));
  using W = typename std::conditional<sizeof(UT) == 1, unsigned, UT>::type;
  mapKernel<UT>(dst, src, n, [s](UT x) { return static_cast<UT>(static_cast<W>(x) * static_cast<W>(s)); });
}

template <class F>
void scaleIeee(void* dst, const void* src, size_t n, const void* scalar) {
  F s;
  memcpy(&s, scalar, sizeof(s));
  mapKernel<F>(dst, src, n, [s](F x) { return x * s; });
}

template <class C>
void scaleNarrow(void* dst, const void* src, size_t n, const void* scalar) {
  typename C::U s;
  memcpy(&s, scalar, sizeof(s));
  if constexpr (C::kProdInDouble) {
    const double sd = static_cast<double>(C::widen(s));
    mapKernel<typename C::U>(dst, src, n, [sd](typename C::U x) {
      return C::narrowDouble(static_cast<double>(C::widen(x)) * sd);
    });
  } else {
    const float sf = C::widen(s);
    mapKernel<typename C::U>(dst, src, n,
                             [sf](typename C::U x) { return C::narrow(C::widen(x) * sf); });
  }
}

// ---- divide ----------------------------------------------------------------------------------

// Integers up to 32 bits divide in double: the quotient of two such integers is never within
// rounding distance of the next integer, so truncating it is exact, and it vectorises (there is
// no SIMD integer division). With divisor >= 2 every quotient fits in int32.
template <class T>
HCCL_KERNEL_INLINE double exactDouble(T x) {
  if constexpr (std::is_same_v<T, uint32_t>) {
    // AVX2 converts only signed int32: shift the range, convert, shift back (exact).
    return static_cast<double>(static_cast<int32_t>(x ^ 0x80000000u)) + 2147483648.0;
  } else {
    return static_cast<double>(static_cast<int32_t>(x));
  }
}

template <class T>
void divideSmallInt(void* buf, size_t n, int divisor) {
  if (divisor == 1) return;
  const double dv = static_cast<double>(divisor);
  mapInPlace<T>(static_cast<unsigned char*>(buf), n, [dv](T x) {
    return static_cast<T>(static_cast<int32_t>(exactDouble(x) / dv));
  });
}

template <class T>
void divideWideInt(void* buf, size_t n, int divisor) {
  const T dv = static_cast<T>(divisor);
  mapInPlace<T>(static_cast<unsigned char*>(buf), n, [dv](T x) { return static_cast<T>(x / dv); });
}

template <class F>
void divideIeee(void* buf, size_t n, int divisor) {
  const F dv = static_cast<F>(divisor);
  mapInPlace<F>(static_cast<unsigned char*>(buf), n, [dv](F x) { return x / dv; });
}

template <class C>
void divideNarrow(void* buf, size_t n, int divisor) {
  const float dv = static_cast<float>(divisor);
  mapInPlace<typename C::U>(static_cast<unsigned char*>(buf), n,
                            [dv](typename C::U x) { return C::narrow(C::widen(x) / dv); });
}

// ---- hand-written AVX2/F16C loops for half, bfloat16 and fp8 --------------------------------
//
// Each Vec type widens one step of elements to float vectors, and narrows float results back
// with the same rounding as the scalar conversions, so vector body and scalar tail agree bit
// for bit. NaN results are rare: a compare per step detects them, and only then is the output
// rewritten to the canonical NaN (after the loop for half and bfloat16, within the step for fp8).
//
// fp8 goes through F16C: an E5M2 byte is the top byte of a half, and an E4M3 byte shifted into
// half's layout is the half of its value / 256 (same mantissa position, exponent bias 15 instead
// of 7, subnormals included). Results are converted float -> half -> fp8, two roundings to
// nearest even that equal one: half has 11 significant bits >= 2 * 4 + 2 (the classic condition
// for double rounding of sums and products to be innocuous), and where the scaled E4M3 values
// fall into half's subnormal range, sums are exact and products of two 4-bit significands have
// at most 8 significant bits, so no rounding there produces a false tie. Division keeps the
// generic path (a quotient has no such bound).

#if defined(HCCL_KERNELS_F16C)

constexpr int kRoundNearest = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;

HCCL_KERNEL_INLINE bool anySet(__m256i m) { return !_mm256_testz_si256(m, m); }

struct HalfVec {
  static constexpr size_t kStep = 16, kSize = 2;
  static constexpr float kScale = 1.0f;  // widen() returns value * kScale
  struct Wide {
    __m256 f[2];
    __m256i nanIn;  // inputs that are NaN but do not widen to one (E4M3 only)
  };
  static HCCL_KERNEL_INLINE Wide widen(const unsigned char* p) {
    return {{_mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))),
             _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16)))},
            _mm256_setzero_si256()};
  }
  // NaN results are found with one compare per step, and made canonical after the loop
  // (vcvtps2ph keeps a NaN a NaN, so the output alone says which elements to rewrite).
  static constexpr bool kDeferNaN = true;
  static HCCL_KERNEL_INLINE __m256 nanMask(const Wide& r) {
    return _mm256_cmp_ps(r.f[0], r.f[1], _CMP_UNORD_Q);
  }
  static HCCL_KERNEL_INLINE void narrowStore(unsigned char* p, const Wide& r) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm256_cvtps_ph(r.f[0], kRoundNearest));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p + 16), _mm256_cvtps_ph(r.f[1], kRoundNearest));
  }
  static void canonicalize(unsigned char* p, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      if ((loadAt<uint16_t>(p, i) & 0x7FFFu) > 0x7C00u) storeAt<uint16_t>(p, i, cvt::kHalfNaN);
    }
  }
};

struct Bf16Vec {
  static constexpr size_t kStep = 16, kSize = 2;
  static constexpr float kScale = 1.0f;
  struct Wide {
    __m256 f[2];  // f[0]: the odd elements, f[1]: the even ones (no shuffles needed)
    __m256i nanIn;
  };
  static HCCL_KERNEL_INLINE Wide widen(const unsigned char* p) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    return {{_mm256_castsi256_ps(_mm256_and_si256(v, _mm256_set1_epi32(static_cast<int>(0xFFFF0000u)))),
             _mm256_castsi256_ps(_mm256_slli_epi32(v, 16))},
            _mm256_setzero_si256()};
  }
  static HCCL_KERNEL_INLINE void narrowStore(unsigned char* p, const Wide& r) {
    const __m256i odd = _mm256_castps_si256(r.f[0]), even = _mm256_castps_si256(r.f[1]);
    // High and low 16-bit halves of all 16 floats, in element order.
    const __m256i hi = _mm256_blend_epi16(_mm256_srli_epi32(even, 16), odd, 0xAA);
    const __m256i lo = _mm256_blend_epi16(even, _mm256_slli_epi32(odd, 16), 0xAA);
    // Round to nearest even: carry into hi when lo > 0x8000, or lo == 0x8000 and hi is odd,
    // i.e. when (lo | (hi & 1)) >= 0x8001, i.e. when avg(lo | (hi & 1), 0x7FFE) >= 0x8000.
    const __m256i t = _mm256_or_si256(lo, _mm256_and_si256(hi, _mm256_set1_epi16(1)));
    const __m256i carry = _mm256_srli_epi16(_mm256_avg_epu16(t, _mm256_set1_epi16(0x7FFE)), 15);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), _mm256_add_epi16(hi, carry));
  }
  // Deferred as for half: a float NaN produced from bfloat16 operands (a quieted operand, or the
  // default NaN) has zero low 16 bits, so rounding leaves it a NaN and the output identifies it.
  static constexpr bool kDeferNaN = true;
  static HCCL_KERNEL_INLINE __m256 nanMask(const Wide& r) {
    return _mm256_cmp_ps(r.f[0], r.f[1], _CMP_UNORD_Q);
  }
  static void canonicalize(unsigned char* p, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      if ((loadAt<uint16_t>(p, i) & 0x7FFFu) > 0x7F80u) storeAt<uint16_t>(p, i, cvt::kBf16NaN);
    }
  }
};

template <bool kE4m3>
struct Fp8Vec {
  static constexpr size_t kStep = 32, kSize = 1;
  static constexpr float kScale = kE4m3 ? 1.0f / 256 : 1.0f;
  struct Wide {
    __m256 f[4];  // 16-bit unpack order: elements 0-7, 16-23, 8-15, 24-31
    __m256i nanIn;
  };
  // Bytes in the high half of 16-bit lanes -> half bit patterns.
  static HCCL_KERNEL_INLINE __m256i toHalf(__m256i w) {
    if constexpr (kE4m3) {
      // S.EEEE.MMM -> S.0EEEE.MMM0000000 (arithmetic shift, then clear the copied sign bit).
      return _mm256_and_si256(_mm256_srai_epi16(w, 1), _mm256_set1_epi16(static_cast<short>(0xBFFF)));
    } else {
      return w;
    }
  }
  static HCCL_KERNEL_INLINE Wide widen(const unsigned char* p) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const __m256i zero = _mm256_setzero_si256();
    const __m256i w0 = toHalf(_mm256_unpacklo_epi8(zero, v));
    const __m256i w1 = toHalf(_mm256_unpackhi_epi8(zero, v));
    Wide r;
    r.f[0] = _mm256_cvtph_ps(_mm256_castsi256_si128(w0));
    r.f[1] = _mm256_cvtph_ps(_mm256_extracti128_si256(w0, 1));
    r.f[2] = _mm256_cvtph_ps(_mm256_castsi256_si128(w1));
    r.f[3] = _mm256_cvtph_ps(_mm256_extracti128_si256(w1, 1));
    if constexpr (kE4m3) {
      const __m256i abs = _mm256_and_si256(v, _mm256_set1_epi8(0x7F));
      r.nanIn = _mm256_cmpeq_epi8(abs, _mm256_set1_epi8(0x7F));
    } else {
      r.nanIn = zero;
    }
    return r;
  }
  // Half bit patterns -> fp8 in the low byte of each 16-bit lane: saturate, round, sign.
  static HCCL_KERNEL_INLINE __m256i fromHalf(__m256i h) {
    const __m256i abs = _mm256_and_si256(h, _mm256_set1_epi16(0x7FFF));
    const __m256i sign = _mm256_xor_si256(h, abs);
    constexpr int kShift = kE4m3 ? 7 : 8;
    const __m256i a = _mm256_min_epu16(abs, _mm256_set1_epi16(kE4m3 ? 0x3F00 : 0x7B00));
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi16(a, kShift), _mm256_set1_epi16(1));
    const __m256i mag = _mm256_srli_epi16(
        _mm256_add_epi16(_mm256_add_epi16(a, _mm256_set1_epi16((1 << (kShift - 1)) - 1)), lsb),
        kShift);
    return _mm256_or_si256(mag, _mm256_srli_epi16(sign, 8));
  }
  static HCCL_KERNEL_INLINE __m256i isNaNHalf(__m256i h) {
    return _mm256_cmpgt_epi16(_mm256_and_si256(h, _mm256_set1_epi16(0x7FFF)),
                              _mm256_set1_epi16(0x7C00));
  }
  // Saturation turns a half NaN into a finite fp8 value, so NaNs are handled within the step.
  static constexpr bool kDeferNaN = false;
  static HCCL_KERNEL_INLINE __m256 nanMask(const Wide&) { return _mm256_setzero_ps(); }
  static void canonicalize(unsigned char*, size_t) {}
  static HCCL_KERNEL_INLINE void narrowStore(unsigned char* p, const Wide& r) {
    const __m256i h0 = _mm256_set_m128i(_mm256_cvtps_ph(r.f[1], kRoundNearest),
                                        _mm256_cvtps_ph(r.f[0], kRoundNearest));
    const __m256i h1 = _mm256_set_m128i(_mm256_cvtps_ph(r.f[3], kRoundNearest),
                                        _mm256_cvtps_ph(r.f[2], kRoundNearest));
    // packus undoes the per-lane interleave of the unpacks in widen().
    __m256i out = _mm256_packus_epi16(fromHalf(h0), fromHalf(h1));
    const __m256 nan = _mm256_or_ps(_mm256_cmp_ps(r.f[0], r.f[1], _CMP_UNORD_Q),
                                    _mm256_cmp_ps(r.f[2], r.f[3], _CMP_UNORD_Q));
    if (__builtin_expect(anySet(_mm256_or_si256(_mm256_castps_si256(nan), r.nanIn)), 0)) {
      const __m256i m = _mm256_or_si256(_mm256_packs_epi16(isNaNHalf(h0), isNaNHalf(h1)), r.nanIn);
      out = _mm256_blendv_epi8(out, _mm256_set1_epi8(0x7F), m);
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), out);
  }
};

struct VecSum {
  template <class V>
  static HCCL_KERNEL_INLINE __m256 apply(__m256 a, __m256 b) { return _mm256_add_ps(a, b); }
};
struct VecProd {
  // Widened values carry the factor V::kScale; a product carries it twice.
  template <class V>
  static HCCL_KERNEL_INLINE __m256 apply(__m256 a, __m256 b) {
    const __m256 p = _mm256_mul_ps(a, b);
    if constexpr (V::kScale != 1.0f) return _mm256_mul_ps(p, _mm256_set1_ps(1.0f / V::kScale));
    else return p;
  }
};

constexpr size_t kWideLanes(size_t step) { return step / 8; }

// Vector body over whole steps, scalar Fn for the tail (same rounding). Each step loads both
// inputs before it stores, so dst may equal a or b.
template <class V, class VOp, class Fn>
void reduceVec(void* dst, const void* a, const void* b, size_t n) {
  using T = typename Fn::Storage;
  auto* d = static_cast<unsigned char*>(dst);
  const auto* pa = static_cast<const unsigned char*>(a);
  const auto* pb = static_cast<const unsigned char*>(b);
  size_t i = 0;
  __m256 nan = _mm256_setzero_ps();
  for (; i + V::kStep <= n; i += V::kStep) {
    const typename V::Wide wa = V::widen(pa + i * V::kSize), wb = V::widen(pb + i * V::kSize);
    typename V::Wide r;
    for (size_t k = 0; k < kWideLanes(V::kStep); ++k) r.f[k] = VOp::template apply<V>(wa.f[k], wb.f[k]);
    r.nanIn = _mm256_or_si256(wa.nanIn, wb.nanIn);
    if constexpr (V::kDeferNaN) nan = _mm256_or_ps(nan, V::nanMask(r));
    V::narrowStore(d + i * V::kSize, r);
  }
  if (V::kDeferNaN && __builtin_expect(!_mm256_testz_ps(nan, nan), 0)) V::canonicalize(d, i);
  for (; i < n; ++i) storeAt<T>(d, i, Fn::apply(loadAt<T>(pa, i), loadAt<T>(pb, i)));
}

template <class V, class C>
void scaleVec(void* dst, const void* src, size_t n, const void* scalar) {
  using T = typename C::U;
  T s;
  memcpy(&s, scalar, sizeof(s));
  const float sf = C::widen(s);
  const __m256 sv = _mm256_set1_ps(sf * V::kScale);
  auto* d = static_cast<unsigned char*>(dst);
  const auto* ps = static_cast<const unsigned char*>(src);
  size_t i = 0;
  __m256 nan = _mm256_setzero_ps();
  for (; i + V::kStep <= n; i += V::kStep) {
    typename V::Wide r = V::widen(ps + i * V::kSize);
    for (size_t k = 0; k < kWideLanes(V::kStep); ++k) r.f[k] = VecProd::apply<V>(r.f[k], sv);
    if constexpr (V::kDeferNaN) nan = _mm256_or_ps(nan, V::nanMask(r));
    V::narrowStore(d + i * V::kSize, r);
  }
  if (V::kDeferNaN && __builtin_expect(!_mm256_testz_ps(nan, nan), 0)) V::canonicalize(d, i);
  for (; i < n; ++i) storeAt<T>(d, i, C::narrow(C::widen(loadAt<T>(ps, i)) * sf));
}

#endif  // HCCL_KERNELS_F16C

// ---- the table -------------------------------------------------------------------------------

template <class UT, bool kIsSigned>
void fillInt(KernelSet& k, DataType t) {
  const int i = static_cast<int>(t);
  k.reduce[i][0] = reduceKernel<IntFn<UT, kIsSigned, ReduceOp::Sum>>;
  k.reduce[i][1] = reduceKernel<IntFn<UT, kIsSigned, ReduceOp::Prod>>;
  k.reduce[i][2] = reduceKernel<IntFn<UT, kIsSigned, ReduceOp::Max>>;
  k.reduce[i][3] = reduceKernel<IntFn<UT, kIsSigned, ReduceOp::Min>>;
  k.scale[i] = scaleInt<UT>;
}

template <class E>
void fillIeee(KernelSet& k, DataType t) {
  const int i = static_cast<int>(t);
  using F = typename E::Storage;
  k.reduce[i][0] = reduceKernel<IeeeFn<E, ReduceOp::Sum>>;
  k.reduce[i][1] = reduceKernel<IeeeFn<E, ReduceOp::Prod>>;
  k.reduce[i][2] = reduceKernel<IeeeFn<E, ReduceOp::Max>>;
  k.reduce[i][3] = reduceKernel<IeeeFn<E, ReduceOp::Min>>;
  k.scale[i] = scaleIeee<F>;
  k.divide[i] = divideIeee<F>;
}

template <class C>
void fillNarrow(KernelSet& k, DataType t) {
  const int i = static_cast<int>(t);
  k.reduce[i][0] = reduceKernel<NarrowFn<C, ReduceOp::Sum>>;
  k.reduce[i][1] = reduceKernel<NarrowFn<C, ReduceOp::Prod>>;
  k.reduce[i][2] = reduceKernel<NarrowFn<C, ReduceOp::Max>>;
  k.reduce[i][3] = reduceKernel<NarrowFn<C, ReduceOp::Min>>;
  k.scale[i] = scaleNarrow<C>;
  k.divide[i] = divideNarrow<C>;
}

KernelSet makeKernelSet(const char* name) {
  KernelSet k{};
  k.name = name;
  fillInt<uint8_t, true>(k, DataType::Int8);
  fillInt<uint8_t, false>(k, DataType::Uint8);
  fillInt<uint32_t, true>(k, DataType::Int32);
  fillInt<uint32_t, false>(k, DataType::Uint32);
  fillInt<uint64_t, true>(k, DataType::Int64);
  fillInt<uint64_t, false>(k, DataType::Uint64);
  k.divide[static_cast<int>(DataType::Int8)] = divideSmallInt<int8_t>;
  k.divide[static_cast<int>(DataType::Uint8)] = divideSmallInt<uint8_t>;
  k.divide[static_cast<int>(DataType::Int32)] = divideSmallInt<int32_t>;
  k.divide[static_cast<int>(DataType::Uint32)] = divideSmallInt<uint32_t>;
  k.divide[static_cast<int>(DataType::Int64)] = divideWideInt<int64_t>;
  k.divide[static_cast<int>(DataType::Uint64)] = divideWideInt<uint64_t>;
  fillIeee<F32Elem>(k, DataType::Float32);
  fillIeee<F64Elem>(k, DataType::Float64);
  fillNarrow<HalfCvt>(k, DataType::Float16);
  fillNarrow<Bf16Cvt>(k, DataType::Bfloat16);
  fillNarrow<E4m3Cvt>(k, DataType::Float8e4m3);
  fillNarrow<E5m2Cvt>(k, DataType::Float8e5m2);
#if defined(HCCL_KERNELS_F16C)
  // bfloat16 Prod and scale stay generic: they compute in double (see Bf16Cvt).
  const int h = static_cast<int>(DataType::Float16);
  k.reduce[h][0] = reduceVec<HalfVec, VecSum, NarrowFn<HalfCvt, ReduceOp::Sum>>;
  k.reduce[h][1] = reduceVec<HalfVec, VecProd, NarrowFn<HalfCvt, ReduceOp::Prod>>;
  k.scale[h] = scaleVec<HalfVec, HalfCvt>;
  const int bf = static_cast<int>(DataType::Bfloat16);
  k.reduce[bf][0] = reduceVec<Bf16Vec, VecSum, NarrowFn<Bf16Cvt, ReduceOp::Sum>>;
  const int e4 = static_cast<int>(DataType::Float8e4m3);
  k.reduce[e4][0] = reduceVec<Fp8Vec<true>, VecSum, NarrowFn<E4m3Cvt, ReduceOp::Sum>>;
  k.reduce[e4][1] = reduceVec<Fp8Vec<true>, VecProd, NarrowFn<E4m3Cvt, ReduceOp::Prod>>;
  k.scale[e4] = scaleVec<Fp8Vec<true>, E4m3Cvt>;
  const int e5 = static_cast<int>(DataType::Float8e5m2);
  k.reduce[e5][0] = reduceVec<Fp8Vec<false>, VecSum, NarrowFn<E5m2Cvt, ReduceOp::Sum>>;
  k.reduce[e5][1] = reduceVec<Fp8Vec<false>, VecProd, NarrowFn<E5m2Cvt, ReduceOp::Prod>>;
  k.scale[e5] = scaleVec<Fp8Vec<false>, E5m2Cvt>;
#endif
  return k;
}

#undef HCCL_KERNEL_INLINE

}  // namespace
}  // namespace host
}  // namespace hccl
