#include "base/fp8_encoding.h"

#include <strings.h>

#include <array>
#include <cmath>


namespace hccl {
namespace {

// One 8-bit format: sign, `exponentBits`, `mantissaBits`, and how its special codes read.
struct Format {
  int exponentBits;
  int mantissaBits;
  int bias;
  bool fnuz;      // NaN is 0x80 alone; no infinities, no -0
  bool ieeeTop;   // the top exponent holds infinities and NaNs (OCP E5M2)

  bool isNaN(uint8_t code) const {
    if (fnuz) return code == 0x80;
    uint8_t magnitude = code & 0x7F;
    int exponent = magnitude >> mantissaBits;
    int mantissa = magnitude & ((1 << mantissaBits) - 1);
    int top = (1 << exponentBits) - 1;
    if (ieeeTop) return exponent == top && mantissa != 0;
    return exponent == top && mantissa == (1 << mantissaBits) - 1;  // OCP E4M3: S.1111.111
  }
  bool isInfinity(uint8_t code) const {
    return ieeeTop && (code & 0x7F) == ((1 << exponentBits) - 1) << mantissaBits;
  }
  // The value of a code that is neither NaN nor infinite, exactly.
  double value(uint8_t code) const {
    int exponent = (code & 0x7F) >> mantissaBits;
    int mantissa = code & ((1 << mantissaBits) - 1);
    double scale = std::ldexp(1.0, -mantissaBits);
    double magnitude = exponent == 0 ? std::ldexp(mantissa * scale, 1 - bias)
                                     : std::ldexp(1.0 + mantissa * scale, exponent - bias);
    return (code & 0x80) ? -magnitude : magnitude;
  }
  uint8_t nan() const { return fnuz ? 0x80 : 0x7F; }
};

constexpr Format kOcpE4m3{4, 3, 7, false, false};
constexpr Format kFnuzE4m3{4, 3, 8, true, false};
constexpr Format kOcpE5m2{5, 2, 15, false, true};
constexpr Format kFnuzE5m2{5, 2, 16, true, false};

// The target code nearest to `value` (finite), ties to the code with an even mantissa.
uint8_t nearestCode(const Format& to, double value) {
  uint8_t sign = std::signbit(value) ? 0x80 : 0x00;
  double magnitude = std::fabs(value);
  uint8_t best = 0;
  double bestError = INFINITY;
  uint8_t largest = 0;
  for (int code = 0; code < 0x80; ++code) {
    if (to.isNaN(static_cast<uint8_t>(code)) || to.isInfinity(static_cast<uint8_t>(code))) continue;
    largest = static_cast<uint8_t>(code);  // codes grow with their values
    double error = std::fabs(to.value(static_cast<uint8_t>(code)) - magnitude);
    if (error < bestError || (error == bestError && (code & 1) == 0)) {
      best = static_cast<uint8_t>(code);
      bestError = error;
    }
  }
  if (magnitude > to.value(largest)) best = largest;  // saturate
  if (best == 0) return to.fnuz ? 0x00 : sign;         // FNUZ has no -0
  return sign | best;
}

std::array<uint8_t, 256> buildTable(const Format& from, const Format& to) {
  std::array<uint8_t, 256> table{};
  for (int code = 0; code < 256; ++code) {
    uint8_t c = static_cast<uint8_t>(code);
    if (from.isNaN(c)) table[code] = to.nan();
    else if (from.isInfinity(c)) table[code] = nearestCode(to, (c & 0x80) ? -INFINITY : INFINITY);
    else table[code] = nearestCode(to, from.value(c));
  }
  return table;
}

struct Tables {
  std::array<uint8_t, 256> e4m3ToFnuz = buildTable(kOcpE4m3, kFnuzE4m3);
  std::array<uint8_t, 256> e4m3FromFnuz = buildTable(kFnuzE4m3, kOcpE4m3);
  std::array<uint8_t, 256> e5m2ToFnuz = buildTable(kOcpE5m2, kFnuzE5m2);
  std::array<uint8_t, 256> e5m2FromFnuz = buildTable(kFnuzE5m2, kOcpE5m2);
  std::array<uint8_t, 256> identity{};
  Tables() {
    for (int i = 0; i < 256; ++i) identity[i] = static_cast<uint8_t>(i);
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

bool parseFp8Encoding(const std::string& text, Fp8Encoding* out) {
  *out = strcasecmp(text.c_str(), "fnuz") == 0 ? Fp8Encoding::Fnuz : Fp8Encoding::Ocp;
  return text.empty() || strcasecmp(text.c_str(), "fnuz") == 0 || strcasecmp(text.c_str(), "ocp") == 0;
}

const char* fp8EncodingName(Fp8Encoding encoding) { return encoding == Fp8Encoding::Fnuz ? "fnuz" : "ocp"; }

const uint8_t* fp8ConversionTable(DataType type, Fp8Encoding from, Fp8Encoding to) {
  const Tables& t = tables();
  if (from == to) return t.identity.data();
  bool e4m3 = type == DataType::Float8e4m3;
  if (to == Fp8Encoding::Fnuz) return e4m3 ? t.e4m3ToFnuz.data() : t.e5m2ToFnuz.data();
  return e4m3 ? t.e4m3FromFnuz.data() : t.e5m2FromFnuz.data();
}

void convertFp8(uint8_t* dst, const uint8_t* src, size_t count, const uint8_t* table) {
  for (size_t i = 0; i < count; ++i) dst[i] = table[src[i]];
}

}  // namespace hccl
