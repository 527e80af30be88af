#include "data.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace hccl::perf {
namespace {

// A binary floating-point format narrower than float: half, bfloat16 and the two FP8 formats.
struct MiniFloat {
  int expBits, manBits, bias;
  bool hasInf;  // false for f8e4m3 (OCP "fn": no infinity, only S.1111.111 is NaN)
};
constexpr MiniFloat kHalf{5, 10, 15, true};
constexpr MiniFloat kBf16{8, 7, 127, true};
constexpr MiniFloat kE4m3{4, 3, 7, false};
constexpr MiniFloat kE5m2{5, 2, 15, true};

double decodeMini(uint32_t bits, const MiniFloat& f) {
  uint32_t expMax = (1u << f.expBits) - 1, manMax = (1u << f.manBits) - 1;
  bool neg = (bits >> (f.expBits + f.manBits)) & 1;
  uint32_t e = (bits >> f.manBits) & expMax, m = bits & manMax;
  double v;
  if (f.hasInf && e == expMax) v = m ? NAN : INFINITY;
  else if (!f.hasInf && e == expMax && m == manMax) v = NAN;
  else if (e == 0) v = std::ldexp(double(m), 1 - f.bias - f.manBits);
  else v = std::ldexp(double(m | (1u << f.manBits)), int(e) - f.bias - f.manBits);
  return neg ? -v : v;
}

// Round to nearest, ties to even; overflow gives infinity (or f8e4m3's largest finite value).
uint32_t encodeMini(double x, const MiniFloat& f) {
  uint32_t signBit = 1u << (f.expBits + f.manBits), expMax = (1u << f.expBits) - 1;
  if (std::isnan(x)) return (signBit - 1);
  uint32_t sign = std::signbit(x) ? signBit : 0;
  double a = std::fabs(x);
  if (a == 0) return sign;
  int e2;
  std::frexp(a, &e2);
  int exp = std::max(e2 - 1, 1 - f.bias);  // subnormals share the smallest normal exponent
  // q carries the implicit bit: a carry out of the mantissa moves into the exponent field.
  uint64_t q = uint64_t(std::nearbyint(std::ldexp(a, f.manBits - exp)));
  uint64_t bits = (uint64_t(exp + f.bias - 1) << f.manBits) + q;
  if (exp + f.bias - 1 < 0) bits = q;  // unreachable: exp >= 1 - bias
  uint64_t infBits = uint64_t(expMax) << f.manBits;
  uint64_t maxFinite = f.hasInf ? infBits - 1 : infBits + ((1u << f.manBits) - 2);
  if (bits > maxFinite) bits = f.hasInf ? infBits : maxFinite;
  return sign | uint32_t(bits);
}

struct TypeInfo {
  size_t size;
  bool isFloat, isSigned;
  const MiniFloat* mini;  // null unless a narrow float
  double maxExact;        // every integer in [0, maxExact] is representable
  int maxPow2;            // 2^maxPow2 is representable
};

const TypeInfo& info(ncclDataType_t t) {
  static const TypeInfo kInfo[] = {
      /* int8     */ {1, false, true, nullptr, 127, 6},
      /* uint8    */ {1, false, false, nullptr, 255, 7},
      /* int32    */ {4, false, true, nullptr, 2147483647.0, 30},
      /* uint32   */ {4, false, false, nullptr, 4294967295.0, 31},
      /* int64    */ {8, false, true, nullptr, 9007199254740992.0, 62},
      /* uint64   */ {8, false, false, nullptr, 9007199254740992.0, 63},
      /* half     */ {2, true, true, &kHalf, 2048, 15},
      /* float    */ {4, true, true, nullptr, 16777216.0, 127},
      /* double   */ {8, true, true, nullptr, 9007199254740992.0, 1023},
      /* bfloat16 */ {2, true, true, &kBf16, 256, 127},
      /* f8e4m3   */ {1, true, true, &kE4m3, 16, 8},
      /* f8e5m2   */ {1, true, true, &kE5m2, 8, 15},
  };
  return kInfo[int(t)];
}

void encode(double v, ncclDataType_t t, void* p) {
  switch (t) {
    case ncclInt8: { int8_t x = int8_t(v); std::memcpy(p, &x, 1); break; }
    case ncclUint8: { uint8_t x = uint8_t(v); std::memcpy(p, &x, 1); break; }
    case ncclInt32: { int32_t x = int32_t(v); std::memcpy(p, &x, 4); break; }
    case ncclUint32: { uint32_t x = uint32_t(v); std::memcpy(p, &x, 4); break; }
    case ncclInt64: { int64_t x = int64_t(v); std::memcpy(p, &x, 8); break; }
    case ncclUint64: { uint64_t x = uint64_t(v); std::memcpy(p, &x, 8); break; }
    case ncclFloat32: { float x = float(v); std::memcpy(p, &x, 4); break; }
    case ncclFloat64: std::memcpy(p, &v, 8); break;
    case ncclFloat16: case ncclBfloat16: {
      uint16_t x = uint16_t(encodeMini(v, *info(t).mini)); std::memcpy(p, &x, 2); break;
    }
    case ncclFloat8e4m3: case ncclFloat8e5m2: {
      uint8_t x = uint8_t(encodeMini(v, *info(t).mini)); std::memcpy(p, &x, 1); break;
    }
    default: break;
  }
}

double decode(ncclDataType_t t, const void* p) {
  switch (t) {
    case ncclInt8: { int8_t x; std::memcpy(&x, p, 1); return x; }
    case ncclUint8: { uint8_t x; std::memcpy(&x, p, 1); return x; }
    case ncclInt32: { int32_t x; std::memcpy(&x, p, 4); return x; }
    case ncclUint32: { uint32_t x; std::memcpy(&x, p, 4); return x; }
    case ncclInt64: { int64_t x; std::memcpy(&x, p, 8); return double(x); }
    case ncclUint64: { uint64_t x; std::memcpy(&x, p, 8); return double(x); }
    case ncclFloat32: { float x; std::memcpy(&x, p, 4); return x; }
    case ncclFloat64: { double x; std::memcpy(&x, p, 8); return x; }
    case ncclFloat16: case ncclBfloat16: {
      uint16_t x; std::memcpy(&x, p, 2); return decodeMini(x, *info(t).mini);
    }
    case ncclFloat8e4m3: case ncclFloat8e5m2: {
      uint8_t x; std::memcpy(&x, p, 1); return decodeMini(x, *info(t).mini);
    }
    default: return NAN;
  }
}

uint64_t mix(uint64_t x) {  // splitmix64's finaliser
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
uint64_t hash(uint64_t seed, int rank, size_t index) {
  return mix(seed ^ mix(uint64_t(rank) * 0x100000001b3ull ^ mix(index)));
}

bool isPow2(int n) { return n > 0 && (n & (n - 1)) == 0; }

// The reduction input of `rank` at send index j. See data.h for why these values are exact.
double reduceInput(const TypeInfo& ti, ncclRedOp_t op, int rank, int n, size_t j, uint64_t seed) {
  uint64_t h = hash(seed, rank, j);
  // Which ranks contribute a non-neutral value to element j: a window of `active` ranks that
  // slides with j, so every rank contributes somewhere whatever n is.
  size_t slot = (j + size_t(rank)) % size_t(n);
  switch (op) {
    case ncclSum: {
      double active = std::min<double>(n, ti.maxExact);
      double range = std::min(8.0, std::floor(ti.maxExact / active));
      return slot < active ? 1 + double(h % uint64_t(range)) : 0;
    }
    case ncclProd: {
      int active = std::min({n, ti.maxPow2, 16});
      return int(slot) < active ? double(1 + (h & 1)) : 1;
    }
    case ncclMax: case ncclMin: {
      double range = std::min(64.0, ti.maxExact);
      double v = double(h % uint64_t(range + 1));
      return ti.isSigned ? v - std::floor(range / 2) : v;
    }
    case ncclAvg: {
      // Every rank holds w, except +1 on one rank and -1 on the next: the sum is exactly n*w.
      double wRange = std::max(1.0, std::min(8.0, std::floor((ti.maxExact - 1) / n)));
      double w = 1 + double(mix(seed ^ mix(j)) % uint64_t(wRange));
      if (n > 1 && j % size_t(n) == size_t(rank)) return w + 1;
      if (n > 1 && (j + 1) % size_t(n) == size_t(rank)) return w - 1;
      return w;
    }
    default: return 0;
  }
}

double reduceExpected(const TypeInfo& ti, ncclRedOp_t op, int n, size_t j, uint64_t seed) {
  double acc = reduceInput(ti, op, 0, n, j, seed);
  for (int r = 1; r < n; r++) {
    double v = reduceInput(ti, op, r, n, j, seed);
    switch (op) {
      case ncclSum: case ncclAvg: acc += v; break;
      case ncclProd: acc *= v; break;
      case ncclMax: acc = std::max(acc, v); break;
      case ncclMin: acc = std::min(acc, v); break;
      default: break;
    }
  }
  return op == ncclAvg ? acc / n : acc;
}

// Avg's partial sums are exact when n * (w + 1) fits, and then sum-then-divide is exact for any n
// (the sum is n * w). Scaling each input by 1/n first (NCCL's way for floats) rounds unless n is a
// power of two, so a floating-point avg gets one ulp of slack there.
double avgTolerance(const TypeInfo& ti, ncclDataType_t t, int n) {
  if (!ti.isFloat) return 0;
  double wRange = std::max(1.0, std::min(8.0, std::floor((ti.maxExact - 1) / n)));
  if (isPow2(n) && n * wRange + 1 <= ti.maxExact) return 0;
  int manBits = ti.mini ? ti.mini->manBits : (t == ncclFloat32 ? 23 : 52);
  return std::ldexp(1.0, -manBits);  // relative: one ulp
}

void copyInput(uint8_t* dst, size_t eltSize, int rank, size_t j, uint64_t seed) {
  uint64_t h = hash(seed, rank, j);
  for (size_t b = 0; b < eltSize; b++) {
    if (b == 8) h = mix(h);
    dst[b] = uint8_t(h >> (8 * (b % 8)));
  }
}

std::string hexBytes(const uint8_t* p, size_t n) {
  std::string s = "0x";
  char buf[4];
  for (size_t i = n; i-- > 0;) {
    std::snprintf(buf, sizeof buf, "%02x", p[i]);
    s += buf;
  }
  return s;
}

}  // namespace

size_t typeSize(ncclDataType_t type) { return info(type).size; }

void fillInput(void* buf, size_t count, ncclDataType_t type, ncclRedOp_t op, bool reduction,
               int rank, int nranks, uint64_t seed) {
  const TypeInfo& ti = info(type);
  auto* p = static_cast<uint8_t*>(buf);
  for (size_t i = 0; i < count; i++) {
    if (reduction) encode(reduceInput(ti, op, rank, nranks, i, seed), type, p + i * ti.size);
    else copyInput(p + i * ti.size, ti.size, rank, i, seed);
  }
}

void fillPoison(void* buf, size_t bytes) { std::memset(buf, 0xA5, bytes); }

CheckResult checkOutput(const void* buf, const Collective& coll, const Counts& c,
                        ncclDataType_t type, ncclRedOp_t op, int rank, int nranks, int root,
                        uint64_t seed) {
  const TypeInfo& ti = info(type);
  const auto* p = static_cast<const uint8_t*>(buf);
  double tol = op == ncclAvg ? avgTolerance(ti, type, nranks) : 0;
  CheckResult res;
  int described = 0;
  uint8_t want[8];
  for (size_t k = 0; k < c.recv; k++) {
    Source s = coll.source(k, c, rank, nranks, root);
    const uint8_t* got = p + k * ti.size;
    bool ok = true;
    std::string wantText, gotText;
    if (s.kind == Source::Copy) {
      copyInput(want, ti.size, s.rank, s.index, seed);
      ok = std::memcmp(want, got, ti.size) == 0;
      if (!ok) wantText = hexBytes(want, ti.size) + " (rank " + std::to_string(s.rank) +
                          " element " + std::to_string(s.index) + ")",
               gotText = hexBytes(got, ti.size);
    } else if (s.kind == Source::Reduce) {
      double expected = reduceExpected(ti, op, nranks, s.index, seed);
      double value = decode(type, got);
      ok = tol == 0 ? value == expected : std::fabs(value - expected) <= tol * std::fabs(expected);
      if (!ok) wantText = std::to_string(expected), gotText = std::to_string(value);
    }
    if (ok) continue;
    if (++res.wrong, described < 3) {
      described++;
      res.firstWrong += (res.firstWrong.empty() ? "" : "; ") + std::string("element ") +
                        std::to_string(k) + ": expected " + wantText + ", got " + gotText;
    }
  }
  return res;
}

}  // namespace hccl::perf
