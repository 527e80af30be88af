// Runs every planner's Plans for all ranks on memory alone: transfers are matched by
// (sender, receiver, tag), phases advance as the real executor advances them, and the results
// are compared with a direct computation. Catches schedules that are wrong or that deadlock.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <tuple>
#include <vector>

#include "algorithms/blocks.h"
#include "algorithms/plan_shape.h"
#include "algorithms/planner.h"
#include "algorithms/schedules.h"

namespace hccl {
namespace {

struct RankState {
  std::vector<double> send, recv, scratch;
  bool aliased = false;  // in-place: the send buffer is the receive buffer
  Plan plan;
  size_t phase = 0;
  bool started = false;
  std::vector<bool> done;  // per transfer step of the current phase
};

char* base(RankState& s, BufferRef ref) {
  switch (ref) {
    case BufferRef::Send: return reinterpret_cast<char*>(s.aliased ? s.recv.data() : s.send.data());
    case BufferRef::Recv: return reinterpret_cast<char*>(s.recv.data());
    case BufferRef::Scratch: return reinterpret_cast<char*>(s.scratch.data());
  }
  return nullptr;
}

// Simulates all ranks; returns false on deadlock.
bool simulate(std::vector<RankState>& ranks) {
  const int n = static_cast<int>(ranks.size());
  auto startPhase = [&](int r) {
    RankState& s = ranks[r];
    while (s.phase < s.plan.phases.size()) {
      const Phase& ph = s.plan.phases[s.phase];
      s.done.assign(ph.steps.size(), false);
      for (size_t i = 0; i < ph.steps.size(); ++i) {
        const Step& st = ph.steps[i];
        if (st.kind != StepKind::Copy) continue;
        memmove(base(s, st.dst.buffer) + st.dst.offset, base(s, st.src.buffer) + st.src.offset, st.bytes);
        s.done[i] = true;
      }
      bool all = true;
      for (bool d : s.done) all = all && d;
      if (!all) return;
      ++s.phase;
    }
  };
  for (int r = 0; r < n; ++r) startPhase(r);
  for (;;) {
    bool moved = false, finished = true;
    for (int r = 0; r < n; ++r) {
      RankState& s = ranks[r];
      if (s.phase >= s.plan.phases.size()) continue;
      finished = false;
      const Phase& ph = s.plan.phases[s.phase];
      for (size_t i = 0; i < ph.steps.size(); ++i) {
        const Step& st = ph.steps[i];
        if (s.done[i] || st.kind == StepKind::Send || st.kind == StepKind::Copy) continue;
        // Find the matching send in the peer's current phase.
        RankState& p = ranks[st.peer];
        if (p.phase >= p.plan.phases.size()) continue;
        const Phase& pph = p.plan.phases[p.phase];
        for (size_t j = 0; j < pph.steps.size(); ++j) {
          const Step& ps = pph.steps[j];
          if (p.done[j] || ps.kind != StepKind::Send || ps.peer != r || ps.tag != st.tag) continue;
          EXPECT_EQ(ps.bytes, st.bytes) << "rank " << st.peer << " -> " << r << " tag " << st.tag;
          const double* in = reinterpret_cast<const double*>(base(p, ps.src.buffer) + ps.src.offset);
          double* dst = reinterpret_cast<double*>(base(s, st.dst.buffer) + st.dst.offset);
          size_t count = st.bytes / sizeof(double);
          if (st.kind == StepKind::Recv) {
            memcpy(dst, in, st.bytes);
          } else {
            const double* src = reinterpret_cast<const double*>(base(s, st.src.buffer) + st.src.offset);
            for (size_t k = 0; k < count; ++k) dst[k] = src[k] + in[k];
          }
          s.done[i] = p.done[j] = true;
          moved = true;
          break;
        }
      }
    }
    if (finished) return true;
    for (int r = 0; r < n; ++r) {
      RankState& s = ranks[r];
      if (s.phase >= s.plan.phases.size()) continue;
      bool all = true;
      for (bool d : s.done) all = all && d;
      if (all) {
        ++s.phase;
        startPhase(r);
        moved = true;
      }
    }
    if (!moved) return false;
  }
}

// Input element k of rank r.
double input(int r, size_t k) { return static_cast<double>(r * 1000 + k % 997); }

// Every send has exactly one receive of the same size, with the same tag, below 2^24; with
// `samePhase`, in the same phase index on both sides (what mergePlans relies on).
void expectAlignedPairs(const std::vector<RankState>& ranks, bool samePhase) {
  std::map<std::tuple<int, int, uint32_t>, std::vector<std::pair<size_t, size_t>>> sends, recvs;
  for (size_t r = 0; r < ranks.size(); ++r) {
    const Plan& plan = ranks[r].plan;
    for (size_t p = 0; p < plan.phases.size(); ++p)
      for (const Step& st : plan.phases[p].steps) {
        if (!st.isTransfer()) continue;
        EXPECT_LT(st.tag, 1u << 24);
        EXPECT_GT(st.bytes, 0u);
        if (st.kind == StepKind::Send) sends[{static_cast<int>(r), st.peer, st.tag}].push_back({p, st.bytes});
        else recvs[{st.peer, static_cast<int>(r), st.tag}].push_back({p, st.bytes});
      }
  }
  EXPECT_EQ(sends.size(), recvs.size());
  for (const auto& [key, list] : sends) {
    auto it = recvs.find(key);
    ASSERT_NE(it, recvs.end()) << "send " << std::get<0>(key) << "->" << std::get<1>(key) << " tag " << std::get<2>(key)
                               << " has no receive";
    ASSERT_EQ(list.size(), 1u) << "tag reused between " << std::get<0>(key) << " and " << std::get<1>(key);
    ASSERT_EQ(it->second.size(), 1u);
    EXPECT_EQ(list[0].second, it->second[0].second);
    if (samePhase) {
      EXPECT_EQ(list[0].first, it->second[0].first) << "tag " << std::get<2>(key);
    }
  }
}

struct Case {
  CollKind kind;
  int nranks;
  size_t count;
  int root;
  bool inPlace;
  Algorithm algorithm = Algorithm::Auto;
  const PlanLayout* layout = nullptr;
  int channels = 1;
  size_t chunkBytes = 0;
};

void runCase(const Case& c) {
  const int n = c.nranks;
  std::vector<RankState> ranks(n);
  size_t sendCount = c.count, recvCount = c.count;
  switch (c.kind) {
    case CollKind::AllGather: recvCount = c.count * n; break;
    case CollKind::ReduceScatter: sendCount = c.count * n; break;
    case CollKind::AllToAll: sendCount = recvCount = c.count * n; break;
    case CollKind::Gather: recvCount = c.count * n; break;
    case CollKind::Scatter: sendCount = c.count * n; break;
    default: break;
  }
  for (int r = 0; r < n; ++r) {
    CollArgs a;
    a.kind = c.kind;
    a.rank = r;
    a.nranks = n;
    a.count = c.count;
    a.elemSize = sizeof(double);
    a.root = c.root;
    a.sliceBytes = 64;  // small slices exercise the pipelines
    a.inputAliasesOutput = c.inPlace && c.kind == CollKind::AllToAll;
    a.inPlace = c.inPlace && c.kind == CollKind::AllReduce;
    a.algorithm = c.algorithm;
    a.layout = c.layout;
    a.channels = c.channels;
    a.chunkBytes = c.chunkBytes;
    RankState& s = ranks[r];
    s.send.resize(sendCount);
    for (size_t k = 0; k < sendCount; ++k) s.send[k] = input(r, k);
    s.recv.assign(recvCount, -1.0);
    if (a.inPlace) {
      s.recv = s.send;
      s.aliased = true;
    }
    s.plan = planCollective(a);
    s.scratch.resize(s.plan.scratchBytes / sizeof(double) + 1);
  }
  expectAlignedPairs(ranks, c.algorithm != Algorithm::Auto && c.algorithm != Algorithm::RecursiveDoubling);
  ASSERT_TRUE(simulate(ranks)) << collKindName(c.kind) << " deadlocks with " << n << " ranks";
  for (int r = 0; r < n; ++r) {
    const std::vector<double>& out = ranks[r].recv;
    for (size_t k = 0; k < recvCount; ++k) {
      double expect = 0;
      switch (c.kind) {
        case CollKind::AllReduce:
          for (int q = 0; q < n; ++q) expect += input(q, k);
          break;
        case CollKind::Reduce:
          if (r != c.root) continue;
          for (int q = 0; q < n; ++q) expect += input(q, k);
          break;
        case CollKind::ReduceScatter:
          for (int q = 0; q < n; ++q) expect += input(q, r * c.count + k);
          break;
        case CollKind::AllGather: expect = input(static_cast<int>(k / c.count), k % c.count); break;
        case CollKind::Broadcast: expect = input(c.root, k); break;
        case CollKind::AllToAll: expect = input(static_cast<int>(k / c.count), r * c.count + k % c.count); break;
        case CollKind::Gather:
          if (r != c.root) continue;
          expect = input(static_cast<int>(k / c.count), k % c.count);
          break;
        case CollKind::Scatter: expect = input(c.root, r * c.count + k); break;
        default: break;
      }
      ASSERT_EQ(out[k], expect) << collKindName(c.kind) << " n=" << n << " count=" << c.count << " rank " << r
                                << " element " << k;
    }
  }
}

TEST(Planners, EveryCollectiveOnMemory) {
  const CollKind kinds[] = {CollKind::AllReduce, CollKind::AllGather, CollKind::ReduceScatter, CollKind::Broadcast,
                            CollKind::Reduce,    CollKind::AllToAll,  CollKind::Gather,        CollKind::Scatter};
  for (CollKind kind : kinds)
    for (int n : {1, 2, 3, 4, 5, 8})
      for (size_t count : {size_t{0}, size_t{1}, size_t{3}, size_t{7}, size_t{100}})
        for (int root : {0, n - 1})
          for (bool inPlace : {false, true}) runCase({kind, n, count, root, inPlace});
}

TEST(Planners, AllReduceEveryAlgorithmInAndOutOfPlace) {
  for (Algorithm algorithm : {Algorithm::Ring, Algorithm::RecursiveDoubling})
    for (int n : {1, 2, 3, 4, 5, 6, 7, 8, 11, 16})
      for (size_t count : {size_t{0}, size_t{1}, size_t{5}, size_t{64}})
        for (bool inPlace : {false, true}) runCase({CollKind::AllReduce, n, count, 0, inPlace, algorithm});
}

TEST(Planners, AllReduceChunksCoverEveryElementOnce) {
  // With count < nranks some chunks are empty; no zero-byte transfer may appear.
  CollArgs a;
  a.kind = CollKind::AllReduce;
  a.nranks = 8;
  a.count = 3;
  a.elemSize = 4;
  for (a.rank = 0; a.rank < 8; ++a.rank) {
    Plan p = planCollective(a);
    for (const Phase& ph : p.phases)
      for (const Step& s : ph.steps) EXPECT_GT(s.bytes, 0u);
  }
}

TEST(Planners, DescribeNamesEveryStep) {
  CollArgs a;
  a.kind = CollKind::AllGather;
  a.nranks = 3;
  a.rank = 1;
  a.count = 2;
  a.elemSize = 4;
  std::string text = planCollective(a).describe();
  EXPECT_NE(text.find("copy"), std::string::npos);
  EXPECT_NE(text.find("send peer=2"), std::string::npos);
  EXPECT_NE(text.find("recv peer=0"), std::string::npos);
}

}  // namespace
}  // namespace hccl

