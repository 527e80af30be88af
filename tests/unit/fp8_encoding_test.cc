// Exhaustive checks of the OCP <-> FNUZ fp8 conversions: every one of the 256 codes, each way,
// for E4M3 and E5M2, against decoders written here from the formats' definitions.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "backends/common/float_convert.h"
#include "base/fp8_encoding.h"

namespace hccl {
namespace {

struct Spec {
  int mantissaBits;
  int bias;
  bool fnuz;
};
constexpr Spec kOcpE4m3{3, 7, false}, kFnuzE4m3{3, 8, true}, kOcpE5m2{2, 15, false}, kFnuzE5m2{2, 16, true};

enum class Kind { Finite, Infinite, NaN };

// Classifies and decodes one code.
Kind decode(const Spec& s, uint8_t code, double* value) {
  const bool negative = code & 0x80;
  const int magnitude = code & 0x7F;
  const int exponent = magnitude >> s.mantissaBits;
  const int mantissa = magnitude & ((1 << s.mantissaBits) - 1);
  const int topExponent = (1 << (7 - s.mantissaBits)) - 1;
  if (s.fnuz && code == 0x80) return Kind::NaN;
  if (!s.fnuz && s.mantissaBits == 3 && magnitude == 0x7F) return Kind::NaN;
  if (!s.fnuz && s.mantissaBits == 2 && exponent == topExponent) {
    if (mantissa != 0) return Kind::NaN;
    *value = negative ? -INFINITY : INFINITY;
    return Kind::Infinite;
  }
  double m = exponent == 0 ? mantissa / double(1 << s.mantissaBits)
                           : 1.0 + mantissa / double(1 << s.mantissaBits);
  double v = m * std::pow(2.0, (exponent == 0 ? 1 : exponent) - s.bias);
  *value = negative ? -v : v;
  return Kind::Finite;
}

double largestFinite(const Spec& s) {
  double best = 0, v;
  for (int c = 0; c < 0x80; ++c)
    if (decode(s, static_cast<uint8_t>(c), &v) == Kind::Finite) best = std::max(best, v);
  return best;
}

// Checks the table mapping `from` to `to` for all 256 codes.
void checkTable(DataType type, Fp8Encoding fromEncoding, const Spec& from, const Spec& to) {
  const Fp8Encoding toEncoding = fromEncoding == Fp8Encoding::Ocp ? Fp8Encoding::Fnuz : Fp8Encoding::Ocp;
  const uint8_t* table = fp8ConversionTable(type, fromEncoding, toEncoding);
  const double toMax = largestFinite(to);
  for (int code = 0; code < 256; ++code) {
    SCOPED_TRACE(testing::Message() << "code 0x" << std::hex << code);
    double in = 0, out = 0;
    Kind inKind = decode(from, static_cast<uint8_t>(code), &in);
    Kind outKind = decode(to, table[code], &out);
    if (inKind == Kind::NaN) {
      EXPECT_EQ(outKind, Kind::NaN);
      continue;
    }
    ASSERT_EQ(outKind, Kind::Finite) << "conversions saturate: no infinities come out";
    if (std::fabs(in) >= toMax) {
      EXPECT_EQ(out, std::copysign(toMax, in)) << "saturates to the largest finite value";
      continue;
    }
    // No other finite code of the target is nearer; on a tie the chosen code is even.
    double error = std::fabs(out - in);
    for (int other = 0; other < 256; ++other) {
      double v = 0;
      if (decode(to, static_cast<uint8_t>(other), &v) != Kind::Finite) continue;
      double e = std::fabs(v - in);
      EXPECT_LE(error, e) << "0x" << std::hex << other << " is nearer";
      if (e == error && v != out) EXPECT_EQ(table[code] & 1, 0) << "a tie goes to the even code";
    }
    if (out == 0) {
      // FNUZ has one zero; OCP keeps the sign of what rounded to zero.
      EXPECT_EQ(table[code], to.fnuz ? 0x00 : (in < 0 || std::signbit(in) ? 0x80 : 0x00));
    } else {
      EXPECT_EQ(std::signbit(out), std::signbit(in));
    }
  }
}

TEST(Fp8Encoding, OcpE4m3ToFnuzAll256) { checkTable(DataType::Float8e4m3, Fp8Encoding::Ocp, kOcpE4m3, kFnuzE4m3); }
TEST(Fp8Encoding, FnuzE4m3ToOcpAll256) { checkTable(DataType::Float8e4m3, Fp8Encoding::Fnuz, kFnuzE4m3, kOcpE4m3); }
TEST(Fp8Encoding, OcpE5m2ToFnuzAll256) { checkTable(DataType::Float8e5m2, Fp8Encoding::Ocp, kOcpE5m2, kFnuzE5m2); }
TEST(Fp8Encoding, FnuzE5m2ToOcpAll256) { checkTable(DataType::Float8e5m2, Fp8Encoding::Fnuz, kFnuzE5m2, kOcpE5m2); }

TEST(Fp8Encoding, KnownValues) {
  const uint8_t* e4ToFnuz = fp8ConversionTable(DataType::Float8e4m3, Fp8Encoding::Ocp, Fp8Encoding::Fnuz);
  const uint8_t* e4ToOcp = fp8ConversionTable(DataType::Float8e4m3, Fp8Encoding::Fnuz, Fp8Encoding::Ocp);
  const uint8_t* e5ToFnuz = fp8ConversionTable(DataType::Float8e5m2, Fp8Encoding::Ocp, Fp8Encoding::Fnuz);
  const uint8_t* e5ToOcp = fp8ConversionTable(DataType::Float8e5m2, Fp8Encoding::Fnuz, Fp8Encoding::Ocp);
  EXPECT_EQ(e4ToFnuz[0x38], 0x40);  // 1.0: exponent field one higher in FNUZ
  EXPECT_EQ(e4ToOcp[0x40], 0x38);
  EXPECT_EQ(e4ToFnuz[0x7E], 0x7F);  // 448 saturates to FNUZ's 240
  EXPECT_EQ(e4ToOcp[0x7F], 0x77);   // 240 is 1.875 * 2^7 in OCP
  EXPECT_EQ(e4ToFnuz[0x7F], 0x80);  // NaN
  EXPECT_EQ(e4ToOcp[0x80], 0x7F);
  EXPECT_EQ(e4ToFnuz[0x80], 0x00);  // -0 has no FNUZ code
  EXPECT_EQ(e4ToOcp[0x01], 0x00);   // 2^-10 ties between 0 and 2^-9: the even code, 0
  EXPECT_EQ(e4ToOcp[0x81], 0x80);
  EXPECT_EQ(e5ToFnuz[0x7C], 0x7F);  // +inf saturates to 57344
  EXPECT_EQ(e5ToFnuz[0xFC], 0xFF);
  EXPECT_EQ(e5ToFnuz[0x7E], 0x80);  // NaN
  EXPECT_EQ(e5ToOcp[0x7F], 0x7B);   // 57344 both
  EXPECT_EQ(e5ToFnuz[0x3C], 0x40);  // 1.0
}

TEST(Fp8Encoding, RoundTripKeepsEveryRepresentableValue) {
  for (DataType type : {DataType::Float8e4m3, DataType::Float8e5m2}) {
    const uint8_t* toOcp = fp8ConversionTable(type, Fp8Encoding::Fnuz, Fp8Encoding::Ocp);
    const uint8_t* toFnuz = fp8ConversionTable(type, Fp8Encoding::Ocp, Fp8Encoding::Fnuz);
    const Spec& fnuz = type == DataType::Float8e4m3 ? kFnuzE4m3 : kFnuzE5m2;
    const Spec& ocp = type == DataType::Float8e4m3 ? kOcpE4m3 : kOcpE5m2;
    for (int code = 0; code < 256; ++code) {
      double v = 0, w = 0;
      if (decode(fnuz, static_cast<uint8_t>(code), &v) != Kind::Finite) continue;
      decode(ocp, toOcp[code], &w);
      if (v == w) EXPECT_EQ(toFnuz[toOcp[code]], code) << "code 0x" << std::hex << code;
    }
  }
}

// The OCP decoder above and the one the kernels use agree: the wire format is one format.
TEST(Fp8Encoding, OcpDecoderMatchesKernelConversions) {
  for (int code = 0; code < 256; ++code) {
    double v = 0;
    if (decode(kOcpE4m3, static_cast<uint8_t>(code), &v) == Kind::Finite)
      EXPECT_EQ(v, cvt::fp8e4m3ToFloat(static_cast<uint8_t>(code)));
    if (decode(kOcpE5m2, static_cast<uint8_t>(code), &v) != Kind::NaN)
      EXPECT_EQ(v, cvt::fp8e5m2ToFloat(static_cast<uint8_t>(code)));
  }
}

TEST(Fp8Encoding, ConvertsBuffersInPlace) {
  const uint8_t* toOcp = fp8ConversionTable(DataType::Float8e4m3, Fp8Encoding::Fnuz, Fp8Encoding::Ocp);
  std::vector<uint8_t> buffer = {0x40, 0x7F, 0x80, 0xC0};
  convertFp8(buffer.data(), buffer.data(), buffer.size(), toOcp);
  EXPECT_EQ(buffer, (std::vector<uint8_t>{0x38, 0x77, 0x7F, 0xB8}));
  EXPECT_EQ(fp8ConversionTable(DataType::Float8e5m2, Fp8Encoding::Ocp, Fp8Encoding::Ocp)[0x7C], 0x7C);
}

}  // namespace
}  // namespace hccl
