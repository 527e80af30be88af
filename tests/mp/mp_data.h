// mp_data.h: deterministic per-rank inputs and float64/integer references for every NCCL
// datatype and reduction.
//
// Inputs are chosen so that most references are exact:
//  - integers: Sum, Prod, Max, Min and copies use random full-width bit patterns (so sums and
//    products wrap around, and the reference wraps the same way, modulo 2^bits); Avg and
//    PreMulSum use small values.
//  - floating types: Sum/Avg/PreMulSum use small integers (scaled by a power of two for
//    float/double) so that every partial sum over up to 8 ranks is representable, whatever the
//    order of reduction; Prod uses {0, +-0.5, +-1, +-2}; Max/Min use random finite bit patterns;
//    copies use random bit patterns (NaNs included) and are compared bit by bit.
//  Avg and PreMulSum on floating types are compared with a tolerance that fits the type (NCCL
//  scales each input before summing, which rounds); everything else must match exactly.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "nccl.h"

namespace mp {

// SumRounding is ncclSum over random real inputs (floating types), where the order of
// reduction changes the rounding: compared with a tolerance; all ranks must still agree bitwise.
enum class Op { Sum, Prod, Max, Min, Avg, PreMulSum, Copy, SumRounding };
inline constexpr std::array<Op, 6> kReduceOps = {Op::Sum, Op::Prod, Op::Max,
                                                 Op::Min, Op::Avg, Op::PreMulSum};
const char* opName(Op op);
ncclRedOp_t builtinOp(Op op); // Sum..Avg

struct TypeInfo {
  ncclDataType_t type;
  const char* name;
  size_t size;
  bool isFloat;
  bool isSigned;
  int expBits, manBits, bias; // floating types
  bool finiteOnly;            // fp8 e4m3 (fn): no infinities, 0x7f/0xff is NaN
};
inline constexpr std::array<ncclDataType_t, 12> kAllTypes = {
    ncclInt8,    ncclUint8,   ncclInt32,    ncclUint32,     ncclInt64,      ncclUint64,
    ncclFloat16, ncclFloat32, ncclFloat64,  ncclBfloat16,   ncclFloat8e4m3, ncclFloat8e5m2};
const TypeInfo& typeInfo(ncclDataType_t type);

uint64_t loadBits(const void* p, size_t size);
void storeBits(void* p, size_t size, uint64_t bits);
inline uint64_t loadElem(const void* base, size_t size, size_t i) {
  return loadBits(static_cast<const char*>(base) + i * size, size);
}
inline void storeElem(void* base, size_t size, size_t i, uint64_t bits) {
  storeBits(static_cast<char*>(base) + i * size, size, bits);
}

// Floating types: decode / encode with round-to-nearest-even. Integer types: the value
// (sign-extended where signed) / the low bits of (int64)v.
double toDouble(ncclDataType_t type, uint64_t bits);
uint64_t fromDouble(ncclDataType_t type, double v);

uint64_t mix64(uint64_t x);
uint64_t hashBytes(const void* p, size_t n, uint64_t h = 0xcbf29ce484222325ull);

// The input element `index` of `rank` for a test with this seed.
uint64_t genBits(ncclDataType_t type, Op op, uint64_t seed, int rank, size_t index);
// buf[i] = genBits(type, op, seed, rank, index0 + i) for i < count.
void fill(void* buf, ncclDataType_t type, Op op, uint64_t seed, int rank, size_t count,
          size_t index0 = 0);

// The PreMulSum scalar the tests use, as bits of `type` (3 for integers, 1.5 for floats).
uint64_t preMulScalarBits(ncclDataType_t type);

struct Expected {
  bool exactBits; // compare bit patterns (integers, copies)
  uint64_t bits;
  double value;   // floating reductions: the float64 reference
  double tol;     // and the allowed absolute difference
};
// The reduction of inputs[0..nranks) (bit patterns of `type`) with op.
Expected reduceExpected(ncclDataType_t type, Op op, int nranks, const uint64_t* inputs);
inline Expected copyExpected(uint64_t bits) { return Expected{true, bits, 0, 0}; }
bool matches(ncclDataType_t type, const Expected& e, uint64_t got);
std::string describe(ncclDataType_t type, uint64_t bits);
std::string describe(ncclDataType_t type, const Expected& e);

// An aligned heap buffer with guard bytes around the region a test hands to hccl; the guards
// detect writes outside it.
class GuardedBuffer {
 public:
  static constexpr size_t kGuard = 64;
  static constexpr uint8_t kPattern = 0xA5;
  // bytes of payload starting `offset` bytes after a 64-byte boundary.
  GuardedBuffer(size_t bytes, size_t offset);
  ~GuardedBuffer();
  GuardedBuffer(const GuardedBuffer&) = delete;
  GuardedBuffer& operator=(const GuardedBuffer&) = delete;
  char* data() { return data_; }
  size_t bytes() const { return bytes_; }
  // Fill the payload with the guard pattern too (to see untouched output).
  void poison();
  // Are the guards around [data, data+bytes) intact?
  bool guardsIntact(std::string* why) const;

 private:
  char* raw_ = nullptr;
  char* data_ = nullptr;
  size_t bytes_ = 0;
  size_t total_ = 0;
};

} // namespace mp
