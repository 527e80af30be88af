// fault_test.cc: nothing hangs. A rank that dies makes the survivors' operations fail within
// HCCL_TIMEOUT; ncclCommAbort from another thread ends a collective that cannot complete; a
// peer that never shows up makes init and collectives fail within HCCL_TIMEOUT; and
// ncclCommAbort returns promptly in every case.
#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>
#include <vector>

#include "mp_harness.h"

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

mp::Options faultOpts(int timeoutSec, std::vector<int> mayDie, bool tcp = false) {
  mp::Options o;
  o.env.push_back({"HCCL_TIMEOUT", std::to_string(timeoutSec)});
  if (tcp) o.env.push_back({"NCCL_SHM_DISABLE", "1"});
  o.mayDie = std::move(mayDie);
  o.timeoutSec = 150;
  o.failGraceSec = 60; // survivors are expected to take up to HCCL_TIMEOUT after a death
  return o;
}

// After an error, the comm reports it (or at least not success) and ncclCommAbort is prompt.
void abortPromptly(mp::Rank& R) {
  auto t = Clock::now();
  ncclResult_t r = ncclCommAbort(R.comm);
  R.comm = nullptr;
  EXPECT_EQ(r, ncclSuccess) << "ncclCommAbort -> " << mp::resultName(r);
  EXPECT_LT(since(t), 10.0) << "ncclCommAbort must return promptly";
}

// Did the operation fail, either through its result or through the comm's async error?
bool failedSomehow(ncclComm_t comm, ncclResult_t r, std::string* detail) {
  ncclResult_t st = ncclSuccess;
  ncclResult_t q = ncclCommGetAsyncError(comm, &st);
  *detail = "result " + mp::resultName(r) + ", ncclCommGetAsyncError -> " + mp::resultName(q) +
            " with async error " + mp::resultName(st) + ", last error \"" + mp::lastError(comm) + "\"";
  if (r != ncclSuccess && r != ncclInProgress) return true;
  return q == ncclSuccess && st != ncclSuccess && st != ncclInProgress;
}

// The dead-rank tests run over shared memory and over TCP (NCCL_SHM_DISABLE=1).
class DeadRank : public ::testing::TestWithParam<bool> {};

// Rank 3 of 4 dies (SIGKILL) before joining a large AllReduce.
TEST_P(DeadRank, DiesBeforeCollective) {
  MP_EXPECT_RUN(mp::run(4, [](mp::Rank& R) {
    R.barrier(); // everyone has a comm
    if (R.rank == 3) raise(SIGKILL);
    const size_t c = 4 << 20;
    std::vector<float> in(c, 1.0f), out(c, 0.0f);
    auto t = Clock::now();
    ncclResult_t r = ncclAllReduce(in.data(), out.data(), c, ncclFloat32, ncclSum, R.comm, nullptr);
    double secs = since(t);
    std::string detail;
    EXPECT_TRUE(failedSomehow(R.comm, r, &detail)) << "a peer died, yet: " << detail;
    EXPECT_LT(secs, 30.0) << "the AllReduce took " << secs << " s with HCCL_TIMEOUT=20";
    abortPromptly(R);
  }, faultOpts(20, {3}, GetParam())));
}

// Rank 3 of 4 dies in the middle of a stream of large AllReduces.
TEST_P(DeadRank, DiesDuringCollectives) {
  MP_EXPECT_RUN(mp::run(4, [](mp::Rank& R) {
    const size_t c = 4 << 20;
    std::vector<float> in(c, 1.0f), out(c, 0.0f);
    R.barrier();
    if (R.rank == 3) {
      std::thread([] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        raise(SIGKILL);
      }).detach();
      for (;;) (void)ncclAllReduce(in.data(), out.data(), c, ncclFloat32, ncclSum, R.comm, nullptr);
    }
    auto start = Clock::now();
    for (int it = 0;; ++it) {
      auto t = Clock::now();
      ncclResult_t r = ncclAllReduce(in.data(), out.data(), c, ncclFloat32, ncclSum, R.comm, nullptr);
      double secs = since(t);
      ASSERT_LT(secs, 30.0) << "AllReduce " << it << " took " << secs << " s with HCCL_TIMEOUT=20";
      std::string detail;
      if (failedSomehow(R.comm, r, &detail)) break;
      for (size_t i = 0; i < c; i += 4099) ASSERT_EQ(out[i], 4.0f) << "a successful AllReduce must be right";
      ASSERT_LT(since(start), 60.0) << "still succeeding " << since(start) << " s after a rank died";
    }
    abortPromptly(R);
  }, faultOpts(20, {3}, GetParam())));
}

