// Planners turn one collective on one rank into a Plan. They see only CollArgs and make no
// transport calls, so every schedule can be checked on memory alone.
#pragma once

#include <cstddef>
#include <string>

#include "algorithms/layout.h"
#include "algorithms/plan.h"

namespace hccl {

enum class CollKind : uint8_t {
  AllReduce,
  AllGather,
  ReduceScatter,
  Broadcast,
  Reduce,
  AllToAll,
  Gather,
  Scatter,
  Send,
  Recv,
};

const char* collKindName(CollKind kind);
constexpr bool isPointToPoint(CollKind kind) { return kind == CollKind::Send || kind == CollKind::Recv; }

// Which schedule a collective uses; Auto lets planCollective choose by message size (or the cost
// model choose, when the communicator has a Topology).
enum class Algorithm : uint8_t {
  Auto,
  Ring,               // one or more rings (channels), nodes visited contiguously
  RecursiveDoubling,  // small AllReduce
  Tree,               // double binary tree, pipelined
  HalvingDoubling,    // Rabenseifner: reduce-scatter by halving, all-gather by doubling
  Hierarchical,       // within nodes, a ring per rail across nodes, within nodes again
  Weighted,           // like Hierarchical, but nodes own shares in proportion to their network
};
const char* algorithmName(Algorithm algorithm);
// NCCL_ALGO / HCCL_ALGO names, case-insensitive: ring, tree, rd, recursive_doubling, rhd,
// halving_doubling, hierarchical, weighted. False when the name is none of them.
bool parseAlgorithm(const std::string& name, Algorithm* out);

struct CollArgs {
  CollKind kind = CollKind::AllReduce;
  int rank = 0;
  int nranks = 1;
  // Elements per rank as the NCCL call counts them: AllReduce/Broadcast/Reduce the whole
  // buffer; AllGather sendcount; ReduceScatter recvcount; AllToAll/Gather/Scatter per peer.
  size_t count = 0;
  size_t elemSize = 1;
  int root = 0;  // Broadcast, Reduce, Gather, Scatter; the peer for Send/Recv
  // Pipelining granularity for chained schedules (Broadcast, Reduce).
  size_t sliceBytes = size_t{512} << 10;
  // The input must not be read after the output is written (AllToAll with sendbuff == recvbuff):
  // the planner stages the input through scratch.
  bool inputAliasesOutput = false;
  // sendbuff == recvbuff (in-place call).
  bool inPlace = false;
  Algorithm algorithm = Algorithm::Auto;
  // Auto picks recursive doubling for AllReduce up to this many bytes.
  size_t recursiveDoublingMaxBytes = size_t{64} << 10;
  // Where the ranks sit, for the topology-aware schedules; nullptr: one node, ranks in order.
  // Read only while planning, so it may point at a caller's local.
  const PlanLayout* layout = nullptr;
  int channels = 1;       // parallel rings of Ring AllReduce
  size_t chunkBytes = 0;  // pipeline chunk of Tree, Hierarchical and Weighted; 0: one chunk

  bool operator==(const CollArgs&) const = default;
};

// Ring schedules for the reducing and gathering collectives (recursive doubling for small
// AllReduce), chains for the rooted ones, direct exchanges for the personalised ones.
Plan planCollective(const CollArgs& args);

}  // namespace hccl
