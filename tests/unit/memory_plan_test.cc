// Runs the IPC path's MemoryPlans (algorithms/memory_plan.h) for all ranks on host memory: every
// rank's steps of a phase, then the next phase (the barrier), with 32-bit integer sums so the
// results are exact. Checks every output element against a direct computation, and checks that
// within a phase no rank writes memory another rank reads or writes (they run at the same time).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "algorithms/extents.h"
#include "algorithms/memory_plan.h"

namespace hccl {
namespace {

using Elem = uint32_t;
constexpr size_t kEs = sizeof(Elem);

// One rank's memory. In place, send and receive buffer are windows of one buffer (kept in
// `recv`), as NCCL defines it: a gather's input is block `rank` of its output, a scatter's output
// block `rank` of its input, the others' input and output start together.
struct RankMemory {
  std::vector<Elem> send, recv, scratchIn, scratchOut;
  size_t sendAt = 0, recvAt = 0;  // in place: where send and receive start in `recv`, bytes
  bool inPlace = false;
};

// A byte range of one physical buffer: (rank, buffer id, begin, end).
struct Touch {
  int rank, buffer;
  size_t begin, end;
  bool write;
};

int physical(const RankMemory& m, MemBuffer b) {
  if (b == MemBuffer::Send && m.inPlace) return static_cast<int>(MemBuffer::Recv);
  return static_cast<int>(b);
}

size_t physicalOffset(const RankMemory& m, const MemRegion& r) {
  if (!m.inPlace) return r.offset;
  if (r.buffer == MemBuffer::Send) return r.offset + m.sendAt;
  return r.offset + (r.buffer == MemBuffer::Recv ? m.recvAt : 0);
}

char* where(std::vector<RankMemory>& ranks, const MemRegion& r, size_t bytes) {
  RankMemory& m = ranks.at(static_cast<size_t>(r.rank));
  std::vector<Elem>* v = nullptr;
  switch (static_cast<MemBuffer>(physical(m, r.buffer))) {
    case MemBuffer::Send: v = &m.send; break;
    case MemBuffer::Recv: v = &m.recv; break;
    case MemBuffer::ScratchIn: v = &m.scratchIn; break;
    case MemBuffer::ScratchOut: v = &m.scratchOut; break;
  }
  const size_t offset = physicalOffset(m, r);
  EXPECT_LE(offset + bytes, v->size() * kEs) << "region past its buffer";
  if (offset + bytes > v->size() * kEs) return nullptr;
  return reinterpret_cast<char*>(v->data()) + offset;
}

// Runs plans[r] for every rank r, phase by phase; false when a phase races or a region is out of
// bounds.
bool runAll(const std::vector<MemoryPlan>& plans, std::vector<RankMemory>& ranks) {
  const size_t phases = plans[0].phases.size();
  for (const MemoryPlan& p : plans) EXPECT_EQ(p.phases.size(), phases) << "ranks disagree on the barriers";
  for (size_t ph = 0; ph < phases; ++ph) {
    std::vector<std::vector<Touch>> touched(plans.size());
    for (size_t r = 0; r < plans.size(); ++r) {
      for (const MemStep& s : plans[r].phases[ph].steps) {
        // A copy onto itself (the root of a broadcast in place) touches nothing: it is skipped.
        const auto same = [&](const MemRegion& x, const MemRegion& y) {
          const RankMemory& m = ranks[static_cast<size_t>(x.rank)];
          return x.rank == y.rank && physical(m, x.buffer) == physical(m, y.buffer) &&
                 physicalOffset(m, x) == physicalOffset(m, y);
        };
        if (s.kind == MemStepKind::Copy && same(s.dst, s.sources[0])) continue;
        auto touch = [&](const MemRegion& region, bool write) {
          const RankMemory& m = ranks[static_cast<size_t>(region.rank)];
          const size_t begin = physicalOffset(m, region);
          touched[r].push_back({region.rank, physical(m, region.buffer), begin, begin + s.bytes, write});
        };
        touch(s.dst, true);
        for (const MemRegion& src : s.sources) touch(src, false);
        // As the device runs it: a copy, or passes dst = s0 + s1, then dst = dst + sk, each pass
        // reading an element's operands before writing it (so a source that is dst is read
        // before it is overwritten only when it comes first).
        char* dst = where(ranks, s.dst, s.bytes);
        if (dst == nullptr) return false;
        const size_t count = s.bytes / kEs;
        auto pass = [&](const char* x, const char* y) {
          for (size_t i = 0; i < count; ++i) {
            Elem a, b = 0;
            memcpy(&a, x + i * kEs, kEs);
            if (y != nullptr) memcpy(&b, y + i * kEs, kEs);
            a += b;
            memcpy(dst + i * kEs, &a, kEs);
          }
        };
        std::vector<const char*> sources;
        for (const MemRegion& src : s.sources) {
          sources.push_back(where(ranks, src, s.bytes));
          if (sources.back() == nullptr) return false;
        }
        pass(sources[0], sources.size() > 1 ? sources[1] : nullptr);
        for (size_t k = 2; k < sources.size(); ++k) pass(dst, sources[k]);
      }
    }
    // Ranks run a phase side by side: nobody may write what another rank touches in it.
    for (size_t a = 0; a < touched.size(); ++a)
      for (size_t b = 0; b < touched.size(); ++b)
        for (const Touch& x : touched[a])
          for (const Touch& y : touched[b])
            if (a != b && x.write && x.rank == y.rank && x.buffer == y.buffer && x.begin < y.end && y.begin < x.end) {
              ADD_FAILURE() << "phase " << ph << ": rank " << a << " writes what rank " << b << " touches";
              return false;
            }
  }
  return true;
}

Elem input(int rank, size_t i) { return static_cast<Elem>(rank * 100003 + i * 7 + 1); }

// The expected receive buffer of `rank` (what a correct call leaves there).
std::vector<Elem> expectedRecv(CollKind kind, int n, int rank, int root, size_t count, const std::vector<Elem>& before) {
  std::vector<Elem> out = before;
  auto sum = [&](size_t i) {
    Elem s = 0;
    for (int r = 0; r < n; ++r) s += input(r, i);
    return s;
  };
  switch (kind) {
    case CollKind::AllReduce: for (size_t i = 0; i < count; ++i) out[i] = sum(i); break;
    case CollKind::Reduce: if (rank == root) for (size_t i = 0; i < count; ++i) out[i] = sum(i); break;
    case CollKind::ReduceScatter: for (size_t i = 0; i < count; ++i) out[i] = sum(rank * count + i); break;
    case CollKind::AllGather: for (size_t i = 0; i < count * n; ++i) out[i] = input(static_cast<int>(i / count), i % count); break;
    case CollKind::Broadcast: for (size_t i = 0; i < count; ++i) out[i] = input(root, i); break;
    case CollKind::Gather:
      if (rank == root) for (size_t i = 0; i < count * n; ++i) out[i] = input(static_cast<int>(i / count), i % count);
      break;
    case CollKind::Scatter: for (size_t i = 0; i < count; ++i) out[i] = input(root, rank * count + i); break;
    case CollKind::AllToAll:
      for (size_t i = 0; i < count * n; ++i) out[i] = input(static_cast<int>(i / count), rank * count + i % count);
      break;
    case CollKind::Send: case CollKind::Recv: break;
  }
  return out;
}

struct Case {
  CollKind kind;
  int n;
  size_t count;
  bool inPlace;
};

void runCase(const Case& c) {
  SCOPED_TRACE(std::string(collKindName(c.kind)) + " n=" + std::to_string(c.n) + " count=" + std::to_string(c.count) +
               (c.inPlace ? " in place" : ""));
  const int root = c.n - 1;
  constexpr size_t kPieceBytes = 7 * kEs * 4;  // a few pieces per call, not a multiple of n
  std::vector<RankMemory> ranks(static_cast<size_t>(c.n));
  std::vector<MemoryPlan> plans;
  for (int r = 0; r < c.n; ++r) {
    MemoryArgs m;
    m.call.kind = c.kind;
    m.call.nranks = c.n;
    m.call.rank = r;
    m.call.root = root;
    m.call.count = c.count;
    m.call.elemSize = kEs;
    m.pieceElems = std::max<size_t>(kPieceBytes / (maxBlocks(c.kind, c.n) * kEs), 1);
    m.regionBytes = scratchSlotBytes(kPieceBytes) + c.n * (kScratchSlotAlign + 16);  // as IpcPath sizes it
    MemoryPlan plan;
    for (size_t k = 0; k < scratchPieces(m); ++k) {  // the pieces one after the other
      MemoryPlan piece = planScratchPiece(m, k);
      ASSERT_FALSE(piece.phases.empty());
      plan.phases.insert(plan.phases.end(), piece.phases.begin(), piece.phases.end());
    }
    ASSERT_FALSE(plan.phases.empty());
    plans.push_back(std::move(plan));
    RankMemory& mem = ranks[static_cast<size_t>(r)];
    const Blocks b = blocksOf(m.call, r);
    mem.recv.assign(std::max<size_t>(maxBlocks(c.kind, c.n), 1) * c.count, 0xDEADBEEF);
    mem.scratchIn.assign(m.regionBytes / kEs, 0);
    mem.scratchOut.assign(m.regionBytes / kEs, 0);
    // In place as NCCL defines it: AllGather's input is block `rank` of the output; the others'
    // output is their input's start.
    mem.inPlace = c.inPlace && b.in > 0 && b.out > 0;
    const bool gathers = c.kind == CollKind::AllGather || c.kind == CollKind::Gather;
    const bool scatters = c.kind == CollKind::ReduceScatter || c.kind == CollKind::Scatter;
    mem.sendAt = gathers ? r * c.count * kEs : 0;
    mem.recvAt = scatters ? r * c.count * kEs : 0;
    std::vector<Elem> in(b.in * c.count);
    for (size_t i = 0; i < in.size(); ++i) in[i] = input(r, i);
    if (mem.inPlace) memcpy(reinterpret_cast<char*>(mem.recv.data()) + mem.sendAt, in.data(), in.size() * kEs);
    else mem.send = in;
  }
  // The receive buffer as a window (in place, of the shared buffer).
  auto recvOf = [&](const RankMemory& m) {
    const size_t skip = m.inPlace ? m.recvAt / kEs : 0;
    return std::vector<Elem>(m.recv.begin() + static_cast<std::ptrdiff_t>(skip), m.recv.end());
  };
  std::vector<std::vector<Elem>> before;
  for (const RankMemory& m : ranks) before.push_back(recvOf(m));
  ASSERT_TRUE(runAll(plans, ranks));
  for (int r = 0; r < c.n; ++r) {
    const std::vector<Elem> want = expectedRecv(c.kind, c.n, r, root, c.count, before[r]);
    const std::vector<Elem> got = recvOf(ranks[static_cast<size_t>(r)]);
    CollArgs call;
    call.kind = c.kind;
    call.nranks = c.n;
    call.root = root;
    const size_t written = static_cast<size_t>(blocksOf(call, r).out) * c.count;
    for (size_t i = 0; i < written; ++i)
      if (got[i] != want[i]) {
        ADD_FAILURE() << "rank " << r << " element " << i << ": got " << got[i] << ", expected " << want[i];
        return;
      }
  }
}

constexpr CollKind kKinds[] = {CollKind::AllReduce, CollKind::Reduce,  CollKind::ReduceScatter, CollKind::AllGather,
                               CollKind::Broadcast, CollKind::Gather, CollKind::Scatter,       CollKind::AllToAll};

TEST(MemoryPlans, ScratchCallsOnEveryRankCount) {
  for (CollKind kind : kKinds)
    for (int n : {1, 2, 3, 4, 5})
      for (size_t count : {size_t{1}, size_t{5}, size_t{64}, size_t{203}})
        for (bool inPlace : {false, true}) {
          runCase({kind, n, count, inPlace});
          if (testing::Test::HasFailure()) return;
        }
}

// A call of `count` 4-byte elements on rank `rank` of `n`.
MemoryArgs callOf(CollKind kind, int n, int rank, size_t count) {
  MemoryArgs m;
  m.call.kind = kind;
  m.call.nranks = n;
  m.call.rank = rank;
  m.call.count = count;
  m.call.elemSize = 4;
  return m;
}

// Every rank's share of an AllReduce piece starts on a whole 16-byte vector of its input, so the
// device kernels take their vector path on every rank (with 3 ranks, 100 elements would
// otherwise be cut at 34 and 68).
TEST(MemoryPlans, ReductionChunksStartOnWholeVectors) {
  for (size_t es : {size_t{1}, size_t{2}, size_t{4}, size_t{8}}) {
    MemoryArgs m = callOf(CollKind::AllReduce, 3, 0, 1000);
    m.call.elemSize = es;
    m.pieceElems = 400;
    m.regionBytes = 1 << 16;
    for (size_t k = 0; k < scratchPieces(m); ++k)
      for (const MemPhase& phase : planScratchPiece(m, k).phases)
        for (const MemStep& step : phase.steps)
          for (const MemRegion& r : step.sources)
            if (r.buffer == MemBuffer::Send) EXPECT_EQ(r.offset % 16, 0u) << "element size " << es;
  }
}

TEST(MemoryPlans, ScratchTooSmallForAPieceGivesNoPlan) {
  MemoryArgs m = callOf(CollKind::AllGather, 2, 0, 100);
  m.pieceElems = 100;
  m.regionBytes = 256;  // a piece is 400 bytes
  EXPECT_TRUE(planScratchPiece(m, 0).phases.empty());
  m.regionBytes = 512;
  EXPECT_FALSE(planScratchPiece(m, 0).phases.empty());
  EXPECT_TRUE(planScratchPiece(m, 1).phases.empty());  // one piece only
}

TEST(MemoryPlans, DescribeNamesEveryRegion) {
  MemoryArgs m = callOf(CollKind::AllGather, 2, 1, 3);
  m.pieceElems = 3;
  m.regionBytes = 256;
  const std::string text = planScratchPiece(m, 0).describe();
  EXPECT_NE(text.find("phase 0: copy scratchIn[1]+0 <- send[1]+0 bytes=12"), std::string::npos) << text;
  EXPECT_NE(text.find("phase 1: copy recv[1]+0 <- scratchIn[0]+0 bytes=12"), std::string::npos) << text;
}

}  // namespace
}  // namespace hccl
