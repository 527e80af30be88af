#include "device/staged_pipeline.h"

#include <algorithm>
#include <cstring>

#include "algorithms/extents.h"
#include "backends/backend.h"
#include "exec/comm_context.h"
#include "exec/executor.h"

namespace hccl {
namespace {

bool isSelf(const Operation& o) { return isPointToPoint(o.args.kind) && o.args.root == o.args.rank; }

constexpr size_t kAlign = 64;
size_t alignUp(size_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

// Piece k of o, placed in `round`'s slot.
void addItem(StagedRound& round, Operation* o, size_t k) {
  const PieceShape shape = pieceShape(*o);
  StagedItem item{o, k, k * shape.elems, 0, 0, 0, kNoScalar};
  item.elems = std::min(shape.elems, o->args.count - std::min(o->args.count, item.offset));
  const Blocks b = blocksOf(o->args, o->args.rank);
  const size_t blockBytes = item.elems * o->args.elemSize;
  item.inAt = round.bytes;
  round.bytes += alignUp(b.in * blockBytes);
  item.outAt = round.bytes;
  round.bytes += alignUp(b.out * blockBytes);
  if (o->scalarSource != nullptr) {
    item.scalarAt = round.bytes;
    round.bytes += kAlign;
  }
  round.items.push_back(item);
}

const char* blockAt(const char* base, const StagedItem& it, int block) {
  return base + (block * it.op->args.count + it.offset) * it.op->args.elemSize;
}

// The piece as an ordinary operation on the slot, run with the host backend.
Operation pieceOperation(const StagedItem& it, char* slot) {
  const Operation& o = *it.op;
  Operation p;
  p.comm = o.comm;
  p.backend = &hostBackend();
  p.args = o.args;
  p.args.count = it.elems;
  p.args.inPlace = false;
  p.args.inputAliasesOutput = false;
  p.type = o.type;
  p.op = o.op;
  p.average = o.average;
  p.preMultiply = o.preMultiply;
  memcpy(p.scalar, it.scalarAt == kNoScalar ? static_cast<const void*>(o.scalar) : slot + it.scalarAt, sizeof(p.scalar));
  p.send = slot + it.inAt;
  p.recv = slot + it.outAt;
  p.tagBase = it.piece < o.pieceTags.size() ? o.pieceTags[it.piece] : o.tagBase;
  return p;
}

}  // namespace

PieceShape pieceShape(const Operation& o) {
  const size_t elem = std::max<size_t>(o.args.elemSize, 1);
  const size_t elems = std::max<size_t>(o.comm->config().devicePieceBytes / (maxBlocks(o.args.kind, o.args.nranks) * elem), 1);
  const size_t pieces = std::max<size_t>((o.args.count + elems - 1) / elems, 1);
  return {elems, pieces};
}

void reservePieceTags(Operation& o) {
  const size_t pieces = pieceShape(o).pieces;
  o.pieceTags.assign(1, o.tagBase);
  for (size_t k = 1; k < pieces; ++k) {
    if (o.args.kind == CollKind::Send) o.pieceTags.push_back(o.comm->nextSendTag(o.args.root));
    else if (o.args.kind == CollKind::Recv) o.pieceTags.push_back(o.comm->nextRecvTag(o.args.root));
    else o.pieceTags.push_back(o.comm->nextCollectiveTag());
  }
}

// Round r holds step r of every communicator, so ranks of one clique driven by one thread
// progress together.
std::vector<StagedRound> planRounds(const std::vector<Operation*>& ops) {
  std::vector<CommContext*> comms;
  for (Operation* o : ops)
    if (std::find(comms.begin(), comms.end(), o->comm) == comms.end()) comms.push_back(o->comm);
  std::vector<StagedRound> rounds;
  for (CommContext* comm : comms) {
    std::vector<std::vector<Operation*>> calls;
    int p2p = -1;
    for (Operation* o : ops) {
      if (o->comm != comm || isSelf(*o)) continue;
      if (!isPointToPoint(o->args.kind)) {
        calls.push_back({o});
        continue;
      }
      if (p2p < 0) {
        p2p = static_cast<int>(calls.size());
        calls.emplace_back();
      }
      calls[p2p].push_back(o);
    }
    size_t step = 0;
    for (const std::vector<Operation*>& call : calls) {
      size_t pieces = 0;
      for (Operation* o : call) pieces = std::max(pieces, pieceShape(*o).pieces);
      for (size_t k = 0; k < pieces; ++k, ++step) {
        if (rounds.size() <= step) rounds.emplace_back();
        StagedRound& round = rounds[step];
        round.startsCall = round.startsCall || k == 0;
        for (Operation* o : call)
          if (k < pieceShape(*o).pieces) addItem(round, o, k);
      }
    }
  }
  return rounds;
}

Status copyInputs(const StagedRound& round, char* slot, const CopyFn& copy) {
  for (const StagedItem& it : round.items) {
    if (it.scalarAt != kNoScalar) HCCL_TRY(copy(slot + it.scalarAt, it.op->scalarSource, dataTypeSize(it.op->type)));
    const size_t bytes = it.elems * it.op->args.elemSize;
    if (bytes == 0) continue;
    for (int j = 0; j < blocksOf(it.op->args, it.op->args.rank).in; ++j)
      HCCL_TRY(copy(slot + it.inAt + j * bytes, blockAt(it.op->send, it, j), bytes));
  }
  return Status::Success;
}

Status copyOutputs(const StagedRound& round, char* slot, const CopyFn& copy) {
  for (const StagedItem& it : round.items) {
    const size_t bytes = it.elems * it.op->args.elemSize;
    if (bytes == 0) continue;
    for (int j = 0; j < blocksOf(it.op->args, it.op->args.rank).out; ++j)
      HCCL_TRY(copy(const_cast<char*>(blockAt(it.op->recv, it, j)), slot + it.outAt + j * bytes, bytes));
  }
  return Status::Success;
}

Status copySelfReceives(const std::vector<Operation*>& ops, const CopyFn& copy) {
  for (Operation* o : ops) {
    if (!isSelf(*o) || o->args.kind != CollKind::Recv || o->send == nullptr) continue;
    HCCL_TRY(copy(o->recv, o->send, o->args.count * o->args.elemSize));
  }
  return Status::Success;
}

Status runRound(const StagedRound& round, char* slot) {
  std::vector<Operation> pieces;
  pieces.reserve(round.items.size());
  for (const StagedItem& it : round.items) pieces.push_back(pieceOperation(it, slot));
  std::vector<Operation*> run;
  for (Operation& p : pieces) run.push_back(&p);
  return runOperations(run);
}

Status runInPieces(const std::vector<Operation*>& ops, StagingSlots& slots) {
  const CopyFn copy = [](void* dst, const void* src, size_t bytes) {
    memmove(dst, src, bytes);
    return Status::Success;
  };
  HCCL_TRY(copySelfReceives(ops, copy));
  for (const StagedRound& round : planRounds(ops)) {
    char* slot = nullptr;
    HCCL_TRY(slots.reserve(0, round.bytes, &slot));
    HCCL_TRY(copyInputs(round, slot, copy));
    HCCL_TRY(runRound(round, slot));
    HCCL_TRY(copyOutputs(round, slot, copy));
  }
  return Status::Success;
}

}  // namespace hccl