namespace hccl {
namespace {

// Layouts: every rank alone, nodes of `perNode` (a shuffled rank order), unequal nodes, and
// weighted shares with a node that owns nothing.
std::vector<PlanLayout> layoutsFor(int n) {
  std::vector<PlanLayout> out;
  out.push_back({});
  for (int perNode : {1, 2, 4}) {
    if (n % perNode != 0) continue;
    PlanLayout l;
    for (int node = 0; node < n / perNode; ++node) {
      l.nodes.emplace_back();
      // Ranks of a node are not consecutive: node i holds i, i + n/perNode, ...
      for (int j = 0; j < perNode; ++j) l.nodes.back().push_back(node + j * (n / perNode));
    }
    for (size_t i = 0; i < l.nodes.size(); ++i) l.nodeShares.push_back(i % 3 == 1 ? 0.0 : 1.0 + static_cast<double>(i % 2));
    out.push_back(l);
  }
  if (n >= 3) {  // unequal: {0}, {1, 2}, {3..n-1}
    PlanLayout l;
    l.nodes = {{0}, {1, 2}};
    if (n > 3) {
      l.nodes.emplace_back();
      for (int r = 3; r < n; ++r) l.nodes.back().push_back(r);
    }
    l.nodeShares.assign(l.nodes.size(), 1.0);
    l.nodeShares[0] = 3;
    out.push_back(l);
  }
  return out;
}

TEST(Planners, TopologyAwareAllReduceOnEveryLayout) {
  const Algorithm algorithms[] = {Algorithm::Ring, Algorithm::Tree, Algorithm::HalvingDoubling,
                                  Algorithm::Hierarchical, Algorithm::Weighted};
  for (Algorithm algorithm : algorithms)
    for (int n : {1, 2, 3, 4, 5, 6, 7, 8, 12, 16})
      for (const PlanLayout& layout : layoutsFor(n))
        for (size_t count : {size_t{0}, size_t{1}, size_t{5}, size_t{64}, size_t{203}})
          for (bool inPlace : {false, true})
            for (size_t chunk : {size_t{0}, size_t{24}}) {
              SCOPED_TRACE(std::string(algorithmName(algorithm)) + " n=" + std::to_string(n) + " nodes=" +
                           std::to_string(layout.nodes.size()) + " count=" + std::to_string(count) +
                           " chunk=" + std::to_string(chunk));
              runCase({CollKind::AllReduce, n, count, 0, inPlace, algorithm, &layout, chunk ? 3 : 1, chunk});
              if (HasFatalFailure()) return;
            }
}

TEST(Planners, RingCollectivesFollowTheLayoutOrder) {
  for (int n : {2, 4, 6, 8})
    for (const PlanLayout& layout : layoutsFor(n))
      for (CollKind kind : {CollKind::AllGather, CollKind::ReduceScatter, CollKind::AllReduce})
        for (size_t count : {size_t{0}, size_t{3}, size_t{17}}) runCase({kind, n, count, 0, false, Algorithm::Ring, &layout});
}

TEST(Planners, NodeAwareRingCrossesEachNodeBoundaryOnce) {
  PlanLayout layout;
  layout.nodes = {{0, 2, 4, 6}, {1, 3, 5, 7}};
  CollArgs a;
  a.nranks = 8;
  a.layout = &layout;
  for (int channel = 0; channel < 4; ++channel) {
    std::vector<int> ring = ringOrder(a, channel);
    int crossings = 0;
    for (int i = 0; i < 8; ++i) crossings += (ring[i] % 2) != (ring[(i + 1) % 8] % 2);
    EXPECT_EQ(crossings, 2);
    EXPECT_EQ(ring[0], layout.nodes[0][channel]);  // channels leave through different ranks
  }
}

// A Weighted AllReduce of 1000 floats over `layout`.
CollArgs weightedAllReduce(const PlanLayout& layout, int nranks) {
  CollArgs a;
  a.nranks = nranks;
  a.count = 1000;
  a.elemSize = 4;
  a.algorithm = Algorithm::Weighted;
  a.layout = &layout;
  return a;
}

TEST(Planners, WeightedNodeWithNoShareReducesNothing) {
  // Two ranks per node, node 1 owns nothing: its ranks receive no RecvReduce across nodes.
  PlanLayout layout;
  layout.nodes = {{0, 1}, {2, 3}, {4, 5}};
  layout.nodeShares = {0.5, 0.0, 0.5};
  CollArgs a = weightedAllReduce(layout, 6);
  for (int r : {2, 3}) {
    a.rank = r;
    for (const Phase& ph : planCollective(a).phases)
      for (const Step& s : ph.steps)
        if (s.kind == StepKind::RecvReduce) {
          EXPECT_TRUE(s.peer == 2 || s.peer == 3);
        }
  }
}

TEST(Planners, SharesBecomeWholePiecesOfOneSize) {
  EXPECT_EQ(sharePieces({0.0131, 0.0131, 0.00256, 0.00256}, 4), (std::vector<int>{5, 5, 1, 1}));
  EXPECT_EQ(sharePieces({0.5, 0.5, 0, 0}, 4), (std::vector<int>{1, 1, 0, 0}));
  EXPECT_EQ(sharePieces({}, 3), (std::vector<int>{1, 1, 1}));
  EXPECT_EQ(sharePieces({1, 1000}, 2)[1], kMaxPieces);
}

TEST(Planners, WeightedTransfersAcrossNodesAreOfOneSize) {
  // Fair sharing gives a port's transfers equal rates; equal sizes make them end together.
  PlanLayout layout;
  layout.nodes = {{0}, {1}, {2}, {3}};
  layout.nodeShares = {0.4, 0.4, 0.1, 0.1};
  CollArgs a = weightedAllReduce(layout, 4);
  for (a.rank = 0; a.rank < 4; ++a.rank)
    for (const Phase& ph : planCollective(a).phases)
      for (const Step& s : ph.steps)
        if (s.isTransfer()) EXPECT_NEAR(static_cast<double>(s.bytes), 400, 4);  // 1000 elements in 4+4+1+1 pieces
}

TEST(Planners, PipelineEndsAreCutIntoSmallPieces) {
  const std::vector<size_t> counts = pipelineCounts(1600, 8);
  EXPECT_EQ(counts, (std::vector<size_t>{25, 25, 50, 100, 200, 200, 200, 200, 200, 200, 100, 50, 25, 25}));
  EXPECT_EQ(pipelineCounts(800, 4), (std::vector<size_t>{200, 200, 200, 200}));
  EXPECT_EQ(pipelineCounts(800, 1), (std::vector<size_t>{800}));
}

// The rail planners describe their Plans (plan_shape.h) for the cost model: the busiest rank's
// transfer steps are what its Plan holds, and every rank's Plan fits under that.
TEST(Planners, RailPipelineDescribesThePlansItMakes) {
  for (bool weighted : {false, true})
    for (int n : {4, 6, 8, 12})
      for (const PlanLayout& layout : layoutsFor(n))
        for (size_t chunk : {size_t{0}, size_t{40000}, size_t{100000}}) {
          CollArgs a = weightedAllReduce(layout, n);
          a.algorithm = weighted ? Algorithm::Weighted : Algorithm::Hierarchical;
          a.chunkBytes = chunk;
          a.count = 100000;  // pieces of at least 1,250 elements: no transfer of them is empty
          const RailPipeline shape = railPipeline(a, weighted);
          SCOPED_TRACE(std::string(weighted ? "weighted" : "hierarchical") + " n=" + std::to_string(n) +
                       " nodes=" + std::to_string(layout.nodes.size()) + " chunk=" + std::to_string(chunk));
          size_t covered = 0;
          for (size_t c : shape.counts) covered += c;
          size_t busiest = 0;
          for (a.rank = 0; a.rank < n; ++a.rank) {
            size_t steps = 0;
            for (const Phase& ph : planCollective(a).phases)
              for (const Step& s : ph.steps) steps += s.isTransfer() ? 1 : 0;
            busiest = std::max(busiest, steps);
          }
          if (shape.counts.empty()) {  // hierarchical on unequal nodes: the ring
            EXPECT_FALSE(weighted);
            continue;
          }
          EXPECT_EQ(covered, a.count);
          // Shares of zero leave whole exchanges empty, so the bound may exceed what is made.
          const bool zeroShare = std::find(layout.nodeShares.begin(), layout.nodeShares.end(), 0.0) !=
                                 layout.nodeShares.end();
          if (weighted && zeroShare) EXPECT_LE(busiest, shape.busiestRankSteps);
          else EXPECT_EQ(busiest, shape.busiestRankSteps);
        }
}

TEST(Planners, TreeChunksFollowTheChunkSize) {
  CollArgs a;
  a.count = 1001;
  a.elemSize = 4;
  a.chunkBytes = 400;  // halves of 501 and 500 elements: 2004 and 2000 bytes
  EXPECT_EQ(treeChunks(a, 0), 6u);
  EXPECT_EQ(treeChunks(a, 1), 5u);
  a.chunkBytes = 0;
  EXPECT_EQ(treeChunks(a, 0), 1u);
  a.count = 3;
  a.chunkBytes = 1;
  EXPECT_EQ(treeChunks(a, 0), 2u);  // never more chunks than elements
}

TEST(Planners, SplitCountsFollowsWeights) {
  std::vector<size_t> parts = splitCounts(10, 3, {1, 0, 4});
  EXPECT_EQ(parts, (std::vector<size_t>{2, 0, 8}));
  parts = splitCounts(7, 3, {});
  EXPECT_EQ(parts, (std::vector<size_t>{3, 2, 2}));
  parts = splitCounts(1, 4, {1, 1, 1, 1});
  EXPECT_EQ(parts[0] + parts[1] + parts[2] + parts[3], 1u);
}

}  // namespace
}  // namespace hccl
