// In-place send and receive in one group (as nccl-tests' in-place sendrecv runs): a send whose
// input a receive of the same group overwrites must send the bytes as they were before the
// group. The host path copies such a send's input aside; a GPU rank keeps it staged instead of
// moving it by DMA. Both ask here.
#pragma once

#include <span>
#include <vector>

#include "exec/operation.h"

namespace hccl {

// For each of `ops`: whether it is a send (not to self, not empty) whose input overlaps the
// output of some receive among `ops`. Empty (no allocation: single calls pass here) when no op is.
std::vector<bool> overwrittenSends(std::span<Operation* const> ops);

}  // namespace hccl
