// Host backend kernels: every type x operator against reference arithmetic (host_reference.h),
// for every kernel set this CPU runs (generic, and AVX2 where present), with aliasing,
// unaligned pointers, odd counts and guard bytes; plus scale, divide and the Backend API.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "backends/host/host_kernels.h"
#include "base/datatype.h"
#include "host_reference.h"

namespace hccl {
namespace {

using host::KernelIsa;
using host::KernelSet;

constexpr DataType kAllTypes[] = {
    DataType::Int8,    DataType::Uint8,    DataType::Int32,      DataType::Uint32,
    DataType::Int64,   DataType::Uint64,   DataType::Float16,    DataType::Float32,
    DataType::Float64, DataType::Bfloat16, DataType::Float8e4m3, DataType::Float8e5m2};
constexpr ReduceOp kAllOps[] = {ReduceOp::Sum, ReduceOp::Prod, ReduceOp::Max, ReduceOp::Min};

// ---- element access as raw bits ----------------------------------------------------------------

uint64_t getBits(const void* p, size_t i, size_t size) {
  uint64_t v = 0;
  memcpy(&v, static_cast<const unsigned char*>(p) + i * size, size);  // little endian
  return v;
}
void setBits(void* p, size_t i, size_t size, uint64_t v) {
  memcpy(static_cast<unsigned char*>(p) + i * size, &v, size);
}

float asFloat(uint64_t bits) {
  const uint32_t u = static_cast<uint32_t>(bits);
  float f;
  memcpy(&f, &u, 4);
  return f;
}
uint64_t floatToBits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}
double asDouble(uint64_t bits) {
  double d;
  memcpy(&d, &bits, 8);
  return d;
}
uint64_t doubleToBits(double d) {
  uint64_t u;
  memcpy(&u, &d, 8);
  return u;
}

bool isSigned(DataType t) {
  return t == DataType::Int8 || t == DataType::Int32 || t == DataType::Int64;
}
int64_t signExtend(uint64_t v, size_t size) {
  const int shift = 64 - static_cast<int>(size) * 8;
  return static_cast<int64_t>(v << shift) >> shift;
}
uint64_t widthMask(size_t size) { return size == 8 ? ~0ull : (1ull << (size * 8)) - 1; }

// The value of an element in double (NaN, infinities included); exact for all but 64-bit ints.
double valueOf(DataType t, uint64_t bits) {
  const size_t size = dataTypeSize(t);
  if (const ref::Format* f = ref::narrowFormat(t)) return ref::decode(*f, static_cast<uint32_t>(bits));
  if (t == DataType::Float32) return asFloat(bits);
  if (t == DataType::Float64) return asDouble(bits);
  return isSigned(t) ? static_cast<double>(signExtend(bits, size)) : static_cast<double>(bits);
}

// ---- reference results -------------------------------------------------------------------------

uint64_t refReduce(DataType t, ReduceOp op, uint64_t a, uint64_t b) {
  const size_t size = dataTypeSize(t);
  const uint64_t mask = widthMask(size);
  if (!isFloatType(t)) {
    switch (op) {
      case ReduceOp::Sum: return (a + b) & mask;
      case ReduceOp::Prod: return (a * b) & mask;
      case ReduceOp::Max:
      case ReduceOp::Min: {
        const bool aBigger = isSigned(t) ? signExtend(a, size) > signExtend(b, size) : a > b;
        const bool isMax = op == ReduceOp::Max;
        if (a == b) return a;
        return aBigger == isMax ? a : b;
      }
    }
  }
  const double da = valueOf(t, a), db = valueOf(t, b);
  if (op == ReduceOp::Max || op == ReduceOp::Min) {
    uint64_t nan = 0;
    if (const ref::Format* f = ref::narrowFormat(t)) nan = f->nanBits;
    else if (t == DataType::Float32) nan = 0x7FFFFFFFu;
    else nan = 0x7FFFFFFFFFFFFFFFull;
    return ref::pickMinMax<uint64_t>(op == ReduceOp::Max, a, b, da, db, nan);
  }
  if (const ref::Format* f = ref::narrowFormat(t)) return ref::encode(*f, ref::applyOp(op, da, db));
  if (t == DataType::Float32) {
    // Sums and products of two floats are rounded innocuously through double.
    return floatToBits(static_cast<float>(ref::applyOp(op, da, db)));
  }
  return doubleToBits(op == ReduceOp::Sum ? asDouble(a) + asDouble(b) : asDouble(a) * asDouble(b));
}

uint64_t refScale(DataType t, uint64_t x, uint64_t s) {
  if (!isFloatType(t)) return (x * s) & widthMask(dataTypeSize(t));
  return refReduce(t, ReduceOp::Prod, x, s);
}

uint64_t refDivide(DataType t, uint64_t x, int d) {
  const size_t size = dataTypeSize(t);
  if (!isFloatType(t)) {
    if (isSigned(t)) return static_cast<uint64_t>(signExtend(x, size) / d) & widthMask(size);
    return x / static_cast<uint64_t>(d);
  }
  const double v = valueOf(t, x);
  if (const ref::Format* f = ref::narrowFormat(t)) return ref::encode(*f, v / d);
  if (t == DataType::Float32) return floatToBits(static_cast<float>(v / d));
  return doubleToBits(asDouble(x) / static_cast<double>(d));
}

// Bitwise equal, except that float/double arithmetic may return any NaN.
bool sameResult(DataType t, bool arithmetic, uint64_t got, uint64_t want) {
  if (arithmetic && (t == DataType::Float32 || t == DataType::Float64)) {
    const bool wantNaN = std::isnan(valueOf(t, want));
    if (wantNaN) return std::isnan(valueOf(t, got));
  }
  return got == want;
}

std::string hexBits(uint64_t v) {
  char s[32];
  snprintf(s, sizeof(s), "0x%llx", static_cast<unsigned long long>(v));
  return s;
}

// ---- input generation --------------------------------------------------------------------------

// Random elements: raw bits for integers and narrow floats (every pattern, NaN and infinity
// included); for float and double a mix of raw bits, specials, and values of nearby magnitude
// whose sums and products round.
uint64_t randomElement(std::mt19937_64& rng, DataType t) {
  const size_t size = dataTypeSize(t);
  const uint64_t r = rng();
  if (t != DataType::Float32 && t != DataType::Float64) return r & widthMask(size);
  const int kind = static_cast<int>(r % 16);
  const double sign = (r >> 8) & 1 ? -1.0 : 1.0;
  double v;
  if (kind == 0) return rng() & widthMask(size);
  if (kind == 1) {
    static const double kSpecials[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, -NAN, 1.0, -1.0,
                                       std::numeric_limits<float>::max(),
                                       std::numeric_limits<float>::denorm_min(),
                                       std::numeric_limits<float>::min(), 1e-40, 3e38};
    v = kSpecials[(r >> 16) % (sizeof(kSpecials) / sizeof(kSpecials[0]))];
    if (t == DataType::Float32) return floatToBits(static_cast<float>(v));
    return doubleToBits(v);
  }
  const int exp = static_cast<int>((r >> 16) % 41) - 20;
  v = sign * std::ldexp(static_cast<double>(rng() >> 11) / 9007199254740992.0 + 1.0, exp);
  if (t == DataType::Float32) return floatToBits(static_cast<float>(v));
  return doubleToBits(v);
}

// A buffer with guard bytes before and after, placed at a byte offset from 64-byte alignment.
struct Buf {
  std::vector<unsigned char> storage;
  size_t offset, bytes;
  static constexpr size_t kGuard = 64;
  Buf(size_t count, size_t size, size_t off)
      : storage(kGuard + off + count * size + kGuard, 0xA5), offset(kGuard + off), bytes(count * size) {}
  void* data() { return storage.data() + offset; }
  bool guardsIntact() const {
    for (size_t i = 0; i < offset; ++i) if (storage[i] != 0xA5) return false;
    for (size_t i = offset + bytes; i < storage.size(); ++i) if (storage[i] != 0xA5) return false;
    return true;
  }
};

// ---- the kernel-set fixture --------------------------------------------------------------------

std::vector<KernelIsa> availableIsas() {
  std::vector<KernelIsa> isas;
  for (int i = 0; i < host::kNumKernelIsas; ++i) {
    if (host::kernelSet(static_cast<KernelIsa>(i)) != nullptr) isas.push_back(static_cast<KernelIsa>(i));
  }
  return isas;
}

class HostKernels : public ::testing::TestWithParam<KernelIsa> {
 protected:
  const KernelSet& k() const { return *host::kernelSet(GetParam()); }

