#include "device/staged_pipeline.h"

#include <algorithm>
#include <cstring>

#include "algorithms/extents.h"
#include "exec/comm_context.h"
#include "exec/executor.h"
#include "exec/overwritten_sends.h"

namespace hccl {
namespace {

bool isSelf(const Operation& o) { return isPointToPoint(o.args.kind) && o.args.root == o.args.rank; }

constexpr size_t kAlign = 64;
size_t alignUp(size_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

// One piece of one call in a round, and where its bytes sit in the round's slot.
struct Item {
  Operation* op;
  size_t piece;
  size_t offset;  // first element of the piece within each block
  size_t elems;
  size_t inAt, outAt;
  AsyncCopier* copier;  // set: moved by DMA through the link, not staged
};

struct Round {
  std::vector<Item> items;
  size_t bytes = 0;
  bool startsCall = false;  // its input may be what an earlier round wrote
};

// The engine that moves each op without staging, or nullptr. A send whose buffer a receive of
// the batch overwrites is staged: the staged copy keeps what it sends apart from what arrives
// (in-place sendrecv, which nccl-tests runs).
std::vector<AsyncCopier*> unstagedCopiers(const std::vector<Operation*>& ops, const PieceStaging& staging) {
  const std::vector<bool> overwritten = overwrittenSends(ops);
  std::vector<AsyncCopier*> copiers(ops.size(), nullptr);
  for (size_t i = 0; i < ops.size(); ++i)
    if (overwritten.empty() || !overwritten[i]) copiers[i] = staging.linkCopier(*ops[i]);
  return copiers;
}

// Piece k of o, placed in `round` (in its staging slot unless a copier moves it).
void addItem(Round& round, Operation* o, size_t k, AsyncCopier* copier) {
  const PieceShape shape = pieceShape(*o);
  Item item{o, k, k * shape.elems, 0, 0, 0, copier};
  item.elems = std::min(shape.elems, o->args.count - std::min(o->args.count, item.offset));
  if (copier == nullptr) {
    const Blocks b = blocksOf(o->args, o->args.rank);
    const size_t blockBytes = item.elems * o->args.elemSize;
    item.inAt = round.bytes;
    round.bytes += alignUp(b.in * blockBytes);
    item.outAt = round.bytes;
    round.bytes += alignUp(b.out * blockBytes);
  }
  round.items.push_back(item);
}

// Each communicator's calls become a sequence of steps (a collective's pieces one by one; the
// sends and receives of the batch together, piece k of each in step k); round r runs step r of
// every communicator at once, so ranks of one clique driven by one thread progress together.
// Sends and receives that all skip the staging take one step with every piece: nothing of
// theirs waits for a later step, so the peers' steps cannot wait on ours, and the DMA pipeline
// does not drain at every piece.
std::vector<Round> planRounds(const std::vector<Operation*>& ops, const PieceStaging& staging) {
  std::vector<CommContext*> comms;
  for (Operation* o : ops)
    if (std::find(comms.begin(), comms.end(), o->comm) == comms.end()) comms.push_back(o->comm);
  const std::vector<AsyncCopier*> copiers = unstagedCopiers(ops, staging);
  std::vector<Round> rounds;
  for (CommContext* comm : comms) {
    std::vector<std::vector<size_t>> calls;  // indices into ops
    int p2p = -1;
    for (size_t i = 0; i < ops.size(); ++i) {
      const Operation* o = ops[i];
      if (o->comm != comm || isSelf(*o)) continue;
      if (!isPointToPoint(o->args.kind)) {
        calls.push_back({i});
      } else {
        if (p2p < 0) {
          p2p = static_cast<int>(calls.size());
          calls.emplace_back();
        }
        calls[p2p].push_back(i);
      }
    }
    size_t step = 0;
    for (const auto& call : calls) {
      const bool oneStep = std::all_of(call.begin(), call.end(), [&](size_t i) { return copiers[i] != nullptr; });
      size_t pieces = 0;
      for (size_t i : call) pieces = std::max(pieces, pieceShape(*ops[i]).pieces);
      const size_t steps = oneStep ? 1 : pieces;
      for (size_t k = 0; k < steps; ++k, ++step) {
        if (rounds.size() <= step) rounds.emplace_back();
        Round& round = rounds[step];
        round.startsCall = round.startsCall || k == 0;
        for (size_t i : call) {
          const size_t own = pieceShape(*ops[i]).pieces;
          if (oneStep)
            for (size_t piece = 0; piece < own; ++piece) addItem(round, ops[i], piece, copiers[i]);
          else if (k < own)
            addItem(round, ops[i], k, copiers[i]);
        }
      }
    }
  }
  return rounds;
}

const char* blockAt(const char* base, const Item& it, int block) {
  return base + (block * it.op->args.count + it.offset) * it.op->args.elemSize;
}

Status stageIn(PieceStaging& staging, const Round& round, int slot, char* base) {
  for (const Item& it : round.items) {
    const size_t bytes = it.elems * it.op->args.elemSize;
    if (bytes == 0 || it.copier != nullptr) continue;
    for (int j = 0; j < blocksOf(it.op->args, it.op->args.rank).in; ++j)
      HCCL_TRY(staging.copyIn(base + it.inAt + j * bytes, blockAt(it.op->send, it, j), bytes));
  }
  return staging.inIssued(slot);
}

Status stageOut(PieceStaging& staging, const Round& round, int slot, char* base) {
  for (const Item& it : round.items) {
    const size_t bytes = it.elems * it.op->args.elemSize;
    if (bytes == 0 || it.copier != nullptr) continue;
    for (int j = 0; j < blocksOf(it.op->args, it.op->args.rank).out; ++j)
      HCCL_TRY(staging.copyOut(const_cast<char*>(blockAt(it.op->recv, it, j)),
                               base + it.outAt + j * bytes, bytes));
  }
  return staging.outIssued(slot);
}

// The piece as an ordinary operation on the staging slot, or on the user's buffers.
Operation pieceOperation(const Item& it, char* base) {
  const Operation& o = *it.op;
  Operation p;
  p.comm = o.comm;
  p.args = o.args;
  p.args.count = it.elems;
  p.args.inPlace = false;
  p.args.inputAliasesOutput = false;
  p.type = o.type;
  p.op = o.op;
  p.average = o.average;
  p.preMultiply = o.preMultiply;
  memcpy(p.scalar, o.scalar, sizeof(p.scalar));
  if (it.copier != nullptr) {
    p.send = o.send == nullptr ? nullptr : blockAt(o.send, it, 0);
    p.recv = o.recv == nullptr ? nullptr : const_cast<char*>(blockAt(o.recv, it, 0));
    p.copier = it.copier;
  } else {
    p.send = base + it.inAt;
    p.recv = base + it.outAt;
  }
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

Status runInPieces(const std::vector<Operation*>& ops, PieceStaging& staging) {
  // A receive from this same rank was paired with its send: a local copy, first.
  for (Operation* o : ops) {
    if (!isSelf(*o) || o->args.kind != CollKind::Recv || o->send == nullptr) continue;
    HCCL_TRY(o->comm->backend().copy(o->recv, o->send, o->args.count * o->args.elemSize));
  }
  const std::vector<Round> rounds = planRounds(ops, staging);
  if (rounds.empty()) return Status::Success;
  std::vector<char*> bases(rounds.size());
  auto prefetch = [&](size_t r) -> Status {
    const int slot = static_cast<int>(r % PieceStaging::kSlots);
    HCCL_TRY(staging.waitOut(slot));
    HCCL_TRY(staging.reserve(slot, rounds[r].bytes, &bases[r]));
    return stageIn(staging, rounds[r], slot, bases[r]);
  };
  HCCL_TRY(prefetch(0));
  for (size_t r = 0; r < rounds.size(); ++r) {
    const int slot = static_cast<int>(r % PieceStaging::kSlots);
    const bool next = r + 1 < rounds.size();
    // Inputs of the next round move while this round is on the network, unless they may be
    // what this round writes.
    if (next && !rounds[r + 1].startsCall) HCCL_TRY(prefetch(r + 1));
    HCCL_TRY(staging.waitIn(slot));
    std::vector<Operation> pieces;
    pieces.reserve(rounds[r].items.size());
    for (const Item& it : rounds[r].items) pieces.push_back(pieceOperation(it, bases[r]));
    std::vector<Operation*> run;
    for (Operation& p : pieces) run.push_back(&p);
    HCCL_TRY(runOperations(run));
    HCCL_TRY(stageOut(staging, rounds[r], slot, bases[r]));
    if (next && rounds[r + 1].startsCall) {
      HCCL_TRY(staging.inAfterOut(slot));
      HCCL_TRY(prefetch(r + 1));
    }
  }
  for (int s = 0; s < PieceStaging::kSlots; ++s) HCCL_TRY(staging.waitOut(s));
  return Status::Success;
}

}  // namespace hccl
