// The scalar conversions in src/backends/common/float_convert.h against the reference in
// host_reference.h: every narrow value decoded, every value and every rounding boundary
// (midpoints and their float neighbours) encoded, plus specials and random floats.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

#include "backends/common/float_convert.h"
#include "host_reference.h"

namespace hccl {
namespace {

using cvt::bitsToFloat;
using cvt::floatBits;

struct Narrow {
  const char* name;
  const ref::Format* format;
  float (*widen)(uint32_t);
  uint32_t (*narrow)(float);
};

const Narrow kNarrow[] = {
    {"half", &ref::kHalf, [](uint32_t v) { return cvt::halfToFloat(static_cast<uint16_t>(v)); },
     [](float f) -> uint32_t { return cvt::floatToHalf(f); }},
    {"bfloat16", &ref::kBf16, [](uint32_t v) { return cvt::bf16ToFloat(static_cast<uint16_t>(v)); },
     [](float f) -> uint32_t { return cvt::floatToBf16(f); }},
    {"e4m3", &ref::kE4m3, [](uint32_t v) { return cvt::fp8e4m3ToFloat(static_cast<uint8_t>(v)); },
     [](float f) -> uint32_t { return cvt::floatToFp8e4m3(f); }},
    {"e5m2", &ref::kE5m2, [](uint32_t v) { return cvt::fp8e5m2ToFloat(static_cast<uint8_t>(v)); },
     [](float f) -> uint32_t { return cvt::floatToFp8e5m2(f); }},
};

class ConvertTest : public ::testing::TestWithParam<int> {
 protected:
  const Narrow& n() const { return kNarrow[GetParam()]; }
  uint32_t count() const { return 1u << n().format->width; }
  void expectEncode(float f) const {
    const uint32_t want = ref::encode(*n().format, static_cast<double>(f));
    const uint32_t got = n().narrow(f);
    ASSERT_EQ(got, want) << n().name << " of " << f << " (float bits 0x" << std::hex << floatBits(f)
                         << ")";
  }
};

// Widening is exact for every value; NaN stays NaN.
TEST_P(ConvertTest, WidenEveryValue) {
  for (uint32_t v = 0; v < count(); ++v) {
    const double want = ref::decode(*n().format, v);
    const float got = n().widen(v);
    if (std::isnan(want)) {
      ASSERT_TRUE(std::isnan(got)) << n().name << " 0x" << std::hex << v;
    } else {
      ASSERT_EQ(static_cast<double>(got), want) << n().name << " 0x" << std::hex << v;
      ASSERT_EQ(std::signbit(got), std::signbit(want)) << n().name << " 0x" << std::hex << v;
    }
  }
}

// Every non-NaN value survives widen + narrow bit for bit (fp8 E5M2 infinities saturate).
TEST_P(ConvertTest, RoundTripEveryValue) {
  for (uint32_t v = 0; v < count(); ++v) {
    if (ref::isNaNBits(*n().format, v)) {
      ASSERT_EQ(n().narrow(n().widen(v)), n().format->nanBits) << n().name << std::hex << v;
      continue;
    }
    const double d = ref::decode(*n().format, v);
    if (std::isinf(d) && n().format->saturate) continue;  // covered by Saturation
    ASSERT_EQ(n().narrow(n().widen(v)), v) << n().name << " 0x" << std::hex << v;
  }
}

// Midpoints between neighbours (ties go to even) and the floats just either side of them.
TEST_P(ConvertTest, RoundingBoundaries) {
  for (uint32_t v = 0; v + 1 < count() / 2; ++v) {  // positive values, v and v+1 adjacent
    const double lo = ref::decode(*n().format, v), hi = ref::decode(*n().format, v + 1);
    if (std::isnan(lo) || std::isnan(hi) || std::isinf(hi)) continue;
    const float mid = static_cast<float>((lo + hi) / 2);  // exact in float for all formats
    ASSERT_EQ(static_cast<double>(mid), (lo + hi) / 2);
    for (float f : {mid, std::nextafter(mid, 0.0f), std::nextafter(mid, INFINITY)}) {
      expectEncode(f);
      expectEncode(-f);
    }
  }
  // Above the largest finite value: the midpoint to the next binade step and beyond.
  const double maxv = n().format->maxFinite;
  for (double d : {maxv, maxv * 1.01, maxv * 1.03, maxv * 1.0625, maxv * 1.07, maxv * 1.2,
                   maxv * 2, 1e30, 3e38}) {
    expectEncode(static_cast<float>(d));
    expectEncode(static_cast<float>(-d));
  }
}

TEST_P(ConvertTest, SpecialsAndSaturation) {
  const auto& f = *n().format;
  const uint32_t signBit = 1u << (f.width - 1);
  const float inf = std::numeric_limits<float>::infinity();
  if (f.saturate) {
    const uint32_t maxBits = f.ieee ? ((((1u << (f.width - 1 - f.mbits)) - 1) << f.mbits) - 1)
                                    : signBit - 2;
    EXPECT_EQ(n().narrow(inf), maxBits);
    EXPECT_EQ(n().narrow(-inf), signBit | maxBits);
    EXPECT_EQ(n().narrow(1e30f), maxBits);
    EXPECT_EQ(ref::decode(f, maxBits), f.maxFinite);
  } else {
    const uint32_t infBits = ((1u << (f.width - 1 - f.mbits)) - 1) << f.mbits;
    EXPECT_EQ(n().narrow(inf), infBits);
    EXPECT_EQ(n().narrow(-inf), signBit | infBits);
  }
  EXPECT_EQ(n().narrow(std::nanf("")), f.nanBits);
  EXPECT_EQ(n().narrow(-std::nanf("")), f.nanBits);
  EXPECT_EQ(n().narrow(bitsToFloat(0x7F800001u)), f.nanBits);  // signalling NaN
  EXPECT_EQ(n().narrow(bitsToFloat(0xFFFFFFFFu)), f.nanBits);
  EXPECT_EQ(n().narrow(0.0f), 0u);
  EXPECT_EQ(n().narrow(-0.0f), signBit);
  // Float subnormals round to (signed) zero in every narrow format but bfloat16.
  expectEncode(bitsToFloat(0x00000001u));
  expectEncode(bitsToFloat(0x807FFFFFu));
  expectEncode(bitsToFloat(0x00400000u));
}

TEST_P(ConvertTest, RandomFloats) {
  std::mt19937_64 rng(1234 + GetParam());
  for (int i = 0; i < 200000; ++i) {
    expectEncode(bitsToFloat(static_cast<uint32_t>(rng())));  // any float at all
  }
  // Floats within the format's range, where rounding matters most.
  const double maxv = n().format->maxFinite;
  std::uniform_real_distribution<double> expDist(std::log2(maxv) - 40, std::log2(maxv) + 1);
  for (int i = 0; i < 200000; ++i) {
    const float f = static_cast<float>(std::exp2(expDist(rng)));
    expectEncode(f);
    expectEncode(-f);
  }
}

INSTANTIATE_TEST_SUITE_P(Host, ConvertTest, ::testing::Range(0, 4),
                         [](const ::testing::TestParamInfo<int>& p) {
                           return std::string(kNarrow[p.param].name);
                         });

#if defined(__FLT16_MAX__)
// GCC's own _Float16 conversions (libgcc, correctly rounded) agree with floatToHalf.
TEST(ConvertHalf, MatchesCompilerFloat16) {
  std::mt19937_64 rng(99);
  for (int i = 0; i < 500000; ++i) {
    const float f = bitsToFloat(static_cast<uint32_t>(rng()));
    if (std::isnan(f)) continue;
    const _Float16 h = static_cast<_Float16>(f);
    uint16_t bits;
    memcpy(&bits, &h, 2);
    ASSERT_EQ(cvt::floatToHalf(f), bits) << f;
  }
}
#endif

// doubleToBf16 rounds once from double (used for bfloat16 products).
TEST(ConvertBf16, FromDouble) {
  std::mt19937_64 rng(7);
  auto check = [](double d) {
    ASSERT_EQ(cvt::doubleToBf16(d), ref::encode(ref::kBf16, d)) << d;
  };
  for (int i = 0; i < 300000; ++i) check(cvt::bitsToDouble(rng()));
  std::uniform_real_distribution<double> expDist(-140, 130);
  for (int i = 0; i < 300000; ++i) {
    const double d = std::exp2(expDist(rng));
    check(d);
    check(-d);
  }
  // Every tie and its neighbours, including the subnormal range.
  for (uint32_t v = 0; v + 1 < 0x7F80; ++v) {
    const double mid = (ref::decode(ref::kBf16, v) + ref::decode(ref::kBf16, v + 1)) / 2;
    check(mid);
    check(std::nextafter(mid, 0.0));
    check(std::nextafter(mid, INFINITY));
    check(-mid);
  }
  check(INFINITY);
  check(-INFINITY);
  check(1e300);
  check(1e-300);
  check(-1e-300);
  EXPECT_EQ(cvt::doubleToBf16(std::nan("")), 0x7FFFu);
}

}  // namespace
}  // namespace hccl
