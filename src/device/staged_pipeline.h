// Operations of communicators that hold device ranks run in pieces: every rank, GPU or CPU,
// splits each call into the same pieces (same sizes, one wire tag each), so GPU and CPU ranks
// speak the same protocol while a rank only ever stages a few pieces at a time (bounded memory,
// whatever the message size). The host backend reduces the staged bytes on every rank, so every
// rank ends with bitwise the same result.
//
// A piece of a call takes the same element range [offset, offset + elems) of each of the call's
// blocks (one block for AllReduce/Broadcast/Reduce/Send/Recv, one per rank for the others) and
// runs as an ordinary operation on a staging slot holding those ranges back to back. Rounds group
// the pieces that run together: a communicator's collectives one after the other, its sends and
// receives together (piece k of each in round k).
//
// A CPU rank runs the rounds itself (runInPieces). A GPU rank's stream copies each round's
// inputs into the slot and its outputs back (staged_on_stream.h), and its progress thread runs
// the rounds in between (runRound): host work only.
#pragma once

#include <cstddef>
#include <functional>
#include <limits>
#include <vector>

#include "device/staging_slots.h"
#include "exec/operation.h"

namespace hccl {

struct PieceShape {
  size_t elems;   // per block, per piece (the last piece may hold fewer)
  size_t pieces;  // at least 1
};

// The same on every rank: from the call's kind, nranks, count, element size and
// Config::devicePieceBytes (which must therefore be equal on every rank).
PieceShape pieceShape(const Operation& o);
// Takes the wire tags of o's pieces after the first from its communicator, in call order.
void reservePieceTags(Operation& o);

inline constexpr size_t kNoScalar = std::numeric_limits<size_t>::max();

// One piece of one call in a round, and where its bytes sit in the round's slot.
struct StagedItem {
  Operation* op;
  size_t piece;
  size_t offset;  // first element of the piece within each block
  size_t elems;
  size_t inAt, outAt;
  size_t scalarAt;  // PreMulSum's factor, read from memory when the call runs (else kNoScalar)
};

struct StagedRound {
  std::vector<StagedItem> items;
  size_t bytes = 0;         // of the slot it needs
  bool startsCall = false;  // its inputs may be what an earlier round wrote
};

// The rounds of `ops` (any communicators; each one's calls in call order). Calls that only copy
// to this same rank are not in them (copySelfReceives).
std::vector<StagedRound> planRounds(const std::vector<Operation*>& ops);

using CopyFn = std::function<Status(void* dst, const void* src, size_t bytes)>;
// The copies that fill a round's slot from the callers' buffers (and the factors of PreMulSum),
// and that drain its outputs back.
Status copyInputs(const StagedRound& round, char* slot, const CopyFn& copy);
Status copyOutputs(const StagedRound& round, char* slot, const CopyFn& copy);
// A receive from this same rank was paired with its send: a copy between the caller's buffers.
Status copySelfReceives(const std::vector<Operation*>& ops, const CopyFn& copy);

// Runs a round's pieces on its slot, whose inputs are in place, with the host backend.
Status runRound(const StagedRound& round, char* slot);

// A CPU rank: every round of `ops` now, staging through host memory.
Status runInPieces(const std::vector<Operation*>& ops, StagingSlots& slots);

}  // namespace hccl