// The peer of a p2p receive dies.
TEST_P(DeadRank, PeerDiesDuringRecv) {
  MP_EXPECT_RUN(mp::run(2, [](mp::Rank& R) {
    R.barrier();
    if (R.rank == 1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      raise(SIGKILL);
    }
    std::vector<char> buf(1 << 20);
    auto t = Clock::now();
    ncclResult_t r = ncclRecv(buf.data(), buf.size(), ncclInt8, 1, R.comm, nullptr);
    std::string detail;
    EXPECT_TRUE(failedSomehow(R.comm, r, &detail)) << detail;
    EXPECT_LT(since(t), 30.0);
    abortPromptly(R);
  }, faultOpts(20, {1}, GetParam())));
}

// Ranks that do not depend on the dead rank carry on: p2p between ranks 0 and 1 succeeds after
// rank 3 died ("a dead peer becomes ncclRemoteError on every rank that depends on it").
TEST_P(DeadRank, UnrelatedP2PCarriesOn) {
  MP_EXPECT_RUN(mp::run(4, [](mp::Rank& R) {
    R.barrier();
    if (R.rank == 3) raise(SIGKILL);
    if (R.rank == 2) return; // idle; its comm is destroyed at the end
    std::this_thread::sleep_for(std::chrono::milliseconds(300)); // rank 3 is gone by now
    const int peer = 1 - R.rank;
    for (int it = 0; it < 10; ++it) {
      std::vector<int32_t> out(100000, R.rank * 1000 + it), in(100000, -1);
      MP_ASSERT_OK(ncclGroupStart());
      MP_ASSERT_OK(ncclSend(out.data(), out.size(), ncclInt32, peer, R.comm, nullptr));
      MP_ASSERT_OK(ncclRecv(in.data(), in.size(), ncclInt32, peer, R.comm, nullptr));
      MP_ASSERT_OK(ncclGroupEnd());
      ASSERT_EQ(in[99999], peer * 1000 + it);
    }
    abortPromptly(R);
  }, faultOpts(20, {3}, GetParam())));
}

// Rank 0 starts an operation its peer never joins; another thread aborts the comm after 1 s.
// The operation returns a non-success result promptly and ncclCommAbort returns.
enum class Blocked { AllReduce, Recv, GroupedSendRecv };

class AbortFromThread : public ::testing::TestWithParam<Blocked> {};

