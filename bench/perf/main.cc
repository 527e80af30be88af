// hccl-perf: nccl-tests-style bandwidth and correctness benchmark for hccl's CPU ranks.
//   hccl-perf all_reduce -b 8 -e 16M -f 4 -np 4 -c 1
#include <cstdio>

#include "args.h"
#include "launcher.h"
#include "report.h"

int main(int argc, char** argv) {
  setlinebuf(stdout);
  hccl::perf::Options opts = hccl::perf::parseArgs(argc, argv);
  return hccl::perf::launch(opts, [&](hccl::perf::RankContext& ctx) {
    return hccl::perf::runRank(opts, ctx);
  });
}
