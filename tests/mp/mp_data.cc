// mp_data.cc: see mp_data.h.
#include "mp_data.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace mp {

namespace {

const TypeInfo kTypes[12] = {
    {ncclInt8, "int8", 1, false, true, 0, 0, 0, false},
    {ncclUint8, "uint8", 1, false, false, 0, 0, 0, false},
    {ncclInt32, "int32", 4, false, true, 0, 0, 0, false},
    {ncclUint32, "uint32", 4, false, false, 0, 0, 0, false},
    {ncclInt64, "int64", 8, false, true, 0, 0, 0, false},
    {ncclUint64, "uint64", 8, false, false, 0, 0, 0, false},
    {ncclFloat16, "half", 2, true, true, 5, 10, 15, false},
    {ncclFloat32, "float", 4, true, true, 8, 23, 127, false},
    {ncclFloat64, "double", 8, true, true, 11, 52, 1023, false},
    {ncclBfloat16, "bfloat16", 2, true, true, 8, 7, 127, false},
    {ncclFloat8e4m3, "fp8e4m3", 1, true, true, 4, 3, 7, true},
    {ncclFloat8e5m2, "fp8e5m2", 1, true, true, 5, 2, 15, false},
};

uint64_t widthMask(size_t size) { return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1; }

int64_t signExtend(uint64_t bits, size_t size) {
  if (size >= 8) return int64_t(bits);
  unsigned shift = unsigned(64 - 8 * size);
  return int64_t(bits << shift) >> shift;
}

// Small IEEE-like formats (half, bfloat16, fp8): decode.
double decodeMini(const TypeInfo& t, uint64_t bits) {
  const int E = t.expBits, M = t.manBits;
  const uint64_t expMax = (1ull << E) - 1, manMask = (1ull << M) - 1;
  bool neg = (bits >> (E + M)) & 1;
  uint64_t ef = (bits >> M) & expMax, mf = bits & manMask;
  double v;
  if (t.finiteOnly && ef == expMax && mf == manMask) return std::nan("");
  if (!t.finiteOnly && ef == expMax) {
    if (mf != 0) return std::nan("");
    v = INFINITY;
  } else if (ef == 0) {
    v = std::ldexp(double(mf), 1 - t.bias - M);
  } else {
    v = std::ldexp(double(mf | (1ull << M)), int(ef) - t.bias - M);
  }
  return neg ? -v : v;
}

// Encode with round-to-nearest-even; overflow gives inf (NaN for e4m3).
uint64_t encodeMini(const TypeInfo& t, double v) {
  const int E = t.expBits, M = t.manBits;
  const uint64_t expMax = (1ull << E) - 1, manMask = (1ull << M) - 1;
  uint64_t sign = std::signbit(v) ? 1ull << (E + M) : 0;
  uint64_t nanBits = t.finiteOnly ? (expMax << M) | manMask : (expMax << M) | (1ull << (M - 1));
  if (std::isnan(v)) return sign | nanBits;
  double a = std::fabs(v);
  uint64_t overflow = t.finiteOnly ? nanBits : expMax << M;
  if (std::isinf(a)) return sign | overflow;
  if (a == 0) return sign;
  int e;
  std::frexp(a, &e); // a = f * 2^e, f in [0.5, 1)
  int exp = e - 1;   // a = 1.x * 2^exp
  const int minExp = 1 - t.bias;
  uint64_t out;
  if (exp < minExp) {
    // Subnormal: units of 2^(minExp - M); a carry into 2^M gives the smallest normal.
    double q = std::nearbyint(std::ldexp(a, M - minExp));
    out = uint64_t(q);
  } else {
    double q = std::nearbyint(std::ldexp(a, M - exp)); // in [2^M, 2^(M+1)]
    if (q >= double(1ull << (M + 1))) {
      q /= 2;
      ++exp;
    }
    uint64_t ef = uint64_t(exp + t.bias);
    out = (ef << M) | (uint64_t(q) & manMask);
    if (ef > expMax || (!t.finiteOnly && ef == expMax) ||
        (t.finiteOnly && ef == expMax && (out & manMask) == manMask))
      return sign | overflow;
  }
  return sign | out;
}

double unitRoundoff(const TypeInfo& t) { return std::ldexp(1.0, -(t.manBits + 1)); }
double minSubnormal(const TypeInfo& t) { return std::ldexp(1.0, 1 - t.bias - t.manBits); }

// Bound on the error of summing nranks terms of total magnitude sumAbs in type t, with one
// extra rounding per term (pre-scaling) and one for the result, in any order; doubled to cover
// the float64 reference's own rounding (which matters for float64 itself).
double sumTolerance(const TypeInfo& t, int nranks, double sumAbs) {
  int k = 2 * (nranks + 2);
  return std::expm1(k * std::log1p(unitRoundoff(t))) * sumAbs + (nranks + 1) * minSubnormal(t);
}

} // namespace