TEST_P(AbortFromThread, EndsBlockedOperation) {
  const Blocked what = GetParam();
  MP_EXPECT_RUN(mp::run(2, [what](mp::Rank& R) {
    R.barrier(); // both have a comm
    if (R.rank == 1) {
      R.barrier(); // wait (sleeping) until rank 0 is done, never joining its operation
      auto t = Clock::now();
      EXPECT_EQ(ncclCommAbort(R.comm), ncclSuccess);
      R.comm = nullptr;
      EXPECT_LT(since(t), 10.0) << "ncclCommAbort on the idle peer";
      return;
    }
    std::atomic<double> abortSecs{-1};
    std::atomic<int> abortResult{-1};
    ncclComm_t comm = R.comm;
    std::thread aborter([&] {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      auto t = Clock::now();
      abortResult = int(ncclCommAbort(comm));
      abortSecs = since(t);
    });
    const size_t c = 1 << 20;
    std::vector<float> in(c, 1.0f), out(c, 0.0f);
    auto t = Clock::now();
    ncclResult_t r = ncclSuccess;
    switch (what) {
      case Blocked::AllReduce: r = ncclAllReduce(in.data(), out.data(), c, ncclFloat32, ncclSum, comm, nullptr); break;
      case Blocked::Recv: r = ncclRecv(out.data(), c, ncclFloat32, 1, comm, nullptr); break;
      case Blocked::GroupedSendRecv:
        r = ncclGroupStart();
        if (r == ncclSuccess) r = ncclSend(in.data(), c, ncclFloat32, 1, comm, nullptr);
        if (r == ncclSuccess) r = ncclRecv(out.data(), c, ncclFloat32, 1, comm, nullptr);
        {
          ncclResult_t e = ncclGroupEnd();
          if (r == ncclSuccess) r = e;
        }
        break;
    }
    double secs = since(t);
    aborter.join();
    R.comm = nullptr; // aborted
    EXPECT_NE(r, ncclSuccess) << "the operation cannot have completed: its peer never joined";
    EXPECT_NE(r, ncclInProgress) << "a blocking comm returned ncclInProgress";
    EXPECT_GE(secs, 0.9) << "returned before the abort";
    EXPECT_LT(secs, 5.0) << "the operation returned " << secs << " s after it started (abort at 1 s)";
    EXPECT_EQ(abortResult.load(), int(ncclSuccess)) << "ncclCommAbort result";
    EXPECT_GE(abortSecs.load(), 0.0);
    EXPECT_LT(abortSecs.load(), 5.0) << "ncclCommAbort took too long";
    R.barrier(); // release rank 1
  }, faultOpts(120, {})));
}

INSTANTIATE_TEST_SUITE_P(Ops, AbortFromThread,
                         ::testing::Values(Blocked::AllReduce, Blocked::Recv, Blocked::GroupedSendRecv),
                         [](const ::testing::TestParamInfo<Blocked>& p) {
                           switch (p.param) {
                             case Blocked::AllReduce: return std::string("AllReduce");
                             case Blocked::Recv: return std::string("Recv");
                             default: return std::string("GroupedSendRecv");
                           }
                         });

// A peer alive but absent: the collective fails by itself within HCCL_TIMEOUT (5 s).
TEST(Faults, CollectiveTimesOutWithoutAbort) {
  MP_EXPECT_RUN(mp::run(2, [](mp::Rank& R) {
    R.barrier();
    if (R.rank == 1) {
      R.barrier(); // never joins rank 0's AllReduce
      abortPromptly(R);
      return;
    }
    std::vector<float> in(1000, 1.0f), out(1000);
    auto t = Clock::now();
    ncclResult_t r = ncclAllReduce(in.data(), out.data(), 1000, ncclFloat32, ncclSum, R.comm, nullptr);
    double secs = since(t);
    std::string detail;
    EXPECT_TRUE(failedSomehow(R.comm, r, &detail)) << detail;
    EXPECT_LT(secs, 15.0) << "HCCL_TIMEOUT=5 must bound the wait; took " << secs << " s";
    abortPromptly(R);
    R.barrier();
  }, faultOpts(5, {})));
}