  // Runs reduce on (a, b) -> dst with the given aliasing and checks every element.
  enum class Alias { None, DstIsA, DstIsB, AIsB, All };
  void checkReduce(DataType t, ReduceOp op, size_t n, Alias alias, size_t off, uint64_t seed) {
    const size_t size = dataTypeSize(t);
    std::mt19937_64 rng(seed);
    Buf a(n, size, off), b(n, size, (off * 3) % 8), d(n, size, (off * 5 + 1) % 8);
    std::vector<uint64_t> va(n), vb(n);
    for (size_t i = 0; i < n; ++i) {
      va[i] = randomElement(rng, t);
      vb[i] = (alias == Alias::AIsB || alias == Alias::All) ? va[i] : randomElement(rng, t);
      setBits(a.data(), i, size, va[i]);
      setBits(b.data(), i, size, vb[i]);
    }
    void* pa = a.data();
    void* pb = alias == Alias::AIsB || alias == Alias::All ? pa : b.data();
    void* pd = d.data();
    if (alias == Alias::DstIsA || alias == Alias::All) pd = pa;
    if (alias == Alias::DstIsB) pd = pb;
    k().reduce[static_cast<int>(t)][static_cast<int>(op)](pd, pa, pb, n);
    const bool arith = op == ReduceOp::Sum || op == ReduceOp::Prod;
    for (size_t i = 0; i < n; ++i) {
      const uint64_t want = refReduce(t, op, va[i], vb[i]);
      const uint64_t got = getBits(pd, i, size);
      ASSERT_TRUE(sameResult(t, arith, got, want))
          << k().name << " " << dataTypeName(t) << " " << reduceOpName(op) << " n=" << n
          << " alias=" << static_cast<int>(alias) << " off=" << off << " i=" << i << ": "
          << hexBits(va[i]) << " op " << hexBits(vb[i]) << " = " << hexBits(got) << ", want "
          << hexBits(want);
    }
    ASSERT_TRUE(a.guardsIntact() && b.guardsIntact() && d.guardsIntact());
  }

