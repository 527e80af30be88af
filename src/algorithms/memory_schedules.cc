// The MemoryPlans of the IPC path (memory_plan.h): pieces through scratch.
#include <algorithm>
#include <cstdio>

#include "algorithms/memory_plan.h"

namespace hccl {
namespace {

class MemoryPlanBuilder {
 public:
  explicit MemoryPlanBuilder(MemoryPlan* plan) : plan_(plan) {}
  void phase() { plan_->phases.emplace_back(); }
  void copy(MemRegion dst, MemRegion src, size_t bytes) { add({MemStepKind::Copy, dst, {src}, bytes}); }
  void reduce(MemRegion dst, std::vector<MemRegion> sources, size_t bytes) {
    add({MemStepKind::Reduce, dst, std::move(sources), bytes});
  }

 private:
  // Empty steps are dropped: the owner of an empty chunk has nothing to do.
  void add(MemStep step) {
    if (step.bytes > 0) plan_->phases.back().steps.push_back(std::move(step));
  }
  MemoryPlan* plan_;
};

MemRegion at(int rank, MemBuffer buffer, size_t offset) { return {rank, buffer, offset}; }

// Element range [begin, begin + len) of chunk j when `elems` are cut into n chunks of `chunk`.
struct Chunk {
  size_t begin, len;
};
Chunk chunkOf(size_t elems, size_t chunk, int j) {
  const size_t begin = std::min(elems, static_cast<size_t>(j) * chunk);
  return {begin, std::min(elems, begin + chunk) - begin};
}

// One piece of a scratch call: elements [offset, offset + elems) of each block.
struct Piece {
  size_t offset, elems;
};

// AllReduce and Reduce: chunk j of every rank's piece goes to rank j's input region, rank j
// reduces it into its output region, and the ranks that deliver pull every chunk from its owner.
void scratchAllReduce(MemoryPlanBuilder& b, const MemoryArgs& m, const Piece& p, size_t* extent) {
  const CollArgs& a = m.call;
  const int n = a.nranks, me = a.rank;
  // Chunks of whole 16-byte vectors: every rank's share then starts aligned (vector kernels).
  const size_t es = a.elemSize, lanes = std::max<size_t>(16 / es, 1);
  const size_t chunk = ((p.elems + n - 1) / n + lanes - 1) / lanes * lanes, stride = scratchSlotBytes(chunk * es);
  const bool deliver = a.kind == CollKind::AllReduce || me == a.root;
  *extent = std::max(*extent, n * stride);
  b.phase();
  for (int j = 0; j < n; ++j) {
    const Chunk c = chunkOf(p.elems, chunk, j);
    b.copy(at(j, MemBuffer::ScratchIn, me * stride), at(me, MemBuffer::Send, (p.offset + c.begin) * es), c.len * es);
  }
  b.phase();
  std::vector<MemRegion> slots;
  for (int k = 0; k < n; ++k) slots.push_back(at(me, MemBuffer::ScratchIn, k * stride));
  b.reduce(at(me, MemBuffer::ScratchOut, me * stride), slots, chunkOf(p.elems, chunk, me).len * es);
  b.phase();
  for (int j = 0; j < n && deliver; ++j) {
    const Chunk c = chunkOf(p.elems, chunk, j);
    b.copy(at(me, MemBuffer::Recv, (p.offset + c.begin) * es), at(j, MemBuffer::ScratchOut, j * stride), c.len * es);
  }
}

// ReduceScatter: block j of every rank's piece goes to rank j's input region; rank j reduces its
// slots and copies the result out.
void scratchReduceScatter(MemoryPlanBuilder& b, const MemoryArgs& m, const Piece& p, size_t* extent) {
  const CollArgs& a = m.call;
  const int n = a.nranks, me = a.rank;
  const size_t es = a.elemSize, bytes = p.elems * es, stride = scratchSlotBytes(bytes);
  *extent = std::max(*extent, n * stride);
  b.phase();
  for (int j = 0; j < n; ++j)
    b.copy(at(j, MemBuffer::ScratchIn, me * stride), at(me, MemBuffer::Send, (j * a.count + p.offset) * es), bytes);
  b.phase();
  std::vector<MemRegion> slots;
  for (int k = 0; k < n; ++k) slots.push_back(at(me, MemBuffer::ScratchIn, k * stride));
  b.reduce(at(me, MemBuffer::ScratchOut, 0), slots, bytes);
  b.copy(at(me, MemBuffer::Recv, p.offset * es), at(me, MemBuffer::ScratchOut, 0), bytes);
}

// AllGather, Broadcast, Gather: the ranks with input put their piece in their own input region;
// the ranks with output pull from there.
void scratchGather(MemoryPlanBuilder& b, const MemoryArgs& m, const Piece& p, size_t* extent) {
  const CollArgs& a = m.call;
  const int n = a.nranks, me = a.rank, root = a.root;
  const size_t es = a.elemSize, bytes = p.elems * es;
  *extent = std::max(*extent, bytes);
  b.phase();
  if (a.kind != CollKind::Broadcast || me == root)
    b.copy(at(me, MemBuffer::ScratchIn, 0), at(me, MemBuffer::Send, p.offset * es), bytes);
  b.phase();
  if (a.kind == CollKind::Broadcast) {
    b.copy(at(me, MemBuffer::Recv, p.offset * es), at(root, MemBuffer::ScratchIn, 0), bytes);
  } else if (a.kind == CollKind::AllGather || me == root) {
    for (int j = 0; j < n; ++j)
      b.copy(at(me, MemBuffer::Recv, (j * a.count + p.offset) * es), at(j, MemBuffer::ScratchIn, 0), bytes);
  }
}

// AllToAll, Scatter: senders push block j into their slot of rank j's input region; every rank
// then copies its slots out.
void scratchPush(MemoryPlanBuilder& b, const MemoryArgs& m, const Piece& p, size_t* extent) {
  const CollArgs& a = m.call;
  const int n = a.nranks, me = a.rank, root = a.root;
  const size_t es = a.elemSize, bytes = p.elems * es, stride = scratchSlotBytes(bytes);
  const bool all = a.kind == CollKind::AllToAll;
  *extent = std::max(*extent, (all ? n : 1) * stride);
  b.phase();
  if (all || me == root)
    for (int j = 0; j < n; ++j)
      b.copy(at(j, MemBuffer::ScratchIn, (all ? me : 0) * stride),
             at(me, MemBuffer::Send, (j * a.count + p.offset) * es), bytes);
  b.phase();
  if (all) {
    for (int j = 0; j < n; ++j)
      b.copy(at(me, MemBuffer::Recv, (j * a.count + p.offset) * es), at(me, MemBuffer::ScratchIn, j * stride), bytes);
  } else {
    b.copy(at(me, MemBuffer::Recv, p.offset * es), at(me, MemBuffer::ScratchIn, 0), bytes);
  }
}

}  // namespace

size_t scratchPieces(const MemoryArgs& m) {
  if (m.pieceElems == 0) return 0;
  return std::max<size_t>((m.call.count + m.pieceElems - 1) / m.pieceElems, 1);
}

MemoryPlan planScratchPiece(const MemoryArgs& m, size_t piece) {
  const CollArgs& a = m.call;
  if (isPointToPoint(a.kind) || piece >= scratchPieces(m)) return {};
  MemoryPlan plan;
  MemoryPlanBuilder b(&plan);
  size_t extent = 0;  // how much of a scratch region the piece uses
  const size_t offset = piece * m.pieceElems;
  const Piece p{offset, std::min(m.pieceElems, a.count - std::min(a.count, offset))};
  switch (a.kind) {
    case CollKind::AllReduce: case CollKind::Reduce: scratchAllReduce(b, m, p, &extent); break;
    case CollKind::ReduceScatter: scratchReduceScatter(b, m, p, &extent); break;
    case CollKind::AllGather: case CollKind::Broadcast: case CollKind::Gather: scratchGather(b, m, p, &extent); break;
    case CollKind::AllToAll: case CollKind::Scatter: scratchPush(b, m, p, &extent); break;
    case CollKind::Send: case CollKind::Recv: break;
  }
  if (extent > m.regionBytes) return {};
  return plan;
}

std::string MemoryPlan::describe() const {
  static const char* kBuffers[] = {"send", "recv", "scratchIn", "scratchOut"};
  std::string out;
  char text[96];
  auto region = [&](const char* before, const MemRegion& r) {
    snprintf(text, sizeof(text), "%s%s[%d]+%zu", before, kBuffers[static_cast<int>(r.buffer)], r.rank, r.offset);
    out += text;
  };
  for (size_t p = 0; p < phases.size(); ++p)
    for (const MemStep& s : phases[p].steps) {
      snprintf(text, sizeof(text), "phase %zu: %s", p, s.kind == MemStepKind::Copy ? "copy" : "reduce");
      out += text;
      region(" ", s.dst);
      out += " <-";
      for (const MemRegion& r : s.sources) region(" ", r);
      snprintf(text, sizeof(text), " bytes=%zu\n", s.bytes);
      out += text;
    }
  return out;
}

}  // namespace hccl