// The rank that made the unique id (and serves the bootstrap) dies before the others call
// ncclCommInitRank: their init fails within HCCL_TIMEOUT (5 s).
TEST(Faults, InitFailsWhenTheIdOwnerDies) {
  mp::Options o = faultOpts(5, {0});
  o.initComm = false;
  MP_EXPECT_RUN(mp::run(3, [](mp::Rank& R) {
    ncclUniqueId id = R.shareUniqueId();
    R.barrier();
    if (R.rank == 0) raise(SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ncclComm_t comm = nullptr;
    auto t = Clock::now();
    ncclResult_t r = ncclCommInitRank(&comm, 3, id, R.rank);
    double secs = since(t);
    EXPECT_NE(r, ncclSuccess) << "init cannot succeed without rank 0";
    EXPECT_LT(secs, 15.0) << "HCCL_TIMEOUT=5 must bound init; took " << secs << " s";
    if (comm != nullptr) (void)ncclCommAbort(comm);
  }, o));
}

// A nonblocking init that cannot complete (rank 1 never joins) is ended by ncclCommAbort.
TEST(Faults, AbortDuringNonblockingInit) {
  mp::Options o = faultOpts(60, {});
  o.initComm = false;
  MP_EXPECT_RUN(mp::run(2, [](mp::Rank& R) {
    ncclUniqueId id = R.shareUniqueId();
    if (R.rank == 1) {
      R.barrier(); // never calls ncclCommInitRank
      return;
    }
    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.blocking = 0;
    ncclComm_t comm = nullptr;
    ncclResult_t r = ncclCommInitRankConfig(&comm, 2, id, 0, &config);
    ASSERT_TRUE(r == ncclInProgress || r == ncclSuccess) << mp::resultName(r);
    ASSERT_NE(comm, nullptr);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    ncclResult_t st = ncclSuccess;
    MP_ASSERT_OK(ncclCommGetAsyncError(comm, &st));
    EXPECT_EQ(st, ncclInProgress) << "init cannot be complete without rank 1";
    auto t = Clock::now();
    EXPECT_EQ(ncclCommAbort(comm), ncclSuccess);
    EXPECT_LT(since(t), 5.0) << "ncclCommAbort of a bootstrapping comm";
    R.barrier();
  }, o));
}

// Rank 1 waits in a receive from rank 0; rank 0 never sends but aborts its comm after 1 s.
// Rank 1, which depends only on rank 0, gets an error well before HCCL_TIMEOUT (60 s).
// (Stricter than NCCL, which has no timeout at all: an aborted rank's comm is gone, and its
// peers should learn so as they would from a dead process, on every transport.)
TEST_P(DeadRank, PeerOfAnAbortedRankFails) {
  MP_EXPECT_RUN(mp::run(2, [](mp::Rank& R) {
    R.barrier();
    if (R.rank == 0) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      abortPromptly(R);
      R.barrier();
      return;
    }
    std::vector<float> in(100000, -1.0f);
    auto t = Clock::now();
    ncclResult_t r = ncclRecv(in.data(), in.size(), ncclFloat32, 0, R.comm, nullptr);
    double secs = since(t);
    std::string detail;
    EXPECT_TRUE(failedSomehow(R.comm, r, &detail)) << detail;
    EXPECT_LT(secs, 30.0) << "rank 1 waited " << secs << " s after its peer aborted (HCCL_TIMEOUT=60)";
    abortPromptly(R);
    R.barrier();
  }, faultOpts(60, {}, GetParam())));
}

// ncclCommInitRank with a rank that never joins fails within HCCL_TIMEOUT (5 s).
TEST(Faults, InitTimesOutWhenARankNeverJoins) {
  mp::Options o = faultOpts(5, {});
  o.initComm = false;
  MP_EXPECT_RUN(mp::run(2, [](mp::Rank& R) {
    ncclUniqueId id = R.shareUniqueId();
    if (R.rank == 1) {
      R.barrier(); // never calls ncclCommInitRank
      return;
    }
    ncclComm_t comm = nullptr;
    auto t = Clock::now();
    ncclResult_t r = ncclCommInitRank(&comm, 2, id, 0);
    double secs = since(t);
    EXPECT_NE(r, ncclSuccess) << "init cannot succeed without rank 1";
    EXPECT_LT(secs, 15.0) << "HCCL_TIMEOUT=5 must bound init; took " << secs << " s";
    if (comm != nullptr) {
      auto t2 = Clock::now();
      (void)ncclCommAbort(comm);
      EXPECT_LT(since(t2), 10.0);
    }
    R.barrier();
  }, o));
}

INSTANTIATE_TEST_SUITE_P(Transports, DeadRank, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& p) { return std::string(p.param ? "Tcp" : "Shm"); });

} // namespace