const char* opName(Op op) {
  switch (op) {
    case Op::Sum: return "sum";
    case Op::Prod: return "prod";
    case Op::Max: return "max";
    case Op::Min: return "min";
    case Op::Avg: return "avg";
    case Op::PreMulSum: return "premulsum";
    case Op::Copy: return "copy";
    case Op::SumRounding: return "sum(rounding)";
  }
  return "?";
}

ncclRedOp_t builtinOp(Op op) {
  switch (op) {
    case Op::Sum: return ncclSum;
    case Op::Prod: return ncclProd;
    case Op::Max: return ncclMax;
    case Op::Min: return ncclMin;
    case Op::Avg: return ncclAvg;
    case Op::SumRounding: return ncclSum;
    default: std::abort();
  }
}

const TypeInfo& typeInfo(ncclDataType_t type) {
  int i = int(type);
  if (i < 0 || i >= 12) std::abort();
  return kTypes[i];
}

uint64_t loadBits(const void* p, size_t size) {
  uint64_t v = 0;
  std::memcpy(&v, p, size); // little-endian
  return v;
}

void storeBits(void* p, size_t size, uint64_t bits) { std::memcpy(p, &bits, size); }

double toDouble(ncclDataType_t type, uint64_t bits) {
  const TypeInfo& t = typeInfo(type);
  if (!t.isFloat) {
    bits &= widthMask(t.size);
    return t.isSigned ? double(signExtend(bits, t.size)) : double(bits);
  }
  if (type == ncclFloat32) {
    float f;
    uint32_t b = uint32_t(bits);
    std::memcpy(&f, &b, 4);
    return f;
  }
  if (type == ncclFloat64) {
    double d;
    std::memcpy(&d, &bits, 8);
    return d;
  }
  return decodeMini(t, bits);
}

uint64_t fromDouble(ncclDataType_t type, double v) {
  const TypeInfo& t = typeInfo(type);
  if (!t.isFloat) return uint64_t(int64_t(v)) & widthMask(t.size);
  if (type == ncclFloat32) {
    float f = float(v);
    uint32_t b;
    std::memcpy(&b, &f, 4);
    return b;
  }
  if (type == ncclFloat64) {
    uint64_t b;
    std::memcpy(&b, &v, 8);
    return b;
  }
  return encodeMini(t, v);
}

uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

uint64_t hashBytes(const void* p, size_t n, uint64_t h) {
  const unsigned char* c = static_cast<const unsigned char*>(p);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, c + i, 8);
    h = mix64(h ^ w);
  }
  for (; i < n; ++i) h = (h ^ c[i]) * 0x100000001b3ull;
  return mix64(h ^ n);
}