  // Every value of a narrow type against every value in `bs`, in one call per op.
  void checkPairs(DataType t, ReduceOp op, const std::vector<uint32_t>& as,
                  const std::vector<uint32_t>& bs) {
    const size_t size = dataTypeSize(t);
    const size_t n = as.size() * bs.size();
    std::vector<unsigned char> a(n * size), b(n * size), d(n * size);
    size_t i = 0;
    for (uint32_t x : as) {
      for (uint32_t y : bs) {
        setBits(a.data(), i, size, x);
        setBits(b.data(), i, size, y);
        ++i;
      }
    }
    k().reduce[static_cast<int>(t)][static_cast<int>(op)](d.data(), a.data(), b.data(), n);
    for (i = 0; i < n; ++i) {
      const uint64_t x = getBits(a.data(), i, size), y = getBits(b.data(), i, size);
      const uint64_t want = refReduce(t, op, x, y), got = getBits(d.data(), i, size);
      ASSERT_EQ(got, want) << k().name << " " << dataTypeName(t) << " " << reduceOpName(op) << " "
                           << hexBits(x) << ", " << hexBits(y) << ": got " << hexBits(got)
                           << " want " << hexBits(want);
    }
  }
};

TEST_P(HostKernels, EveryTypeAndOpRandom) {
  for (DataType t : kAllTypes) {
    for (ReduceOp op : kAllOps) {
      checkReduce(t, op, 4099, Alias::None, 0, 17 * static_cast<int>(t) + static_cast<int>(op));
    }
  }
}

TEST_P(HostKernels, CountsAndAlignment) {
  const size_t counts[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65,
                           95, 127, 128, 129, 255, 256, 257, 1000};
  for (DataType t : kAllTypes) {
    for (ReduceOp op : kAllOps) {
      for (size_t n : counts) {
        for (size_t off : {size_t{0}, size_t{1}, size_t{2}, size_t{3}, size_t{7}}) {
          checkReduce(t, op, n, Alias::None, off, n * 31 + off);
        }
      }
    }
  }
}

TEST_P(HostKernels, Aliasing) {
  for (DataType t : kAllTypes) {
    for (ReduceOp op : kAllOps) {
      for (Alias alias : {Alias::DstIsA, Alias::DstIsB, Alias::AIsB, Alias::All}) {
        for (size_t n : {size_t{1}, size_t{33}, size_t{1027}}) {
          checkReduce(t, op, n, alias, 3, n + static_cast<int>(alias));
          checkReduce(t, op, n, alias, 0, n + 7 * static_cast<int>(alias));
        }
      }
    }
  }
}

// All 256 x 256 pairs of both fp8 formats, every operator.
TEST_P(HostKernels, Fp8Exhaustive) {
  std::vector<uint32_t> all(256);
  for (uint32_t v = 0; v < 256; ++v) all[v] = v;
  for (DataType t : {DataType::Float8e4m3, DataType::Float8e5m2}) {
    for (ReduceOp op : kAllOps) checkPairs(t, op, all, all);
  }
}

// Every half / bfloat16 value against values chosen to hit ties, cancellation, overflow,
// subnormals and NaN, plus random ones.
TEST_P(HostKernels, HalfAndBf16AllValuesAgainstSpecials) {
  std::vector<uint32_t> all(65536);
  for (uint32_t v = 0; v < 65536; ++v) all[v] = v;
  std::mt19937_64 rng(5);
  for (DataType t : {DataType::Float16, DataType::Bfloat16}) {
    const ref::Format& f = *ref::narrowFormat(t);
    std::vector<uint32_t> bs;
    const double inf = std::numeric_limits<double>::infinity();
    for (double d : {0.0, -0.0, 1.0, -1.0, 1.5, 3.0, -2.0, 0.5, 1.0 / 3, f.maxFinite, -f.maxFinite,
                     inf, -inf, std::nan("")}) {
      bs.push_back(ref::encode(f, d));
    }
    for (int e : {-1, -2, -8, -11, -12, -13, -24, -25}) bs.push_back(ref::encode(f, std::ldexp(1.0, e)));
    for (uint32_t bits : {0x0001u, 0x8001u, 0x03FFu, 0x0400u, 0x007Fu, 0x0080u, 0x7C01u, 0xFFFFu})
      bs.push_back(bits);
    for (int i = 0; i < 16; ++i) bs.push_back(static_cast<uint32_t>(rng() & 0xFFFF));
    for (ReduceOp op : kAllOps) checkPairs(t, op, all, bs);
  }
}

// ---- scale -------------------------------------------------------------------------------------

TEST_P(HostKernels, ScaleEveryType) {
  for (DataType t : kAllTypes) {
    const size_t size = dataTypeSize(t);
    std::mt19937_64 rng(100 + static_cast<int>(t));
    std::vector<uint64_t> scalars;
    for (int i = 0; i < 6; ++i) scalars.push_back(randomElement(rng, t));
    if (isFloatType(t)) {
      if (const ref::Format* f = ref::narrowFormat(t)) {
        for (double d : {0.5, 1.0 / 3, -0.25, 3.0, f->maxFinite}) scalars.push_back(ref::encode(*f, d));
      } else if (t == DataType::Float32) {
        for (float d : {0.5f, 1.0f / 3, -0.25f}) scalars.push_back(floatToBits(d));
      } else {
        for (double d : {0.5, 1.0 / 3, -0.25}) scalars.push_back(doubleToBits(d));
      }
    } else {
      for (uint64_t s : {0ull, 1ull, 3ull, ~0ull}) scalars.push_back(s & widthMask(size));
    }
    for (uint64_t s : scalars) {
      for (size_t n : {size_t{0}, size_t{1}, size_t{15}, size_t{16}, size_t{17}, size_t{33},
                       size_t{1031}}) {
        for (bool inPlace : {false, true}) {
          Buf src(n, size, 1), dst(n, size, 2);
          std::vector<uint64_t> v(n);
          for (size_t i = 0; i < n; ++i) {
            v[i] = randomElement(rng, t);
            setBits(src.data(), i, size, v[i]);
          }
          void* out = inPlace ? src.data() : dst.data();
          Buf scalar(1, size, 3);
          setBits(scalar.data(), 0, size, s);
          k().scale[static_cast<int>(t)](out, src.data(), n, scalar.data());
          for (size_t i = 0; i < n; ++i) {
            const uint64_t want = refScale(t, v[i], s), got = getBits(out, i, size);
            ASSERT_TRUE(sameResult(t, true, got, want))
                << k().name << " scale " << dataTypeName(t) << " n=" << n << " i=" << i << " "
                << hexBits(v[i]) << " * " << hexBits(s) << " = " << hexBits(got) << " want "
                << hexBits(want);
          }
          ASSERT_TRUE(src.guardsIntact() && dst.guardsIntact());
        }
      }
    }
  }
}

// bfloat16 products below float's normal range round once (computed in double).
TEST_P(HostKernels, Bf16TinyProducts) {
  std::vector<uint32_t> tiny;
  for (uint32_t v = 0x0000; v < 0x1000; v += 7) tiny.push_back(v);  // 2^-133 .. ~2^-96
  std::vector<uint32_t> small;
  for (uint32_t v = 0x0C00; v < 0x2000; v += 13) small.push_back(v);
  checkPairs(DataType::Bfloat16, ReduceOp::Prod, tiny, small);
}

// ---- divide ------------------------------------------------------------------------------------

TEST_P(HostKernels, DivideEveryType) {
  for (DataType t : kAllTypes) {
    const size_t size = dataTypeSize(t);
    std::mt19937_64 rng(200 + static_cast<int>(t));
    for (int divisor : {1, 2, 3, 4, 7, 8, 10, 100, 255, 1000, 4096, 65537}) {
      for (size_t n : {size_t{0}, size_t{1}, size_t{17}, size_t{1029}}) {
        Buf buf(n, size, 5);
        std::vector<uint64_t> v(n);
        for (size_t i = 0; i < n; ++i) {
          v[i] = randomElement(rng, t);
          if (i < 4 && !isFloatType(t)) {
            // The extremes: min, max, -1 and 0 of the type.
            const uint64_t topBit = 1ull << (size * 8 - 1);
            const uint64_t extremes[] = {isSigned(t) ? topBit : widthMask(size),
                                         isSigned(t) ? topBit - 1 : 0, widthMask(size), 0};
            v[i] = extremes[i];
          }
          setBits(buf.data(), i, size, v[i]);
        }
        k().divide[static_cast<int>(t)](buf.data(), n, divisor);
        for (size_t i = 0; i < n; ++i) {
          const uint64_t want = refDivide(t, v[i], divisor), got = getBits(buf.data(), i, size);
          ASSERT_TRUE(sameResult(t, true, got, want))
              << k().name << " divide " << dataTypeName(t) << " by " << divisor << " i=" << i
              << " " << hexBits(v[i]) << " -> " << hexBits(got) << " want " << hexBits(want);
        }
        ASSERT_TRUE(buf.guardsIntact());
      }
    }
  }
}

// Every value of each narrow type divided by small rank counts.
TEST_P(HostKernels, DivideNarrowEveryValue) {
  for (DataType t : {DataType::Float16, DataType::Bfloat16, DataType::Float8e4m3,
                     DataType::Float8e5m2}) {
    const size_t size = dataTypeSize(t);
    const size_t n = size == 1 ? 256 : 65536;
    for (int divisor : {2, 3, 5, 6, 7, 12, 24, 100}) {
      std::vector<unsigned char> buf(n * size);
      for (size_t i = 0; i < n; ++i) setBits(buf.data(), i, size, i);
      k().divide[static_cast<int>(t)](buf.data(), n, divisor);
      for (size_t i = 0; i < n; ++i) {
        const uint64_t want = refDivide(t, i, divisor), got = getBits(buf.data(), i, size);
        ASSERT_EQ(got, want) << k().name << " divide " << dataTypeName(t) << " " << hexBits(i)
                             << " by " << divisor;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Host, HostKernels, ::testing::ValuesIn(availableIsas()),
                         [](const ::testing::TestParamInfo<KernelIsa>& p) {
                           return std::string(host::kernelSet(p.param)->name);
                         });

// Specific semantics, spelled out (through the backend, i.e. the active kernel set).
TEST(HostReduceSemantics, Examples) {
  Backend& be = hostBackend();
  auto one = [&](DataType t, ReduceOp op, uint64_t a, uint64_t b) {
    uint64_t d = 0;
    EXPECT_EQ(be.reduce(&d, &a, &b, 1, t, op), Status::Success);
    return d;
  };
  // Integers wrap.
  EXPECT_EQ(one(DataType::Int8, ReduceOp::Sum, 0x7F, 0x01), 0x80u);
  EXPECT_EQ(one(DataType::Int32, ReduceOp::Prod, 0x10000, 0x10000), 0u);
  EXPECT_EQ(one(DataType::Int64, ReduceOp::Min, 0x8000000000000000ull, 1), 0x8000000000000000ull);
  EXPECT_EQ(one(DataType::Uint64, ReduceOp::Max, 0x8000000000000000ull, 1), 0x8000000000000000ull);
  // Max/Min ignore a NaN operand, order -0 < +0, and give the canonical NaN for two NaNs.
  const uint64_t fNaN = 0x7FC00001, fOne = 0x3F800000, fPlus0 = 0, fMinus0 = 0x80000000;
  EXPECT_EQ(one(DataType::Float32, ReduceOp::Max, fNaN, fOne), fOne);
  EXPECT_EQ(one(DataType::Float32, ReduceOp::Min, fOne, fNaN), fOne);
  EXPECT_EQ(one(DataType::Float32, ReduceOp::Max, fMinus0, fPlus0), fPlus0);
  EXPECT_EQ(one(DataType::Float32, ReduceOp::Max, fPlus0, fMinus0), fPlus0);
  EXPECT_EQ(one(DataType::Float32, ReduceOp::Min, fPlus0, fMinus0), fMinus0);
  EXPECT_EQ(one(DataType::Float32, ReduceOp::Max, fNaN, 0xFFC00000), 0x7FFFFFFFu);
  EXPECT_EQ(one(DataType::Float16, ReduceOp::Max, 0x7E00, 0xFC00), 0xFC00u);  // NaN vs -inf
  // fp8 saturates: 448 + 448 = 448 (E4M3), 57344 + 57344 = 57344 and inf + 1 = 57344 (E5M2).
  EXPECT_EQ(one(DataType::Float8e4m3, ReduceOp::Sum, 0x7E, 0x7E), 0x7Eu);
  EXPECT_EQ(one(DataType::Float8e4m3, ReduceOp::Sum, 0xFE, 0xFE), 0xFEu);
  EXPECT_EQ(one(DataType::Float8e5m2, ReduceOp::Sum, 0x7B, 0x7B), 0x7Bu);
  EXPECT_EQ(one(DataType::Float8e5m2, ReduceOp::Sum, 0x7C, 0x3C), 0x7Bu);
  EXPECT_EQ(one(DataType::Float8e5m2, ReduceOp::Sum, 0x7C, 0xFC), 0x7Fu);  // inf - inf = NaN
  EXPECT_EQ(one(DataType::Float8e4m3, ReduceOp::Sum, 0x7F, 0x38), 0x7Fu);  // NaN stays NaN
  // half and bfloat16 overflow to infinity; NaN results are canonical.
  EXPECT_EQ(one(DataType::Float16, ReduceOp::Sum, 0x7BFF, 0x7BFF), 0x7C00u);
  EXPECT_EQ(one(DataType::Bfloat16, ReduceOp::Sum, 0x7F7F, 0x7F7F), 0x7F80u);
  EXPECT_EQ(one(DataType::Float16, ReduceOp::Sum, 0x7C00, 0xFC00), 0x7FFFu);
  EXPECT_EQ(one(DataType::Bfloat16, ReduceOp::Sum, 0xFFC1, 0x3F80), 0x7FFFu);
  // Ties round to even: 1 + 2^-11 in half is a tie between 1 and 1 + 2^-10.
  EXPECT_EQ(one(DataType::Float16, ReduceOp::Sum, 0x3C00, 0x1000), 0x3C00u);
  EXPECT_EQ(one(DataType::Float16, ReduceOp::Sum, 0x3C01, 0x1000), 0x3C02u);
}

// ---- Backend API -------------------------------------------------------------------------------

TEST(HostBackend, Identity) {
  Backend& be = hostBackend();
  EXPECT_EQ(&be, &hostBackend());
  EXPECT_EQ(be.kind(), BackendKind::Host);
  EXPECT_STREQ(be.name(), "host");
  EXPECT_EQ(be.deviceIndex(), -1);
}

// The backend runs the best kernel set the CPU supports.
TEST(HostBackend, UsesBestKernelSet) {
  const KernelSet* avx2 = host::kernelSet(KernelIsa::Avx2);
  EXPECT_EQ(&host::activeKernelSet(), avx2 != nullptr ? avx2 : host::kernelSet(KernelIsa::Generic));
  EXPECT_NE(host::kernelSet(KernelIsa::Generic), nullptr);
}

TEST(HostBackend, AllocateCopyRelease) {
  Backend& be = hostBackend();
  void* p = nullptr;
  ASSERT_EQ(be.allocate(&p, 10000), Status::Success);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 4096, 0u);
  std::vector<unsigned char> src(10000);
  for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<unsigned char>(i * 7);
  EXPECT_EQ(be.copy(p, src.data(), src.size()), Status::Success);
  EXPECT_EQ(memcmp(p, src.data(), src.size()), 0);
  EXPECT_EQ(be.copy(nullptr, nullptr, 0), Status::Success);
  EXPECT_EQ(be.release(p), Status::Success);
  EXPECT_EQ(be.allocate(nullptr, 16), Status::InvalidArgument);
}

TEST(HostBackend, ArgumentChecks) {
  Backend& be = hostBackend();
  float x = 1, y = 2, z = 0;
  EXPECT_EQ(be.reduce(&z, &x, &y, 1, static_cast<DataType>(12), ReduceOp::Sum), Status::InvalidArgument);
  EXPECT_EQ(be.reduce(&z, &x, &y, 1, static_cast<DataType>(-1), ReduceOp::Sum), Status::InvalidArgument);
  EXPECT_EQ(be.reduce(&z, &x, &y, 1, DataType::Float32, static_cast<ReduceOp>(4)), Status::InvalidArgument);
  EXPECT_EQ(be.reduce(nullptr, &x, &y, 1, DataType::Float32, ReduceOp::Sum), Status::InvalidArgument);
  EXPECT_EQ(be.reduce(nullptr, nullptr, nullptr, 0, DataType::Float32, ReduceOp::Sum), Status::Success);
  EXPECT_EQ(be.reduce(&z, &x, &y, 1, DataType::Float32, ReduceOp::Sum), Status::Success);
  EXPECT_EQ(z, 3.0f);
  EXPECT_EQ(be.scale(&z, &x, 1, DataType::Float32, nullptr), Status::InvalidArgument);
  EXPECT_EQ(be.scale(&z, &y, 1, DataType::Float32, &y), Status::Success);
  EXPECT_EQ(z, 4.0f);
  EXPECT_EQ(be.divide(&z, 1, DataType::Float32, 0), Status::InvalidArgument);
  EXPECT_EQ(be.divide(&z, 1, DataType::Float32, -2), Status::InvalidArgument);
  EXPECT_EQ(be.divide(&z, 1, DataType::Float32, 1), Status::Success);
  EXPECT_EQ(be.divide(&z, 1, DataType::Float32, 8), Status::Success);
  EXPECT_EQ(z, 0.5f);
  EXPECT_EQ(be.divide(nullptr, 0, DataType::Int8, 3), Status::Success);
}

TEST(DataTypeNames, All) {
  const char* names[] = {"int8",  "uint8",  "int32",    "uint32", "int64",  "uint64",
                         "half",  "float",  "double",   "bfloat16", "f8e4m3", "f8e5m2"};
  for (int t = 0; t < kNumDataTypes; ++t) {
    EXPECT_STREQ(dataTypeName(static_cast<DataType>(t)), names[t]);
  }
  EXPECT_STREQ(dataTypeName(static_cast<DataType>(99)), "unknown");
  EXPECT_STREQ(reduceOpName(ReduceOp::Sum), "sum");
  EXPECT_STREQ(reduceOpName(ReduceOp::Prod), "prod");
  EXPECT_STREQ(reduceOpName(ReduceOp::Max), "max");
  EXPECT_STREQ(reduceOpName(ReduceOp::Min), "min");
  EXPECT_STREQ(reduceOpName(static_cast<ReduceOp>(7)), "unknown");
}

}  // namespace
}  // namespace hccl
