// A GPU rank's calls go onto its stream as steps. A step may first wait (for the host's part of a
// staged round, or for the peers at a barrier), then enqueues work and signals. Every wait of
// step k depends only on signals that other ranks' steps before k give.
//
// Why steps: with one hardware queue for every stream of a device (CUDA_DEVICE_MAX_CONNECTIONS=1),
// a wait holds everything submitted after it, whatever its stream. Ranks of one process driven by
// one thread therefore emit their steps interleaved, step k of every rank before step k + 1 of
// any (emitInterleaved): each wait then comes after every signal it needs.
#pragma once

#include <functional>
#include <vector>

#include "base/status.h"

namespace hccl {

using StreamStep = std::function<Status()>;
using StreamSteps = std::vector<StreamStep>;

// Emits step k of each list, then step k + 1 of each, until all are emitted. On a failure it
// stops emitting that list (its rank's communicator is broken) and goes on with the others.
// Returns each list's outcome.
std::vector<Status> emitInterleaved(const std::vector<StreamSteps*>& lists);

}  // namespace hccl
