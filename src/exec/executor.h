// The executor runs Plans. One call drives any number of operations, on any number of
// communicators, to completion from the calling thread: each operation advances phase by phase,
// every busy link moves what it can, and nothing blocks on one operation while another could move.
// Idle waits back off from spinning to yielding to polling, so oversubscribed ranks share cores.
#pragma once

#include <span>

#include "exec/operation.h"

namespace hccl {

// Runs until every operation is done or failed. A failure breaks only its own communicator
// (its links close so its peers fail fast); the first failure is returned.
Status runOperations(std::span<Operation* const> ops);

// Whether o's fp8 data is FNUZ on this rank, so the executor converts its input to OCP on the way
// in and its output back on the way out (base/fp8_encoding.h).
bool convertsFp8(const Operation& o);

}  // namespace hccl
