// Operations of communicators that hold device ranks run in pieces: every rank, GPU or CPU,
// splits each call into the same pieces (same sizes, one wire tag each), so GPU and CPU ranks
// speak the same protocol while a GPU rank only ever stages one piece at a time through pinned
// host memory (bounded memory, whatever the message size). The host backend reduces the staged
// bytes on every rank, so every rank ends with bitwise the same result.
//
// A piece of a call takes the same element range [offset, offset + elems) of each of the call's
// blocks (one block for AllReduce/Broadcast/Reduce/Send/Recv, one per rank for the others) and
// runs as an ordinary operation on staging buffers holding those ranges back to back.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "device/piece_staging.h"
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

// Runs `ops` (any communicators; each one's calls in call order) piece by piece: the
// collectives of a communicator one after the other, its sends and receives together.
Status runInPieces(const std::vector<Operation*>& ops, PieceStaging& staging);

}  // namespace hccl
