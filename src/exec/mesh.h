// Exchanges among a communicator's ranks outside the NCCL calls (the cluster graph at init, a
// split's colors and ids, the device paths' agreements and barriers): every rank's record to
// every other, in one phase, run by the executor on the calling thread. The caller must own the
// communicator's messengers meanwhile (hold busy(), or be the only thread using it) and pass a
// tag every rank passes alike.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/status.h"

namespace hccl {

class CommContext;

// all[r * bytes, (r + 1) * bytes) = rank r's `mine`, on every rank.
Status allGatherOnMesh(CommContext& comm, uint64_t tag, const void* mine, size_t bytes, void* all);

}  // namespace hccl