uint64_t genBits(ncclDataType_t type, Op op, uint64_t seed, int rank, size_t index) {
  const TypeInfo& t = typeInfo(type);
  const uint64_t mask = widthMask(t.size);
  uint64_t r = mix64(seed ^ (uint64_t(rank) * 0xD1B54A32D192ED03ull) ^ (uint64_t(index) * 0x9E3779B97F4A7C15ull));
  if (!t.isFloat) {
    if (op == Op::Avg || op == Op::PreMulSum) {
      // Small values: an 8-rank Avg never wraps (NCCL divides the wrapped sum).
      int64_t v = t.isSigned ? int64_t(r % 31) - 15 : int64_t(r % 32);
      return uint64_t(v) & mask;
    }
    return r & mask;
  }
  switch (op) {
    case Op::Copy: return r & mask;
    case Op::SumRounding: {
      // Uniform in [-4, 4), rounded to the type.
      double v = std::ldexp(double(r >> 11), -53) * 8 - 4;
      return fromDouble(type, v);
    }
    case Op::Max:
    case Op::Min:
      for (;;) {
        uint64_t b = r & mask;
        if (std::isfinite(toDouble(type, b))) return b;
        r = mix64(r);
      }
    case Op::Prod: {
      // {0, +-0.5, +-1, +-2}, encoded once per type.
      static const auto kTable = [] {
        std::array<std::array<uint64_t, 7>, 12> t{};
        static const double kVals[7] = {-2, -1, -0.5, 0.5, 1, 2, 0};
        for (int ty = 0; ty < 12; ++ty)
          if (kTypes[ty].isFloat)
            for (int k = 0; k < 7; ++k) t[ty][k] = fromDouble(ncclDataType_t(ty), kVals[k]);
        return t;
      }();
      return kTable[int(type)][(r % 32 == 0) ? 6 : (r >> 8) % 6];
    }
    default: {
      // Sum, Avg, PreMulSum: k * 2^-f with every partial sum of 8 ranks exact.
      int64_t range = 16;
      int frac = 0;
      switch (type) {
        case ncclFloat8e4m3: range = 2; break;
        case ncclFloat8e5m2: range = 1; break;
        case ncclFloat32: range = 8000, frac = 3; break;
        case ncclFloat64: range = int64_t(1) << 30, frac = 10; break;
        default: break;
      }
      int64_t k = int64_t(r % uint64_t(2 * range + 1)) - range;
      if (frac == 0 && range <= 16) {
        // Small integers, encoded once per type.
        static const auto kSmall = [] {
          std::array<std::array<uint64_t, 33>, 12> t{};
          for (int ty = 0; ty < 12; ++ty)
            if (kTypes[ty].isFloat)
              for (int k = -16; k <= 16; ++k) t[ty][k + 16] = fromDouble(ncclDataType_t(ty), double(k));
          return t;
        }();
        return kSmall[int(type)][k + 16];
      }
      return fromDouble(type, std::ldexp(double(k), -frac));
    }
  }
}

void fill(void* buf, ncclDataType_t type, Op op, uint64_t seed, int rank, size_t count,
          size_t index0) {
  size_t size = typeInfo(type).size;
  for (size_t i = 0; i < count; ++i) storeElem(buf, size, i, genBits(type, op, seed, rank, index0 + i));
}

uint64_t preMulScalarBits(ncclDataType_t type) {
  return typeInfo(type).isFloat ? fromDouble(type, 1.5) : fromDouble(type, 3);
}

