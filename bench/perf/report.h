// One rank's benchmark: create the communicator, time and check every size, print nccl-tests'
// table on rank 0. Ranks' times and wrong-element counts are combined with ncclAllReduce of a
// double on the communicator itself, so every launcher shares this code.
#pragma once

#include "args.h"
#include "launcher.h"

namespace hccl::perf {

// Returns the rank's exit status (kExitOk, kExitFailed).
int runRank(const Options& opts, RankContext& ctx);

}  // namespace hccl::perf
