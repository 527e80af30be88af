// The host side of NCCL's team API: which ranks form the world, the load/store-accessible
// (same host) group, and the rail across groups. Computed from the bootstrap's peer table.
#include "api/export.h"
#include "api/guard.h"

using namespace hccl;

namespace {

// The run of consecutive ranks on this rank's host, when the hosts' ranks are contiguous.
ncclTeam_t lsaTeam(Communicator* c) {
  const std::vector<RankInfo>& ranks = c->ranks();
  if (ranks.empty()) return {1, 0, 1};
  const uint64_t host = ranks[c->rank()].hostHash;
  int first = c->rank(), last = c->rank();
  while (first > 0 && ranks[first - 1].hostHash == host) --first;
  while (last + 1 < c->nranks() && ranks[last + 1].hostHash == host) ++last;
  for (int r = 0; r < c->nranks(); ++r)
    if (ranks[r].hostHash == host && (r < first || r > last)) return {1, 0, 1};
  return {last - first + 1, c->rank() - first, 1};
}

}  // namespace

NCCL_API ncclTeam_t ncclTeamWorld(ncclComm_t comm) {
  Status why;
  Communicator* c = asComm(comm, &why);
  if (c == nullptr) return {0, 0, 1};
  return {c->nranks(), c->rank(), 1};
}
NCCL_PROFILING_ALIAS(ncclTeamWorld);

NCCL_API ncclTeam_t ncclTeamLsa(ncclComm_t comm) {
  Status why;
  Communicator* c = asComm(comm, &why);
  if (c == nullptr) return {0, 0, 1};
  return lsaTeam(c);
}
NCCL_PROFILING_ALIAS(ncclTeamLsa);

NCCL_API ncclTeam_t ncclTeamRail(ncclComm_t comm) {
  Status why;
  Communicator* c = asComm(comm, &why);
  if (c == nullptr) return {0, 0, 1};
  ncclTeam_t lsa = lsaTeam(c);
  return {c->nranks() / lsa.nRanks, c->rank() / lsa.nRanks, lsa.nRanks};
}
NCCL_PROFILING_ALIAS(ncclTeamRail);

NCCL_API int ncclTeamRankToWorld(ncclComm_t comm, ncclTeam_t team, int rank) {
  Status why;
  Communicator* c = asComm(comm, &why);
  if (c == nullptr) return -1;
  return c->rank() + (rank - team.rank) * team.stride;
}
NCCL_PROFILING_ALIAS(ncclTeamRankToWorld);

NCCL_API int ncclTeamRankToLsa(ncclComm_t comm, ncclTeam_t team, int rank) {
  Status why;
  Communicator* c = asComm(comm, &why);
  if (c == nullptr) return -1;
  ncclTeam_t lsa = lsaTeam(c);
  int world = c->rank() + (rank - team.rank) * team.stride;
  return world - (c->rank() - lsa.rank);
}
NCCL_PROFILING_ALIAS(ncclTeamRankToLsa);
