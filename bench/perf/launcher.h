// How hccl-perf's ranks come to exist and share the unique id. Three ways, one code path after:
//   1. HCCL_RANK, HCCL_NRANKS and HCCL_ID_FILE set: this process is one rank; rank 0 writes the id
//      to HCCL_ID_FILE (temp file + rename), the others poll for it.
//   2. Started by mpirun (OMPI_COMM_WORLD_*, PMI_*, MV2_COMM_WORLD_* set): with MPI built in, rank 0
//      gets the id and MPI_Bcast shares it; without MPI, HCCL_ID_FILE must name a shared file.
//   3. Otherwise the built-in launcher: the parent forks -np ranks (default 1); rank 0 calls
//      ncclGetUniqueId (it starts a server thread, so never before the fork) and writes the id
//      into one pipe per other rank.
#pragma once

#include <functional>
#include <string>

#include "args.h"
#include "nccl.h"

namespace hccl::perf {

struct RankContext {
  int rank = 0;
  int nranks = 1;
  ncclUniqueId id{};
  std::string launcher;             // for the header, e.g. "built-in (-np 4)"
  std::function<void()> commReady;  // call once ncclCommInitRank returned on this rank
};

// Runs `body` once per rank this process owns and returns the process's exit status.
int launch(const Options& opts, const std::function<int(RankContext&)>& body);

}  // namespace hccl::perf
