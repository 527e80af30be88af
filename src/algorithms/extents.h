// How much of its buffers a collective touches on one rank, in blocks of `count` elements (the
// count as the NCCL call gives it): one home for what the API bounds-checks, what the executor
// scales, divides and converts, and what the device paths stage and map.
#pragma once

#include "algorithms/planner.h"

namespace hccl {

struct Blocks {
  int in;   // of the send buffer this rank reads
  int out;  // of the receive buffer this rank writes
};

// AllReduce 1/1; AllGather 1/n; ReduceScatter n/1; AllToAll n/n; Broadcast, Scatter and Gather
// read (or write) only at the root; Send 1/0, Recv 0/1.
constexpr Blocks blocksOf(const CollArgs& args, int rank) {
  const int n = args.nranks;
  const bool root = rank == args.root;
  switch (args.kind) {
    case CollKind::AllReduce: return {1, 1};
    case CollKind::Broadcast: return {root ? 1 : 0, 1};
    case CollKind::Reduce: return {1, root ? 1 : 0};
    case CollKind::AllGather: return {1, n};
    case CollKind::ReduceScatter: return {n, 1};
    case CollKind::AllToAll: return {n, n};
    case CollKind::Gather: return {1, root ? n : 0};
    case CollKind::Scatter: return {root ? n : 0, 1};
    case CollKind::Send: return {1, 0};
    case CollKind::Recv: return {0, 1};
  }
  return {0, 0};
}

// The most blocks any rank of the call has on either side.
constexpr int maxBlocks(CollKind kind, int nranks) {
  switch (kind) {
    case CollKind::AllGather: case CollKind::ReduceScatter: case CollKind::AllToAll:
    case CollKind::Gather: case CollKind::Scatter:
      return nranks;
    default: return 1;
  }
}

}  // namespace hccl
