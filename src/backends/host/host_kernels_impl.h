// Kernel templates, included by each per-ISA translation unit (host_kernels_generic.cc,
// host_kernels_avx2.cc) after it has chosen its target options. Everything here lives in an
// anonymous namespace, so each unit owns a private copy compiled for its instruction set and
// the linker can never mix an AVX2 copy into the generic path.
//
// The loops are plain scalar code that GCC auto-vectorises: loads and stores go through memcpy
// on byte pointers (any alignment, no aliasing UB), conversions are branch-free, and the three
// aliasing cases (dst distinct, dst == a, dst == b) each get their own restrict-qualified loop
// so that the vectoriser needs no run-time overlap check (which would fail, and fall back to
// scalar code, exactly when dst == a).
//
// A unit that defines HCCL_KERNELS_F16C before including this file gets hand-written AVX2/F16C
// loops for half and bfloat16 (see the bottom of the file); it must include <immintrin.h>.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "backends/common/float_convert.h"
#include "backends/host/host_kernels.h"
#include "core/datatype.h"

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

// ---- element types ---------------------------------------------------------------------------
// Each describes storage (U), how to apply the four operators to stored values, scale and
// divide. `S` is the signed integer type of the same width used for ordering.

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

// Max/Min on the bit patterns of a binary floating type: NaN-ignoring, -0 < +0, both NaN ->
// canonical NaN. kNaNAbove is the largest magnitude pattern that is not a NaN (infinity, or
// E4M3's 448): every magnitude pattern above it is a NaN.
template <class U, class S, U kAbsMask, U kNaNAbove, U kCanonicalNaN>
struct FloatBitsMinMax {
  // Map to a signed integer whose order is the value order: negative values get their
  // magnitude bits flipped.
  static HCCL_KERNEL_INLINE S key(U x) {
    const S s = static_cast<S>(x);
    return static_cast<S>(s ^ ((s >> (sizeof(U) * 8 - 1)) & static_cast<S>(kAbsMask)));
  }
  template <bool kMax>
  static HCCL_KERNEL_INLINE U pick(U a, U b) {
    const bool aNaN = static_cast<U>(a & kAbsMask) > kNaNAbove;
    const bool bNaN = static_cast<U>(b & kAbsMask) > kNaNAbove;
    const S ka = key(a), kb = key(b);
    U r = (kMax ? ka >= kb : ka <= kb) ? a : b;
    r = bNaN ? a : r;
    r = aNaN ? b : r;
    r = (aNaN & bNaN) ? kCanonicalNaN : r;
    return r;
  }
};

// ---- the element kinds -----------------------------------------------------------------------

// Float32/Float64: arithmetic in the type itself; Max/Min on the bits.
template <class F, class U, class S, U kAbsMask, U kInf, U kNaN>
struct IeeeElem {
  using Storage = F;
  using MinMax = FloatBitsMinMax<U, S, kAbsMask, kInf, kNaN>;
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

using F32Elem = IeeeElem<float, uint32_t, int32_t, 0x7FFFFFFFu, 0x7F800000u, 0x7FFFFFFFu>;
using F64Elem = IeeeElem<double, uint64_t, int64_t, 0x7FFFFFFFFFFFFFFFull, 0x7FF0000000000000ull,
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
  using MinMax = FloatBitsMinMax<uint16_t, int16_t, 0x7FFF, 0x7C00, cvt::kHalfNaN>;
  static HCCL_KERNEL_INLINE float widen(U v) { return cvt::halfToFloat(v); }
  static HCCL_KERNEL_INLINE U narrow(float f) { return cvt::floatToHalf(f); }
  static constexpr bool kProdInDouble = false;
};
struct Bf16Cvt {
  using U = uint16_t;
  using MinMax = FloatBitsMinMax<uint16_t, int16_t, 0x7FFF, 0x7F80, cvt::kBf16NaN>;
  static HCCL_KERNEL_INLINE float widen(U v) { return cvt::bf16ToFloat(v); }
  static HCCL_KERNEL_INLINE U narrow(float f) { return cvt::floatToBf16(f); }
  // A product of two bfloat16 values is exact in double, and doubleToBf16 rounds it once; in
  // float it could round twice when it lands in float's subnormal range.
  static constexpr bool kProdInDouble = true;
  static HCCL_KERNEL_INLINE U narrowDouble(double d) { return cvt::doubleToBf16(d); }
};
struct E4m3Cvt {
  using U = uint8_t;
  using MinMax = FloatBitsMinMax<uint8_t, int8_t, 0x7F, 0x7E, cvt::kFp8NaN>;
  static HCCL_KERNEL_INLINE float widen(U v) { return cvt::fp8e4m3ToFloat(v); }
  static HCCL_KERNEL_INLINE U narrow(float f) { return cvt::floatToFp8e4m3(f); }
  static constexpr bool kProdInDouble = false;
};
struct E5m2Cvt {
  using U = uint8_t;
  using MinMax = FloatBitsMinMax<uint8_t, int8_t, 0x7F, 0x7C, cvt::kFp8NaN>;
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

template <class Fn>
void reduceKernel(void* dst, const void* a, const void* b, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  if (dst == a) {
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

// ---- hand-written AVX2/F16C loops for half and bfloat16 -------------------------------------

#if defined(HCCL_KERNELS_F16C)

// Two vectors of 8 floats from 16 consecutive narrow values, and back. Element order is
// preserved: lo holds elements 0..7 and hi 8..15 for half; for bfloat16 the unpack
// instructions interleave by 128-bit lane, and the pack on the way back undoes it exactly.
struct HalfVec {
  static HCCL_KERNEL_INLINE void load(const unsigned char* p, __m256& lo, __m256& hi) {
    lo = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    hi = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16)));
  }
  static HCCL_KERNEL_INLINE __m128i narrow8(__m256 f) {
    const __m128i h = _mm256_cvtps_ph(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    // vcvtps2ph keeps a NaN's payload; hccl returns the canonical NaN.
    const __m128i isNaN =
        _mm_cmpgt_epi16(_mm_and_si128(h, _mm_set1_epi16(0x7FFF)), _mm_set1_epi16(0x7C00));
    return _mm_blendv_epi8(h, _mm_set1_epi16(0x7FFF), isNaN);
  }
  static HCCL_KERNEL_INLINE void store(unsigned char* p, __m256 lo, __m256 hi) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), narrow8(lo));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p + 16), narrow8(hi));
  }
};

