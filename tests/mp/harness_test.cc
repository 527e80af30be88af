// harness_test.cc: the multi-process harness itself must fail when a rank fails, crashes,
// hangs or dies, and pass otherwise (so that the other tests can fail at all).
#include <csignal>
#include <cstdlib>
#include <string>
#include <thread>

#include "mp_harness.h"

namespace {

mp::Options plain() {
  mp::Options o;
  o.initComm = false;
  return o;
}

TEST(Harness, PassesWhenAllRanksPass) {
  MP_EXPECT_RUN(mp::run(3, [](mp::Rank& R) {
    auto all = R.allgatherValue(R.rank * 10);
    for (int q = 0; q < R.nranks; ++q) EXPECT_EQ(all[q], q * 10);
    int v = R.rank == 2 ? 42 : 0;
    R.broadcast(&v, sizeof(v), 2);
    EXPECT_EQ(v, 42);
  }, plain()));
}

TEST(Harness, ReportsAFailedAssertionWithItsRank) {
  auto r = mp::run(3, [](mp::Rank& R) { EXPECT_EQ(R.rank, 0) << "marker-xyz"; }, plain());
  ASSERT_FALSE(r);
  std::string msg = r.message();
  EXPECT_NE(msg.find("rank 1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("rank 2"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("rank 0 "), std::string::npos) << msg;
  EXPECT_NE(msg.find("marker-xyz"), std::string::npos) << msg;
}

TEST(Harness, ReportsACrash) {
  auto r = mp::run(2, [](mp::Rank& R) {
    if (R.rank == 1) std::abort();
  }, plain());
  ASSERT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("signal"), std::string::npos) << r.message();
}

TEST(Harness, KillsAHungRank) {
  mp::Options o = plain();
  o.timeoutSec = 2;
  auto r = mp::run(2, [](mp::Rank& R) {
    if (R.rank == 0) std::this_thread::sleep_for(std::chrono::seconds(60));
  }, o);
  ASSERT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("timeout"), std::string::npos) << r.message();
}

TEST(Harness, AllowsAnExpectedDeathOnly) {
  mp::Options o = plain();
  o.mayDie = {1};
  MP_EXPECT_RUN(mp::run(2, [](mp::Rank& R) {
    if (R.rank == 1) raise(SIGKILL);
  }, o));
  EXPECT_FALSE(mp::run(2, [](mp::Rank& R) {
    if (R.rank == 0) raise(SIGKILL);
  }, o));
}

TEST(Harness, ReportsAnException) {
  auto r = mp::run(2, [](mp::Rank& R) {
    if (R.rank == 0) throw std::runtime_error("boom-123");
  }, plain());
  ASSERT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("boom-123"), std::string::npos) << r.message();
}

} // namespace
