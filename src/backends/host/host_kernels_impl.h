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
// The element arithmetic is the device kernels' own (common/reduce_ops.h), so the host and every
// GPU compute each element with the same code and give the same bits; this file only holds the
// loops around it, and AVX2/F16C loops for the narrow floats whose scalar tails use it too.
//
// A unit that defines HCCL_KERNELS_F16C before including this file gets hand-written AVX2/F16C
// loops for half, bfloat16 and fp8 (see the bottom of the file); it must include <immintrin.h>.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "backends/common/float_convert.h"
#include "backends/common/reduce_ops.h"
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

// ---- loops -----------------------------------------------------------------------------------

// Fn: dev::OpFn, `T apply(T, T)` on the element's storage type.
template <class Fn>
void reduceDistinct(unsigned char* __restrict d, const unsigned char* __restrict a,
                    const unsigned char* __restrict b, size_t n) {
  using T = typename Fn::T;
  for (size_t i = 0; i < n; ++i) storeAt<T>(d, i, Fn::apply(loadAt<T>(a, i), loadAt<T>(b, i)));
}

// d[i] = d[i] op o[i] (kDstIsA) or o[i] op d[i].
template <class Fn, bool kDstIsA>
void reduceInPlace(unsigned char* __restrict d, const unsigned char* __restrict o, size_t n) {
  using T = typename Fn::T;
  for (size_t i = 0; i < n; ++i) {
    const T x = loadAt<T>(d, i), y = loadAt<T>(o, i);
    storeAt<T>(d, i, kDstIsA ? Fn::apply(x, y) : Fn::apply(y, x));
  }
}

// d[i] = d[i] op d[i] (dst, a and b all the same buffer).
template <class Fn>
void reduceSelf(unsigned char* __restrict d, size_t n) {
  using T = typename Fn::T;
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

// ---- scale and divide ------------------------------------------------------------------------

// dst[i] = src[i] * *scalar, the element's scale().
template <class E>
void scaleKernel(void* dst, const void* src, size_t n, const void* scalar) {
  typename E::T s;
  memcpy(&s, scalar, sizeof(s));
  mapKernel<typename E::T>(dst, src, n, dev::ScaleFn<E>{s});
}

// buf[i] /= divisor, the element's divide().
template <class E>
void divideKernel(void* buf, size_t n, int divisor) {
  mapInPlace<typename E::T>(static_cast<unsigned char*>(buf), n, dev::DivideFn<E>{divisor});
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
  using T = typename Fn::T;
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

template <class E>
void fill(KernelSet& k, DataType t) {
  const int i = static_cast<int>(t);
  k.reduce[i][0] = reduceKernel<dev::OpFn<E, 0>>;
  k.reduce[i][1] = reduceKernel<dev::OpFn<E, 1>>;
  k.reduce[i][2] = reduceKernel<dev::OpFn<E, 2>>;
  k.reduce[i][3] = reduceKernel<dev::OpFn<E, 3>>;
  k.scale[i] = scaleKernel<E>;
  k.divide[i] = divideKernel<E>;
}

KernelSet makeKernelSet(const char* name) {
  KernelSet k{};
  k.name = name;
  for (int t = 0; t < kNumDataTypes; ++t)
    dev::withElem(t, [&](auto elem) { fill<decltype(elem)>(k, static_cast<DataType>(t)); });
#if defined(HCCL_KERNELS_F16C)
  // bfloat16 Prod and scale stay generic: they compute in double (see dev::Bf16Cvt).
  const int h = static_cast<int>(DataType::Float16);
  k.reduce[h][0] = reduceVec<HalfVec, VecSum, dev::OpFn<dev::HalfElem, 0>>;
  k.reduce[h][1] = reduceVec<HalfVec, VecProd, dev::OpFn<dev::HalfElem, 1>>;
  k.scale[h] = scaleVec<HalfVec, dev::HalfCvt>;
  const int bf = static_cast<int>(DataType::Bfloat16);
  k.reduce[bf][0] = reduceVec<Bf16Vec, VecSum, dev::OpFn<dev::Bf16Elem, 0>>;
  const int e4 = static_cast<int>(DataType::Float8e4m3);
  k.reduce[e4][0] = reduceVec<Fp8Vec<true>, VecSum, dev::OpFn<dev::E4m3Elem, 0>>;
  k.reduce[e4][1] = reduceVec<Fp8Vec<true>, VecProd, dev::OpFn<dev::E4m3Elem, 1>>;
  k.scale[e4] = scaleVec<Fp8Vec<true>, dev::E4m3Cvt>;
  const int e5 = static_cast<int>(DataType::Float8e5m2);
  k.reduce[e5][0] = reduceVec<Fp8Vec<false>, VecSum, dev::OpFn<dev::E5m2Elem, 0>>;
  k.reduce[e5][1] = reduceVec<Fp8Vec<false>, VecProd, dev::OpFn<dev::E5m2Elem, 1>>;
  k.scale[e5] = scaleVec<Fp8Vec<false>, dev::E5m2Cvt>;
#endif
  return k;
}

#undef HCCL_KERNEL_INLINE

}  // namespace
}  // namespace host
}  // namespace hccl
