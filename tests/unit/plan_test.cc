// Runs every planner's Plans for all ranks on memory alone: transfers are matched by
// (sender, receiver, tag), phases advance as the real executor advances them, and the results
// are compared with a direct computation. Catches schedules that are wrong or that deadlock.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <tuple>
#include <vector>

#include "algorithms/planner.h"

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

struct Case {
  CollKind kind;
  int nranks;
  size_t count;
  int root;
  bool inPlace;
  Algorithm algorithm = Algorithm::Auto;
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
