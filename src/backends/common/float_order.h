// Max and Min of binary floating-point values compared on their bit patterns, for every backend:
// a NaN is ignored (both NaN gives the canonical NaN), -0 < +0. kNaNAbove is the largest
// magnitude pattern that is not a NaN (infinity, or E4M3's 448): every pattern above it is one.
// Shared by the host kernels and the device kernels, so every vendor picks the same bits.
#pragma once

#include <type_traits>

#include "backends/common/float_convert.h"

namespace hccl {

template <class U, U kAbsMask, U kNaNAbove, U kCanonicalNaN>
struct FloatBitsMinMax {
  using S = std::make_signed_t<U>;
  // A signed integer whose order is the value order: negative values get their magnitude
  // bits flipped.
  static HCCL_CVT_FN S key(U x) {
    const S s = static_cast<S>(x);
    return static_cast<S>(s ^ ((s >> (sizeof(U) * 8 - 1)) & static_cast<S>(kAbsMask)));
  }
  template <bool kMax>
  static HCCL_CVT_FN U pick(U a, U b) {
    const bool aNaN = static_cast<U>(a & kAbsMask) > kNaNAbove;
    const bool bNaN = static_cast<U>(b & kAbsMask) > kNaNAbove;
    const S ka = key(a), kb = key(b);
    U r = (kMax ? ka >= kb : ka <= kb) ? a : b;
    r = bNaN ? a : r;
    r = aNaN ? b : r;
    r = (aNaN & bNaN) ? kCanonicalNaN : r;
    return r;
  }
};

}  // namespace hccl
