// Slow, obviously-correct reference arithmetic for the host kernel tests: narrow floating
// types are decoded to double with ldexp and encoded back by scaling and nearbyint, written
// independently of src/backends/common/float_convert.h.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "base/datatype.h"

namespace hccl {
namespace ref {

struct Format {
  int width;         // bits
  int mbits;         // stored mantissa bits
  int bias;
  bool ieee;         // all-ones exponent is inf/NaN (else only S.1111.111 is NaN: E4M3)
  bool saturate;     // overflow -> max finite (fp8 SATFINITE) instead of infinity
  uint32_t nanBits;  // the canonical NaN the kernels produce
  double maxFinite;
};

inline const Format kHalf{16, 10, 15, true, false, 0x7FFF, 65504.0};
inline const Format kBf16{16, 7, 127, true, false, 0x7FFF, std::ldexp(255.0, 127 - 7)};
inline const Format kE4m3{8, 3, 7, false, true, 0x7F, 448.0};
inline const Format kE5m2{8, 2, 15, true, true, 0x7F, 57344.0};

inline const Format* narrowFormat(DataType t) {
  switch (t) {
    case DataType::Float16: return &kHalf;
    case DataType::Bfloat16: return &kBf16;
    case DataType::Float8e4m3: return &kE4m3;
    case DataType::Float8e5m2: return &kE5m2;
    default: return nullptr;
  }
}

inline bool isNaNBits(const Format& f, uint32_t bits) {
  const uint32_t absMask = (1u << (f.width - 1)) - 1;
  const uint32_t abs = bits & absMask;
  if (!f.ieee) return abs == absMask;
  const uint32_t expMask = ((1u << (f.width - 1 - f.mbits)) - 1) << f.mbits;
  return (abs & expMask) == expMask && (abs & ((1u << f.mbits) - 1)) != 0;
}

inline double decode(const Format& f, uint32_t bits) {
  const int ebits = f.width - 1 - f.mbits;
  const bool neg = (bits >> (f.width - 1)) & 1u;
  const int e = static_cast<int>((bits >> f.mbits) & ((1u << ebits) - 1));
  const uint32_t m = bits & ((1u << f.mbits) - 1);
  if (isNaNBits(f, bits)) return std::nan("");
  double v;
  if (f.ieee && e == (1 << ebits) - 1) {
    v = INFINITY;
  } else if (e == 0) {
    v = std::ldexp(static_cast<double>(m), 1 - f.bias - f.mbits);
  } else {
    v = std::ldexp(static_cast<double>(m + (1u << f.mbits)), e - f.bias - f.mbits);
  }
  return neg ? -v : v;
}

// Round v once to the format: nearest, ties to even; overflow to infinity or (saturate) to the
// largest finite value; NaN to the canonical NaN.
inline uint32_t encode(const Format& f, double v) {
  if (std::isnan(v)) return f.nanBits;
  const uint32_t sign = std::signbit(v) ? 1u << (f.width - 1) : 0u;
  const int ebits = f.width - 1 - f.mbits;
  const uint32_t infBits = ((1u << ebits) - 1) << f.mbits;
  const uint32_t maxBits = f.ieee ? infBits - 1 : (1u << (f.width - 1)) - 2;
  double a = std::fabs(v);
  if (a == 0) return sign;
  if (std::isinf(a)) return sign | (f.saturate ? maxBits : infBits);
  int exp2;
  std::frexp(a, &exp2);  // a = frac * 2^exp2, frac in [0.5, 1)
  const int minNormalExp = 1 - f.bias;
  const int e = std::max(exp2 - 1, minNormalExp);
  const double quantum = std::ldexp(1.0, e - f.mbits);
  const double r = std::nearbyint(a / quantum) * quantum;  // a / quantum is exact
  if (r > f.maxFinite) return sign | (f.saturate ? maxBits : infBits);
  if (r == 0) return sign;
  std::frexp(r, &exp2);
  const int re = exp2 - 1;
  if (re < minNormalExp) {
    return sign | static_cast<uint32_t>(r / std::ldexp(1.0, minNormalExp - f.mbits));
  }
  const uint32_t mant =
      static_cast<uint32_t>((r / std::ldexp(1.0, re) - 1.0) * std::ldexp(1.0, f.mbits));
  return sign | (static_cast<uint32_t>(re + f.bias) << f.mbits) | mant;
}

// Max/Min as the kernels define it, on decoded values plus the bit patterns.
template <class U>
U pickMinMax(bool isMax, U a, U b, double da, double db, U canonicalNaN) {
  const bool an = std::isnan(da), bn = std::isnan(db);
  if (an && bn) return canonicalNaN;
  if (an) return b;
  if (bn) return a;
  if (da != db) return (da > db) == isMax ? a : b;
  if (da == 0 && std::signbit(da) != std::signbit(db)) {
    // -0 < +0
    const bool aIsPlus = !std::signbit(da);
    return aIsPlus == isMax ? a : b;
  }
  return a;
}

inline double applyOp(ReduceOp op, double a, double b) {
  switch (op) {
    case ReduceOp::Sum: return a + b;
    case ReduceOp::Prod: return a * b;
    default: return 0;
  }
}

// Random bit patterns of `bytes` bytes (every value of a narrow type is equally likely).
inline void randomBytes(std::mt19937_64& rng, void* p, size_t bytes) {
  auto* u = static_cast<unsigned char*>(p);
  size_t i = 0;
  for (; i + 8 <= bytes; i += 8) {
    const uint64_t r = rng();
    memcpy(u + i, &r, 8);
  }
  for (; i < bytes; ++i) u[i] = static_cast<unsigned char>(rng());
}

}  // namespace ref
}  // namespace hccl
