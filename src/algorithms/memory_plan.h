// A MemoryPlan is the Plan of ranks that reach each other's buffers (GPUs of one node through IPC
// handles, ranks of one process): its steps copy and reduce between any ranks' memory directly
// instead of sending and receiving, and a phase ends only once every rank has finished it (whoever
// runs such a Plan ends each phase with a barrier). Each rank's plan lists its own steps; all
// ranks' plans have the same number of phases. Plain data, like Plan: printed, checked on memory
// alone (tests run every rank's plan on host buffers), and run by src/device's IPC path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "algorithms/planner.h"

namespace hccl {

// Whose memory a step touches: a rank's send or receive buffer (the call's), or the input and
// output regions of its scratch.
enum class MemBuffer : uint8_t { Send, Recv, ScratchIn, ScratchOut };

struct MemRegion {
  int rank = -1;  // -1: no region
  MemBuffer buffer = MemBuffer::Send;
  size_t offset = 0;  // bytes
};

enum class MemStepKind : uint8_t {
  Copy,    // dst = sources[0]
  Reduce,  // dst = sources[0] op sources[1] op ..., in that order; dst may be sources[0]
};

struct MemStep {
  MemStepKind kind = MemStepKind::Copy;
  MemRegion dst;
  std::vector<MemRegion> sources;
  size_t bytes = 0;                // of every region
};

struct MemPhase {
  std::vector<MemStep> steps;
};

struct MemoryPlan {
  std::vector<MemPhase> phases;
  std::string describe() const;  // one line per step
};

struct MemoryArgs {
  CollArgs call;          // kind, rank, nranks, root, count, element size
  // Pieces of at most pieceElems elements per block, and scratch regions (input and output) of
  // regionBytes each.
  size_t pieceElems = 0;
  size_t regionBytes = 0;
};

// The call through scratch, piece by piece: ranks push their inputs into the peers' scratch,
// each reduces its share there, and the others pull it. Never touches another rank's send or
// receive buffer: those need not be mapped anywhere else. A call is scratchPieces(args)
// pieces, planned one at a time (a large call would otherwise be a large Plan); a piece's plan is
// empty (no phase) when the scratch cannot hold it.
size_t scratchPieces(const MemoryArgs& args);
MemoryPlan planScratchPiece(const MemoryArgs& args, size_t piece);

// Where scratch slots start: every block at a multiple of this, so full-width vector loads
// work on every device.
inline constexpr size_t kScratchSlotAlign = 256;
inline constexpr size_t scratchSlotBytes(size_t bytes) {
  return (bytes + kScratchSlotAlign - 1) / kScratchSlotAlign * kScratchSlotAlign;
}

}  // namespace hccl
