// fp8 has two encodings in the field: OCP's (NVIDIA; AMD from gfx950 on) and FNUZ (AMD's MI300
// generation: no infinities, no negative zero, one NaN at 0x80, exponent bias one larger).
// hccl's wire and reductions use OCP. A rank whose framework hands it FNUZ data declares so
// (HCCL_FP8_FORMAT=fnuz) and converts its input on the way in and its output on the way out, so
// a communicator mixing both still computes one answer.
//
// A conversion is the value-nearest code of the target format: round to nearest, ties to the
// even code; finite values beyond the target's range and infinities saturate to its largest
// finite value (as hccl's float -> fp8 conversions do); NaN maps to the target's NaN; FNUZ has
// no -0, so anything that rounds to zero becomes +0 there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/datatype.h"

namespace hccl {

enum class Fp8Encoding : uint8_t { Ocp, Fnuz };

// "ocp" or "fnuz" (any case; empty reads as ocp). False, with *out = Ocp, for anything else.
bool parseFp8Encoding(const std::string& text, Fp8Encoding* out);
const char* fp8EncodingName(Fp8Encoding encoding);

// The byte-to-byte map from one encoding of `type` (Float8e4m3 or Float8e5m2) to the other.
const uint8_t* fp8ConversionTable(DataType type, Fp8Encoding from, Fp8Encoding to);

// dst[i] = table[src[i]]; dst may equal src.
void convertFp8(uint8_t* dst, const uint8_t* src, size_t count, const uint8_t* table);

}  // namespace hccl
