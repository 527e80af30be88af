// Deterministic inputs and exact expected outputs for -c 1.
//
// Collectives that only move data get hashed bytes (every element distinct per rank and index) and
// are compared byte for byte. Reductions get small integers chosen per type so that every partial
// result, in any order, is exactly representable: sums stay under the type's largest exactly
// representable integer (16 for f8e4m3, 8 for f8e5m2, 256 for bfloat16, 2048 for half), products
// are powers of two within range, max/min take any representable integers. Avg's inputs sum to
// n * w, so sum-then-divide is exact; a floating-point avg is allowed one ulp when n is not a power
// of two (or the partial sums do not fit the type), since scaling each input by 1/n first rounds.
// Everything else, and every integer result, must match exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "collectives.h"
#include "nccl.h"

namespace hccl::perf {

size_t typeSize(ncclDataType_t type);

// Writes `count` input elements for `rank` into buf; element i is the rank's send-buffer index i.
void fillInput(void* buf, size_t count, ncclDataType_t type, ncclRedOp_t op, bool reduction,
               int rank, int nranks, uint64_t seed);

// Fills buf with a recognisable pattern (before a check, so stale results cannot pass).
void fillPoison(void* buf, size_t bytes);

struct CheckResult {
  size_t wrong = 0;
  std::string firstWrong;  // a description of up to three wrong elements, for stderr
};

// Compares this rank's output (c.recv elements at buf) with what `coll` must produce.
CheckResult checkOutput(const void* buf, const Collective& coll, const Counts& c,
                        ncclDataType_t type, ncclRedOp_t op, int rank, int nranks, int root,
                        uint64_t seed);

}  // namespace hccl::perf
