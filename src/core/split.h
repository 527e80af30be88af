// ncclCommSplit: ranks of a parent communicator that pass the same color form a new one,
// ordered by key (then by parent rank).
#pragma once

#include "core/comm.h"

namespace hccl {

constexpr int kSplitNoColor = -1;

// Collective over `parent`. *out is null for ranks that passed kSplitNoColor.
Status splitCommunicator(Communicator* parent, int color, int key, const Config& config,
                         Communicator** out);

}  // namespace hccl
