#include "core/split.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "base/error.h"
#include "core/group.h"
#include "exec/mesh.h"

namespace hccl {
namespace {

// An AllGather of `bytes` per rank on the parent, run now on this thread (a GPU rank's queue would
// run it after the caller had read the result), once the calls made before the split have run:
// a peer may be in one of them, waiting for ours.
Status allGather(Communicator* comm, const void* mine, void* all, size_t bytes) {
  comm->joinInit();
  comm->drainGpuQueue();
  std::lock_guard<std::mutex> lock(comm->busy());
  if (failed(comm->state()))
    return reject(comm->state(), "rank %d: the parent communicator is in an error state (%s); abort it",
                  comm->rank(), statusName(comm->state()));
  return allGatherOnMesh(*comm, comm->nextCollectiveTag(), mine, bytes, all);
}

struct Member {
  int color;
  int key;
};

}  // namespace

Status splitCommunicator(Communicator* parent, int color, int key, const Config& config,
                         Communicator** out) {
  *out = nullptr;
  const int n = parent->nranks();
  std::vector<Member> members(n);
  Member mine{color, key};
  HCCL_TRY(allGather(parent, &mine, members.data(), sizeof(Member)));

  // The lowest parent rank of each color makes the new communicator's id; everyone shares it.
  bool leader = false;
  if (color != kSplitNoColor) {
    leader = true;
    for (int r = 0; r < parent->rank(); ++r)
      if (members[r].color == color) leader = false;
  }
  uint8_t myId[kUniqueIdBytes] = {};
  if (leader) HCCL_TRY(createUniqueId(myId, config.sockets, config.timeoutSeconds));
  std::vector<uint8_t> ids(static_cast<size_t>(n) * kUniqueIdBytes);
  HCCL_TRY(allGather(parent, myId, ids.data(), kUniqueIdBytes));
  if (color == kSplitNoColor) return Status::Success;

  std::vector<int> group;  // parent ranks of our color, in new-rank order
  for (int r = 0; r < n; ++r)
    if (members[r].color == color) group.push_back(r);
  std::stable_sort(group.begin(), group.end(), [&](int a, int b) { return members[a].key < members[b].key; });
  int newRank = static_cast<int>(std::find(group.begin(), group.end(), parent->rank()) - group.begin());
  int leaderRank = *std::min_element(group.begin(), group.end());
  UniqueIdContent id;
  HCCL_TRY(parseUniqueId(&ids[static_cast<size_t>(leaderRank) * kUniqueIdBytes], &id));

  // On the parent's device: a split that a group runs on a thread of its own would otherwise take
  // that thread's current device.
  auto comm = std::make_unique<Communicator>(config, newRank, static_cast<int>(group.size()), parent->backend());
  Status s = submitInit(comm.get(), id);
  if (failed(s)) return s;
  *out = comm.release();
  return s;
}

}  // namespace hccl
