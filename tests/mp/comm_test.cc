// comm_test.cc: communicator life cycle and queries: ncclCommInitAll and grouped
// ncclCommInitRank driven from one thread, ncclCommSplit, nonblocking init, ncclCommInitRankConfig
// with old config sizes, ncclCommInitRankScalable, finalize/destroy/abort, the query
// functions, ncclMemAlloc, buffer registration, ncclGetVersion and ncclGetErrorString.
#include <chrono>
#include <cstddef>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "mp_harness.h"

namespace {

mp::Options noComm() {
  mp::Options o;
  o.initComm = false;
  return o;
}

mp::Options timeoutEnv(mp::Options o, int seconds) {
  o.env.push_back({"HCCL_TIMEOUT", std::to_string(seconds)});
  return o;
}

// Polls ncclCommGetAsyncError until the comm is no longer in progress (at most 60 s).
ncclResult_t waitReady(ncclComm_t comm) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  ncclResult_t st = ncclInProgress;
  while (std::chrono::steady_clock::now() < until) {
    ncclResult_t r = ncclCommGetAsyncError(comm, &st);
    if (r != ncclSuccess) return r;
    if (st != ncclInProgress) return st;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return ncclInProgress;
}

// AllReduce (sum of rank+1 over the comm, 1000 floats) on each comm of `comms`, driven from this
// thread inside one group; comms[i] must be rank firstRank + i of a comm of `total` ranks.
void groupedAllReduceCheck(const std::vector<ncclComm_t>& comms, int firstRank, int total) {
  const size_t c = 1000;
  std::vector<std::vector<float>> in(comms.size()), out(comms.size());
  for (size_t k = 0; k < comms.size(); ++k) {
    in[k].assign(c, float(firstRank + int(k) + 1));
    out[k].assign(c, -1);
  }
  MP_ASSERT_OK(ncclGroupStart());
  for (size_t k = 0; k < comms.size(); ++k)
    MP_ASSERT_OK(ncclAllReduce(in[k].data(), out[k].data(), c, ncclFloat32, ncclSum, comms[k], nullptr));
  MP_ASSERT_OK(ncclGroupEnd());
  for (size_t k = 0; k < comms.size(); ++k)
    for (size_t i = 0; i < c; ++i)
      ASSERT_EQ(out[k][i], float(total * (total + 1) / 2)) << "comm " << k << " element " << i;
}

TEST(Comm, InitAllOneThread) {
  MP_EXPECT_RUN(mp::run(1, [](mp::Rank&) {
    std::vector<ncclComm_t> comms(4, nullptr);
    MP_ASSERT_OK(ncclCommInitAll(comms.data(), 4, nullptr));
    for (int i = 0; i < 4; ++i) {
      ASSERT_NE(comms[i], nullptr);
      int count = -1, rank = -1;
      MP_ASSERT_OK(ncclCommCount(comms[i], &count));
      MP_ASSERT_OK(ncclCommUserRank(comms[i], &rank));
      EXPECT_EQ(count, 4);
      EXPECT_EQ(rank, i);
    }
    groupedAllReduceCheck(comms, 0, 4);
    // A second round, with a broadcast and an allgather in the same group.
    const size_t c = 777;
    std::vector<std::vector<int32_t>> b(4, std::vector<int32_t>(c)), g(4, std::vector<int32_t>(4 * c, -1));
    std::vector<std::vector<int32_t>> gin(4, std::vector<int32_t>(c));
    for (int k = 0; k < 4; ++k)
      for (size_t i = 0; i < c; ++i) b[k][i] = k == 2 ? int32_t(i * 5) : -1, gin[k][i] = int32_t(k * 10000 + i);
    MP_ASSERT_OK(ncclGroupStart());
    for (int k = 0; k < 4; ++k) {
      MP_ASSERT_OK(ncclBcast(b[k].data(), c, ncclInt32, 2, comms[k], nullptr));
      MP_ASSERT_OK(ncclAllGather(gin[k].data(), g[k].data(), c, ncclInt32, comms[k], nullptr));
    }
    MP_ASSERT_OK(ncclGroupEnd());
    for (int k = 0; k < 4; ++k)
      for (size_t i = 0; i < c; ++i) {
        ASSERT_EQ(b[k][i], int32_t(i * 5)) << "bcast comm " << k;
        for (int q = 0; q < 4; ++q) ASSERT_EQ(g[k][q * c + i], int32_t(q * 10000 + i)) << "allgather comm " << k;
      }
    for (auto c : comms) MP_EXPECT_OK(ncclCommDestroy(c));
  }, noComm()));
}

TEST(Comm, InitRankInGroupOneThread) {
  MP_EXPECT_RUN(mp::run(1, [](mp::Rank& R) {
    ncclUniqueId id = R.shareUniqueId();
    std::vector<ncclComm_t> comms(4, nullptr);
    MP_ASSERT_OK(ncclGroupStart());
    for (int i = 0; i < 4; ++i) MP_ASSERT_OK(ncclCommInitRank(&comms[i], 4, id, i));
    MP_ASSERT_OK(ncclGroupEnd());
    for (int i = 0; i < 4; ++i) ASSERT_NE(comms[i], nullptr) << "comm " << i;
    groupedAllReduceCheck(comms, 0, 4);
    for (auto c : comms) MP_EXPECT_OK(ncclCommDestroy(c));
  }, noComm()));
}

// Two processes with two ranks each, each process initialising its ranks in one group.
TEST(Comm, InitRankInGroupTwoRanksPerProcess) {
  MP_EXPECT_RUN(mp::run(2, [](mp::Rank& R) {
    ncclUniqueId id = R.shareUniqueId();
    std::vector<ncclComm_t> comms(2, nullptr);
    MP_ASSERT_OK(ncclGroupStart());
    for (int i = 0; i < 2; ++i) MP_ASSERT_OK(ncclCommInitRank(&comms[i], 4, id, 2 * R.rank + i));
    MP_ASSERT_OK(ncclGroupEnd());
    for (int i = 0; i < 2; ++i) {
      ASSERT_NE(comms[i], nullptr);
      int rank = -1;
      MP_ASSERT_OK(ncclCommUserRank(comms[i], &rank));
      EXPECT_EQ(rank, 2 * R.rank + i);
    }
    groupedAllReduceCheck(comms, 2 * R.rank, 4);
    for (auto c : comms) MP_EXPECT_OK(ncclCommDestroy(c));
  }, noComm()));
}

// Split by parity with keys reversing the order; then collectives on the new comms, and one
// group spanning the parent and the child comm.
class SplitTest : public ::testing::TestWithParam<int> {};

TEST_P(SplitTest, ParityReversedKeys) {
  MP_EXPECT_RUN(mp::run(GetParam(), [](mp::Rank& R) {
    const int n = R.nranks, me = R.rank, color = me % 2;
    ncclComm_t sub = nullptr;
    MP_ASSERT_OK(ncclCommSplit(R.comm, color, n - me, &sub, nullptr));
    ASSERT_NE(sub, nullptr);
    std::vector<int> members; // old ranks of my color, in new-rank order (descending)
    for (int q = n - 1; q >= 0; --q)
      if (q % 2 == color) members.push_back(q);
    int count = -1, subRank = -1;
    MP_ASSERT_OK(ncclCommCount(sub, &count));
    MP_ASSERT_OK(ncclCommUserRank(sub, &subRank));
    ASSERT_EQ(count, int(members.size()));
    int expectRank = 0;
    while (members[expectRank] != me) ++expectRank;
    EXPECT_EQ(subRank, expectRank) << "keys n-rank must reverse the order";

    // AllGather of old ranks shows the order; AllReduce sums my color only.
    int32_t mine = me;
    std::vector<int32_t> all(count, -1);
    MP_ASSERT_OK(ncclAllGather(&mine, all.data(), 1, ncclInt32, sub, nullptr));
    for (int k = 0; k < count; ++k) EXPECT_EQ(all[k], members[k]) << "sub rank " << k;
    int64_t v = me + 1, sum = 0, expect = 0;
    for (int q : members) expect += q + 1;
    MP_ASSERT_OK(ncclAllReduce(&v, &sum, 1, ncclInt64, ncclSum, sub, nullptr));
    EXPECT_EQ(sum, expect);

    // One group over both comms.
    int64_t w = 1, wsum = 0, s2 = 0;
    MP_ASSERT_OK(ncclGroupStart());
    MP_ASSERT_OK(ncclAllReduce(&w, &wsum, 1, ncclInt64, ncclSum, R.comm, nullptr));
    MP_ASSERT_OK(ncclAllReduce(&v, &s2, 1, ncclInt64, ncclSum, sub, nullptr));
    MP_ASSERT_OK(ncclGroupEnd());
    EXPECT_EQ(wsum, n);
    EXPECT_EQ(s2, expect);

    // Split of the split: everyone same color, key 0 keeps the order.
    ncclComm_t dup = nullptr;
    MP_ASSERT_OK(ncclCommSplit(sub, 7, 0, &dup, nullptr));
    ASSERT_NE(dup, nullptr);
    int dupRank = -1;
    MP_ASSERT_OK(ncclCommUserRank(dup, &dupRank));
    EXPECT_EQ(dupRank, subRank);
    int64_t d = 0;
    MP_ASSERT_OK(ncclAllReduce(&v, &d, 1, ncclInt64, ncclSum, dup, nullptr));
    EXPECT_EQ(d, expect);
    MP_EXPECT_OK(ncclCommDestroy(dup));
    MP_EXPECT_OK(ncclCommDestroy(sub));
  }));
}

INSTANTIATE_TEST_SUITE_P(Ranks, SplitTest, ::testing::Values(2, 4, 5),
                         [](const ::testing::TestParamInfo<int>& p) { return std::to_string(p.param) + "ranks"; });

// One thread holding several ranks splits them all inside one group (NCCL allows grouped
// ncclCommSplit calls for exactly this), then drives the new comms in one group.
TEST(Comm, SplitInsideGroupOneThread) {
  MP_EXPECT_RUN(mp::run(1, [](mp::Rank&) {
    std::vector<ncclComm_t> comms(4, nullptr), subs(4, nullptr);
    MP_ASSERT_OK(ncclCommInitAll(comms.data(), 4, nullptr));
    MP_ASSERT_OK(ncclGroupStart());
    for (int i = 0; i < 4; ++i) MP_ASSERT_OK(ncclCommSplit(comms[i], i % 2, i, &subs[i], nullptr));
    MP_ASSERT_OK(ncclGroupEnd());
    for (int i = 0; i < 4; ++i) {
      ASSERT_NE(subs[i], nullptr) << "sub comm " << i;
      int count = -1, rank = -1;
      MP_ASSERT_OK(ncclCommCount(subs[i], &count));
      MP_ASSERT_OK(ncclCommUserRank(subs[i], &rank));
      EXPECT_EQ(count, 2);
      EXPECT_EQ(rank, i / 2);
    }
    std::vector<int32_t> in(4), out(4, -1);
    MP_ASSERT_OK(ncclGroupStart());
    for (int i = 0; i < 4; ++i) {
      in[i] = i + 1;
      MP_ASSERT_OK(ncclAllReduce(&in[i], &out[i], 1, ncclInt32, ncclSum, subs[i], nullptr));
    }
    MP_ASSERT_OK(ncclGroupEnd());
    EXPECT_EQ(out[0], 1 + 3);
    EXPECT_EQ(out[2], 1 + 3);
    EXPECT_EQ(out[1], 2 + 4);
    EXPECT_EQ(out[3], 2 + 4);
    for (auto c : subs) MP_EXPECT_OK(ncclCommDestroy(c));
    for (auto c : comms) MP_EXPECT_OK(ncclCommDestroy(c));
  }, timeoutEnv(noComm(), 20)));
}

// A group of collectives on a nonblocking comm: ncclGroupEnd may return ncclInProgress and
// ncclCommGetAsyncError says when the group is done.
TEST(Comm, NonblockingGroup) {
  MP_EXPECT_RUN(mp::run(3, [](mp::Rank& R) {
    ncclUniqueId id = R.shareUniqueId();
    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.blocking = 0;
    ncclComm_t comm = nullptr;
    ncclResult_t r = ncclCommInitRankConfig(&comm, R.nranks, id, R.rank, &config);
    ASSERT_TRUE(r == ncclSuccess || r == ncclInProgress) << mp::resultName(r);
    ASSERT_EQ(waitReady(comm), ncclSuccess) << mp::lastError(comm);
    const size_t c = 200000;
    std::vector<float> a(c, 1.0f), ra(c, -1), b(c, float(R.rank)), rb(c, -1);
    std::vector<float> g(c * 3, -1);
    MP_ASSERT_OK(ncclGroupStart());
    r = ncclAllReduce(a.data(), ra.data(), c, ncclFloat32, ncclSum, comm, nullptr);
    ASSERT_TRUE(r == ncclSuccess || r == ncclInProgress) << mp::resultName(r);
    r = ncclAllReduce(b.data(), rb.data(), c, ncclFloat32, ncclMax, comm, nullptr);
    ASSERT_TRUE(r == ncclSuccess || r == ncclInProgress) << mp::resultName(r);
    r = ncclAllGather(b.data(), g.data(), c, ncclFloat32, comm, nullptr);
    ASSERT_TRUE(r == ncclSuccess || r == ncclInProgress) << mp::resultName(r);
    r = ncclGroupEnd();
    ASSERT_TRUE(r == ncclSuccess || r == ncclInProgress) << mp::resultName(r) << ": " << mp::lastError(comm);
    ASSERT_EQ(waitReady(comm), ncclSuccess) << mp::lastError(comm);
    for (size_t i = 0; i < c; i += 7) {
      ASSERT_EQ(ra[i], 3.0f) << "element " << i;
      ASSERT_EQ(rb[i], 2.0f) << "element " << i;
      for (int q = 0; q < 3; ++q) ASSERT_EQ(g[q * c + i], float(q)) << "element " << i;
    }
    MP_EXPECT_OK(ncclCommDestroy(comm));
  }, noComm()));
}

TEST(Comm, SplitNoColor) {
  MP_EXPECT_RUN(mp::run(3, [](mp::Rank& R) {
    const int me = R.rank;
    ncclComm_t sub = reinterpret_cast<ncclComm_t>(0x1); // must be overwritten
    int color = me == 1 ? NCCL_SPLIT_NOCOLOR : 0;
    MP_ASSERT_OK(ncclCommSplit(R.comm, color, me, &sub, nullptr));
    if (me == 1) {
      EXPECT_EQ(sub, nullptr) << "NCCL_SPLIT_NOCOLOR must give a NULL comm";
    } else {
      ASSERT_NE(sub, nullptr);
      int count = -1, rank = -1;
      MP_ASSERT_OK(ncclCommCount(sub, &count));
      MP_ASSERT_OK(ncclCommUserRank(sub, &rank));
      EXPECT_EQ(count, 2);
      EXPECT_EQ(rank, me == 0 ? 0 : 1);
      float x = float(me), y = -1;
      MP_ASSERT_OK(ncclAllReduce(&x, &y, 1, ncclFloat32, ncclMax, sub, nullptr));
      EXPECT_EQ(y, 2.0f);
      MP_EXPECT_OK(ncclCommDestroy(sub));
    }
    // The parent still works for everyone.
    int32_t a = 1, b = 0;
    MP_ASSERT_OK(ncclAllReduce(&a, &b, 1, ncclInt32, ncclSum, R.comm, nullptr));
    EXPECT_EQ(b, 3);
  }));
}

// Nonblocking communicators: init, collectives, split and finalize may return ncclInProgress;
// ncclCommGetAsyncError tells when they are done.
TEST(Comm, NonblockingInitAndCollectives) {
  MP_EXPECT_RUN(mp::run(3, [](mp::Rank& R) {
    ncclUniqueId id = R.shareUniqueId();
    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.blocking = 0;
    ncclComm_t comm = nullptr;
    ncclResult_t r = ncclCommInitRankConfig(&comm, R.nranks, id, R.rank, &config);
    ASSERT_TRUE(r == ncclSuccess || r == ncclInProgress) << mp::resultName(r) << ": " << mp::lastError();
    ASSERT_NE(comm, nullptr) << "a nonblocking init must still hand out the comm";
    ASSERT_EQ(waitReady(comm), ncclSuccess) << mp::lastError(comm);

    const size_t c = 100000;
    std::vector<double> in(c, R.rank + 0.5), out(c, -1);
    r = ncclAllReduce(in.data(), out.data(), c, ncclFloat64, ncclSum, comm, nullptr);
    ASSERT_TRUE(r == ncclSuccess || r == ncclInProgress) << mp::resultName(r) << ": " << mp::lastError(comm);
    ASSERT_EQ(waitReady(comm), ncclSuccess) << mp::lastError(comm);
    for (size_t i = 0; i < c; ++i) ASSERT_EQ(out[i], 0.5 + 1.5 + 2.5) << "element " << i;

    ncclComm_t sub = nullptr;
    r = ncclCommSplit(comm, 0, R.rank, &sub, nullptr);
    ASSERT_TRUE(r == ncclSuccess || r == ncclInProgress) << mp::resultName(r) << ": " << mp::lastError(comm);
    ASSERT_NE(sub, nullptr);
    ASSERT_EQ(waitReady(sub), ncclSuccess) << mp::lastError(sub);
    int32_t a = 2, b = 0;
    r = ncclAllReduce(&a, &b, 1, ncclInt32, ncclProd, sub, nullptr);
    ASSERT_TRUE(r == ncclSuccess || r == ncclInProgress) << mp::resultName(r);
    ASSERT_EQ(waitReady(sub), ncclSuccess);
    EXPECT_EQ(b, 8);

    for (ncclComm_t x : {sub, comm}) {
      r = ncclCommFinalize(x);
      ASSERT_TRUE(r == ncclSuccess || r == ncclInProgress) << mp::resultName(r) << ": " << mp::lastError(x);
      ASSERT_EQ(waitReady(x), ncclSuccess) << mp::lastError(x);
      MP_EXPECT_OK(ncclCommDestroy(x));
    }
  }, noComm()));
}

// Config variants: blocking = 1, a comm name, and an older (smaller) ncclConfig_t.
TEST(Comm, InitRankConfigVariants) {
  MP_EXPECT_RUN(mp::run(2, [](mp::Rank& R) {
    for (int variant = 0; variant < 4; ++variant) {
      ncclUniqueId id = R.shareUniqueId();
      ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
      ncclConfig_t* cfg = &config;
      switch (variant) {
        case 0: config.blocking = 1; break;
        case 1: config.commName = "hccl-mp-test"; config.splitShare = 1; break;
        case 2: // as compiled against NCCL 2.17: the struct ended before trafficClass
          config.size = offsetof(ncclConfig_t, trafficClass);
          config.version = NCCL_VERSION(2, 17, 1);
          break;
        case 3: cfg = nullptr; break;
      }
      ncclComm_t comm = nullptr;
      MP_ASSERT_OK(ncclCommInitRankConfig(&comm, R.nranks, id, R.rank, cfg));
      ASSERT_NE(comm, nullptr);
      int32_t a = variant + R.rank, b = 0;
      MP_ASSERT_OK(ncclAllReduce(&a, &b, 1, ncclInt32, ncclSum, comm, nullptr));
      EXPECT_EQ(b, 2 * variant + 1) << "variant " << variant;
      MP_EXPECT_OK(ncclCommDestroy(comm));
    }
  }, noComm()));
}

// nId = 1 and nId = 2 (ids made by rank 0 and rank n/2; every rank passes both).
TEST(Comm, InitRankScalable) {
  MP_EXPECT_RUN(mp::run(4, [](mp::Rank& R) {
    for (int nId : {1, 2}) {
      std::vector<ncclUniqueId> ids(nId);
      for (int k = 0; k < nId; ++k) ids[k] = R.shareUniqueId(k * R.nranks / nId);
      ncclComm_t comm = nullptr;
      MP_ASSERT_OK(ncclCommInitRankScalable(&comm, R.nranks, R.rank, nId, ids.data(), nullptr));
      ASSERT_NE(comm, nullptr);
      int rank = -1, count = -1;
      MP_ASSERT_OK(ncclCommUserRank(comm, &rank));
      MP_ASSERT_OK(ncclCommCount(comm, &count));
      EXPECT_EQ(rank, R.rank);
      EXPECT_EQ(count, R.nranks);
      std::vector<int32_t> in(1000, R.rank), out(4000, -1);
      MP_ASSERT_OK(ncclAllGather(in.data(), out.data(), 1000, ncclInt32, comm, nullptr));
      for (int i = 0; i < 4000; ++i) ASSERT_EQ(out[i], i / 1000) << "nId " << nId << " element " << i;
      MP_EXPECT_OK(ncclCommDestroy(comm));
    }
  }, noComm()));
}

TEST(Comm, FinalizeThenDestroy) {
  MP_EXPECT_RUN(mp::run(3, [](mp::Rank& R) {
    std::vector<int32_t> in(5000, 1), out(5000, 0);
    MP_ASSERT_OK(ncclAllReduce(in.data(), out.data(), 5000, ncclInt32, ncclSum, R.comm, nullptr));
    MP_ASSERT_OK(ncclCommFinalize(R.comm));
    ncclResult_t st = ncclInternalError;
    MP_ASSERT_OK(ncclCommGetAsyncError(R.comm, &st));
    EXPECT_EQ(st, ncclSuccess);
    MP_ASSERT_OK(ncclCommDestroy(R.comm));
    R.comm = nullptr;
    for (int v : out) ASSERT_EQ(v, 3);
  }));
}

// Abort of a healthy comm on every rank returns promptly.
TEST(Comm, AbortHealthyComm) {
  MP_EXPECT_RUN(mp::run(3, [](mp::Rank& R) {
    int32_t a = 1, b = 0;
    MP_ASSERT_OK(ncclAllReduce(&a, &b, 1, ncclInt32, ncclSum, R.comm, nullptr));
    auto t0 = std::chrono::steady_clock::now();
    MP_ASSERT_OK(ncclCommAbort(R.comm));
    R.comm = nullptr;
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_LT(secs, 5.0) << "ncclCommAbort took " << secs << " s";
  }));
}

TEST(Comm, Queries) {
  MP_EXPECT_RUN(mp::run(3, [](mp::Rank& R) {
    int count = -1, rank = -1, dev = -12345;
    MP_ASSERT_OK(ncclCommCount(R.comm, &count));
    MP_ASSERT_OK(ncclCommUserRank(R.comm, &rank));
    MP_ASSERT_OK(ncclCommCuDevice(R.comm, &dev));
    EXPECT_EQ(count, 3);
    EXPECT_EQ(rank, R.rank);
    EXPECT_NE(dev, -12345) << "ncclCommCuDevice must store a device index";
    EXPECT_GE(dev, -1) << "a CPU rank has no CUDA device: expected -1 or a valid index";
    ncclResult_t st = ncclInternalError;
    MP_ASSERT_OK(ncclCommGetAsyncError(R.comm, &st));
    EXPECT_EQ(st, ncclSuccess);
  }));
}

TEST(Comm, MemAllocAndRegister) {
  MP_EXPECT_RUN(mp::run(2, [](mp::Rank& R) {
    const size_t c = 1 << 18, bytes = c * sizeof(float);
    void *sbuf = nullptr, *rbuf = nullptr;
    MP_ASSERT_OK(ncclMemAlloc(&sbuf, bytes));
    MP_ASSERT_OK(ncclMemAlloc(&rbuf, bytes));
    ASSERT_NE(sbuf, nullptr);
    ASSERT_NE(rbuf, nullptr);
    float* s = static_cast<float*>(sbuf);
    for (size_t i = 0; i < c; ++i) s[i] = float(i % 100) + R.rank; // host-accessible on a CPU rank

    void *sh = nullptr, *rh = nullptr;
    MP_ASSERT_OK(ncclCommRegister(R.comm, sbuf, bytes, &sh));
    MP_ASSERT_OK(ncclCommRegister(R.comm, rbuf, bytes, &rh));
    std::vector<int32_t> plain(1000, R.rank + 1);
    void* ph = nullptr;
    MP_ASSERT_OK(ncclCommRegister(R.comm, plain.data(), plain.size() * 4, &ph)); // malloc'ed memory too

    for (int it = 0; it < 3; ++it) {
      MP_ASSERT_OK(ncclAllReduce(sbuf, rbuf, c, ncclFloat32, ncclSum, R.comm, nullptr));
      const float* out = static_cast<const float*>(rbuf);
      for (size_t i = 0; i < c; ++i) ASSERT_EQ(out[i], 2 * float(i % 100) + 1) << "element " << i;
    }
    MP_ASSERT_OK(ncclAllReduce(plain.data(), plain.data(), plain.size(), ncclInt32, ncclSum, R.comm, nullptr));
    for (int v : plain) ASSERT_EQ(v, 3);

    MP_EXPECT_OK(ncclCommDeregister(R.comm, ph));
    MP_EXPECT_OK(ncclCommDeregister(R.comm, sh));
    MP_EXPECT_OK(ncclCommDeregister(R.comm, rh));
    // Still usable after deregistration.
    MP_ASSERT_OK(ncclAllReduce(sbuf, rbuf, c, ncclFloat32, ncclMax, R.comm, nullptr));
    EXPECT_EQ(static_cast<float*>(rbuf)[5], 6.0f);
    MP_EXPECT_OK(ncclMemFree(sbuf));
    MP_EXPECT_OK(ncclMemFree(rbuf));
  }));
}

TEST(Library, VersionAndErrorStrings) {
  MP_EXPECT_RUN(mp::run(1, [](mp::Rank&) {
    int v = 0;
    MP_ASSERT_OK(ncclGetVersion(&v));
    EXPECT_EQ(v, 22809);
    EXPECT_EQ(v, NCCL_VERSION_CODE);
    EXPECT_EQ(NCCL_VERSION(NCCL_MAJOR, NCCL_MINOR, NCCL_PATCH), 22809);
    std::set<std::string> seen;
    for (int r = 0; r < int(ncclNumResults); ++r) {
      const char* s = ncclGetErrorString(ncclResult_t(r));
      ASSERT_NE(s, nullptr) << "result " << r;
      EXPECT_GT(std::strlen(s), 0u) << "result " << r;
      EXPECT_TRUE(seen.insert(s).second) << "result " << r << " shares its text: " << s;
    }
    for (int r : {int(ncclNumResults), 99, -1}) {
      const char* s = ncclGetErrorString(ncclResult_t(r));
      ASSERT_NE(s, nullptr) << "out-of-range result " << r;
    }
    const char* e = ncclGetLastError(nullptr);
    ASSERT_NE(e, nullptr) << "ncclGetLastError never returns NULL";
  }, noComm()));
}

} // namespace