struct Bf16Vec {
  static HCCL_KERNEL_INLINE void load(const unsigned char* p, __m256& lo, __m256& hi) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const __m256i zero = _mm256_setzero_si256();
    lo = _mm256_castsi256_ps(_mm256_unpacklo_epi16(zero, v));  // elements 0-3, 8-11
    hi = _mm256_castsi256_ps(_mm256_unpackhi_epi16(zero, v));  // elements 4-7, 12-15
  }
  static HCCL_KERNEL_INLINE __m256i round(__m256 f) {
    const __m256i x = _mm256_castps_si256(f);
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(1));
    const __m256i r =
        _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(x, _mm256_set1_epi32(0x7FFF)), lsb), 16);
    const __m256i isNaN = _mm256_castps_si256(_mm256_cmp_ps(f, f, _CMP_UNORD_Q));
    return _mm256_blendv_epi8(r, _mm256_set1_epi32(0x7FFF), isNaN);
  }
  static HCCL_KERNEL_INLINE void store(unsigned char* p, __m256 lo, __m256 hi) {
    // packus works per 128-bit lane: (lo0-3, hi4-7 | lo8-11, hi12-15) = elements 0..15.
    const __m256i packed = _mm256_packus_epi32(round(lo), round(hi));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), packed);
  }
};

struct VecSum {
  static HCCL_KERNEL_INLINE __m256 apply(__m256 a, __m256 b) { return _mm256_add_ps(a, b); }
};
struct VecProd {
  static HCCL_KERNEL_INLINE __m256 apply(__m256 a, __m256 b) { return _mm256_mul_ps(a, b); }
};

// 16 elements per step; the tail (and everything when n < 16) goes through the scalar Fn,
// which rounds identically. Loads of both inputs precede the store, so dst may equal a or b.
template <class V, class VOp, class Fn>
void reduceVec16(void* dst, const void* a, const void* b, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* pa = static_cast<const unsigned char*>(a);
  const auto* pb = static_cast<const unsigned char*>(b);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256 alo, ahi, blo, bhi;
    V::load(pa + 2 * i, alo, ahi);
    V::load(pb + 2 * i, blo, bhi);
    V::store(d + 2 * i, VOp::apply(alo, blo), VOp::apply(ahi, bhi));
  }
  for (; i < n; ++i) storeAt<uint16_t>(d, i, Fn::apply(loadAt<uint16_t>(pa, i), loadAt<uint16_t>(pb, i)));
}

template <class V, class C>
void scaleVec16(void* dst, const void* src, size_t n, const void* scalar) {
  uint16_t s;
  memcpy(&s, scalar, sizeof(s));
  const float sf = C::widen(s);
  const __m256 vs = _mm256_set1_ps(sf);
  auto* d = static_cast<unsigned char*>(dst);
  const auto* ps = static_cast<const unsigned char*>(src);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256 lo, hi;
    V::load(ps + 2 * i, lo, hi);
    V::store(d + 2 * i, _mm256_mul_ps(lo, vs), _mm256_mul_ps(hi, vs));
  }
  for (; i < n; ++i) storeAt<uint16_t>(d, i, C::narrow(C::widen(loadAt<uint16_t>(ps, i)) * sf));
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
  const int h = static_cast<int>(DataType::Float16);
  k.reduce[h][0] = reduceVec16<HalfVec, VecSum, NarrowFn<HalfCvt, ReduceOp::Sum>>;
  k.reduce[h][1] = reduceVec16<HalfVec, VecProd, NarrowFn<HalfCvt, ReduceOp::Prod>>;
  k.scale[h] = scaleVec16<HalfVec, HalfCvt>;
  const int bf = static_cast<int>(DataType::Bfloat16);
  k.reduce[bf][0] = reduceVec16<Bf16Vec, VecSum, NarrowFn<Bf16Cvt, ReduceOp::Sum>>;
#endif
  return k;
}

#undef HCCL_KERNEL_INLINE

}  // namespace
}  // namespace host
}  // namespace hccl