Expected reduceExpected(ncclDataType_t type, Op op, int nranks, const uint64_t* in) {
  const TypeInfo& t = typeInfo(type);
  Expected e{false, 0, 0, 0};
  if (!t.isFloat) {
    const uint64_t mask = widthMask(t.size);
    e.exactBits = true;
    uint64_t acc = 0;
    switch (op) {
      case Op::Sum:
      case Op::SumRounding:
        for (int r = 0; r < nranks; ++r) acc += in[r];
        break;
      case Op::Prod:
        acc = 1;
        for (int r = 0; r < nranks; ++r) acc *= in[r];
        break;
      case Op::Max:
      case Op::Min:
        acc = in[0] & mask;
        for (int r = 1; r < nranks; ++r) {
          uint64_t x = in[r] & mask;
          bool greater = t.isSigned ? signExtend(x, t.size) > signExtend(acc, t.size) : x > acc;
          bool less = t.isSigned ? signExtend(x, t.size) < signExtend(acc, t.size) : x < acc;
          if ((op == Op::Max && greater) || (op == Op::Min && less)) acc = x;
        }
        break;
      case Op::Avg: {
        // NCCL: wrapped sum, then |sum| / nranks (rounding towards zero), sign restored.
        uint64_t s = 0;
        for (int r = 0; r < nranks; ++r) s += in[r];
        s &= mask;
        bool neg = t.isSigned && ((s >> (8 * t.size - 1)) & 1);
        uint64_t a = neg ? (0 - s) & mask : s;
        a /= uint64_t(nranks);
        acc = neg ? 0 - a : a;
        break;
      }
      case Op::PreMulSum: {
        uint64_t s = preMulScalarBits(type);
        for (int r = 0; r < nranks; ++r) acc += in[r] * s;
        break;
      }
      case Op::Copy: std::abort();
    }
    e.bits = acc & mask;
    return e;
  }
  double v[64];
  for (int r = 0; r < nranks; ++r) v[r] = toDouble(type, in[r]);
  double acc = 0, sumAbs = 0;
  switch (op) {
    case Op::Sum:
      for (int r = 0; r < nranks; ++r) acc += v[r];
      break;
    case Op::SumRounding:
      for (int r = 0; r < nranks; ++r) acc += v[r], sumAbs += std::fabs(v[r]);
      e.tol = sumTolerance(t, nranks, sumAbs);
      break;
    case Op::Prod:
      acc = 1;
      for (int r = 0; r < nranks; ++r) acc *= v[r];
      break;
    case Op::Max:
      acc = v[0];
      for (int r = 1; r < nranks; ++r) acc = std::fmax(acc, v[r]);
      break;
    case Op::Min:
      acc = v[0];
      for (int r = 1; r < nranks; ++r) acc = std::fmin(acc, v[r]);
      break;
    case Op::Avg:
      for (int r = 0; r < nranks; ++r) acc += v[r], sumAbs += std::fabs(v[r]);
      acc /= nranks;
      sumAbs /= nranks;
      e.tol = sumTolerance(t, nranks, sumAbs);
      break;
    case Op::PreMulSum: {
      double s = toDouble(type, preMulScalarBits(type));
      for (int r = 0; r < nranks; ++r) acc += s * v[r], sumAbs += std::fabs(s * v[r]);
      e.tol = sumTolerance(t, nranks, sumAbs);
      break;
    }
    case Op::Copy: std::abort();
  }
  e.value = acc;
  e.bits = fromDouble(type, acc);
  return e;
}

bool matches(ncclDataType_t type, const Expected& e, uint64_t got) {
  const TypeInfo& t = typeInfo(type);
  got &= widthMask(t.size);
  if (e.exactBits) return got == (e.bits & widthMask(t.size));
  double d = toDouble(type, got);
  if (std::isnan(d)) return false;
  return std::fabs(d - e.value) <= e.tol;
}

std::string describe(ncclDataType_t type, uint64_t bits) {
  const TypeInfo& t = typeInfo(type);
  bits &= widthMask(t.size);
  std::ostringstream s;
  s.precision(17);
  s << "0x" << std::hex << bits << std::dec << " (" << toDouble(type, bits) << ")";
  return s.str();
}

std::string describe(ncclDataType_t type, const Expected& e) {
  if (e.exactBits) return describe(type, e.bits);
  std::ostringstream s;
  s.precision(17);
  s << e.value;
  if (e.tol > 0) s << " +- " << e.tol;
  return s.str();
}

GuardedBuffer::GuardedBuffer(size_t bytes, size_t offset) : bytes_(bytes) {
  size_t total = (kGuard + offset + bytes + kGuard + 63) / 64 * 64;
  raw_ = static_cast<char*>(std::aligned_alloc(64, total));
  if (!raw_) std::abort();
  std::memset(raw_, kPattern, total);
  data_ = raw_ + kGuard + offset;
  total_ = total;
}

GuardedBuffer::~GuardedBuffer() { std::free(raw_); }

void GuardedBuffer::poison() { std::memset(data_, kPattern, bytes_); }

bool GuardedBuffer::guardsIntact(std::string* why) const {
  for (const char* p = raw_; p < data_; ++p)
    if (uint8_t(*p) != kPattern) {
      if (why) *why = "byte " + std::to_string(data_ - p) + " before the buffer was overwritten";
      return false;
    }
  for (const char* p = data_ + bytes_; p < raw_ + total_; ++p)
    if (uint8_t(*p) != kPattern) {
      if (why) *why = "byte " + std::to_string(p - (data_ + bytes_)) + " after the buffer was overwritten";
      return false;
    }
  return true;
}

} // namespace mp
