// The GPU kernels convert narrow floats with CUDA's instructions (src/backends/common/
// device_convert.h); the host backend and every other device with float_convert.h's software.
// Here the very functions the kernels run, compiled for the host (the CUDA headers emulate each
// instruction there bit for bit), are held to the software on every narrow value (widening) and,
// narrowing, on every value, every rounding midpoint and its neighbours, the overflow thresholds,
// the specials, and a sweep of all other float (or double) bit patterns.
#define HCCL_CUDA_CONVERT_ON_HOST 1

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "backends/common/device_convert.h"

namespace {

using namespace hccl;

uint32_t bitsOf(float f) { return cvt::floatBits(f); }
uint64_t bitsOf(double d) { return cvt::doubleBits(d); }

template <class Narrow>
struct Format {
  const char* name;
  unsigned codes;  // 256 or 65536
  float (*swWiden)(Narrow);
  float (*hwWiden)(Narrow);
  Narrow (*swNarrow)(float);
  Narrow (*hwNarrow)(float);
};

// Every value, both signs: the exact float, each midpoint to the next value up (and the
// threshold past the largest finite one), and their neighbouring bit patterns.
template <class Narrow>
std::vector<float> boundaries(const Format<Narrow>& f) {
  std::vector<float> out;
  const unsigned half = f.codes / 2;  // codes below this are positive
  for (unsigned c = 0; c + 1 < half; ++c) {
    const float v = f.swWiden(static_cast<Narrow>(c));
    float next = f.swWiden(static_cast<Narrow>(c + 1));
    if (!std::isfinite(v)) continue;
    if (!std::isfinite(next)) next = 2 * v - f.swWiden(static_cast<Narrow>(c - 1));  // one ulp past the largest
    const float mid = static_cast<float>((static_cast<double>(v) + static_cast<double>(next)) / 2);
    for (float x : {v, mid})
      for (int d = -2; d <= 2; ++d) {
        const float y = cvt::bitsToFloat(bitsOf(x) + static_cast<uint32_t>(d));
        out.push_back(y);
        out.push_back(-y);
      }
  }
  return out;
}

std::vector<float> specialsAndSweep() {
  std::vector<float> out;
  for (uint32_t u : {0x00000000u, 0x80000000u, 0x00000001u, 0x007FFFFFu, 0x00800000u, 0x7F7FFFFFu, 0x7F800000u,
                     0xFF800000u, 0x7F800001u, 0x7FC00000u, 0x7FFFFFFFu, 0xFFC00000u, 0xFFFFFFFFu})
    out.push_back(cvt::bitsToFloat(u));
  for (uint64_t u = 0; u < (uint64_t{1} << 32); u += 1021) out.push_back(cvt::bitsToFloat(static_cast<uint32_t>(u)));
  std::mt19937 gen(7);
  for (int i = 0; i < 1000000; ++i) out.push_back(cvt::bitsToFloat(gen()));
  return out;
}

template <class Narrow>
void checkFormat(const Format<Narrow>& f) {
  SCOPED_TRACE(f.name);
  for (unsigned c = 0; c < f.codes; ++c) {
    const float sw = f.swWiden(static_cast<Narrow>(c)), hw = f.hwWiden(static_cast<Narrow>(c));
    if (std::isnan(sw)) ASSERT_TRUE(std::isnan(hw)) << "widening code " << c;
    else ASSERT_EQ(bitsOf(sw), bitsOf(hw)) << "widening code " << c;
  }
  size_t checked = 0;
  for (const std::vector<float>& inputs : {boundaries(f), specialsAndSweep()})
    for (float x : inputs) {
      ASSERT_EQ(f.swNarrow(x), f.hwNarrow(x)) << "narrowing float bits 0x" << std::hex << bitsOf(x);
      ++checked;
    }
  EXPECT_GT(checked, size_t{2000000});
}

TEST(CudaConversions, HalfMatchesTheSoftwareBitForBit) {
  checkFormat<uint16_t>({"half", 65536, cvt::halfToFloat, cudacvt::halfToFloat, cvt::floatToHalf, cudacvt::floatToHalf});
}

TEST(CudaConversions, Bfloat16MatchesTheSoftwareBitForBit) {
  checkFormat<uint16_t>({"bfloat16", 65536, cvt::bf16ToFloat, cudacvt::bf16ToFloat, cvt::floatToBf16, cudacvt::floatToBf16});
}

TEST(CudaConversions, Fp8E4m3MatchesTheSoftwareBitForBit) {
  checkFormat<uint8_t>({"e4m3", 256, cvt::fp8e4m3ToFloat, cudacvt::fp8e4m3ToFloat, cvt::floatToFp8e4m3,
                        cudacvt::floatToFp8e4m3});
}

TEST(CudaConversions, Fp8E5m2MatchesTheSoftwareBitForBit) {
  checkFormat<uint8_t>({"e5m2", 256, cvt::fp8e5m2ToFloat, cudacvt::fp8e5m2ToFloat, cvt::floatToFp8e5m2,
                        cudacvt::floatToFp8e5m2});
}

// bfloat16 products are rounded once from double: every bfloat16 value and midpoint as a double,
// with neighbours at double and at float resolution, the specials, and random doubles.
TEST(CudaConversions, DoubleToBfloat16MatchesTheSoftwareBitForBit) {
  std::vector<double> inputs;
  for (unsigned c = 0; c < 0x7F80u; ++c) {  // every finite positive value
    const double v = cvt::bf16ToFloat(static_cast<uint16_t>(c));
    const double next = c + 1 < 0x7F80u ? cvt::bf16ToFloat(static_cast<uint16_t>(c + 1))
                                        : 2 * v - cvt::bf16ToFloat(static_cast<uint16_t>(c - 1));
    const double mid = (v + next) / 2;
    for (double x : {v, mid, next})
      for (int64_t d : {int64_t{-(1 << 29)}, int64_t{-1}, int64_t{0}, int64_t{1}, int64_t{1 << 29}}) {
        const double y = cvt::bitsToDouble(bitsOf(x) + static_cast<uint64_t>(d));
        inputs.push_back(y);
        inputs.push_back(-y);
      }
  }
  for (uint64_t u : {0x0ull, 0x8000000000000000ull, 0x1ull, 0x7FF0000000000000ull, 0xFFF0000000000000ull,
                     0x7FF8000000000000ull, 0x7FF0000000000001ull, 0xFFFFFFFFFFFFFFFFull, 0x7FEFFFFFFFFFFFFFull})
    inputs.push_back(cvt::bitsToDouble(u));
  std::mt19937_64 gen(11);
  for (int i = 0; i < 2000000; ++i) inputs.push_back(cvt::bitsToDouble(gen()));
  for (double x : inputs)
    ASSERT_EQ(cvt::doubleToBf16(x), cudacvt::doubleToBf16(x)) << "double bits 0x" << std::hex << bitsOf(x);
}

}  // namespace
