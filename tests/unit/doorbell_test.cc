// The doorbell (transport/shm/doorbell.h): a ring wakes a sleeper in another process at once, a
// ring between arm() and sleep() is never slept through, and a sleep without a ring ends at its
// timeout.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "transport/shm/doorbell.h"

namespace hccl {
namespace {

std::string freshName() {
  static int serial = 0;
  return "/hccl-test-bell-" + std::to_string(getpid()) + "-" + std::to_string(serial++);
}

double secondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

TEST(Doorbell, RingWakesASleeperInAnotherProcess) {
  Doorbell mine;
  ASSERT_EQ(mine.create(freshName()), Status::Success);
  const uint32_t armed = mine.arm();
  const pid_t child = fork();
  if (child == 0) {
    Doorbell theirs;
    if (failed(theirs.open(mine.name()))) _exit(1);
    usleep(100 * 1000);
    theirs.ring();
    _exit(0);
  }
  const auto start = std::chrono::steady_clock::now();
  mine.sleep(armed, 5000000);
  const double slept = secondsSince(start);
  mine.disarm();
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_GE(slept, 0.05) << "woke before the ring";
  EXPECT_LT(slept, 2.0) << "slept through the ring until near the timeout";
}

TEST(Doorbell, ARingAfterArmIsNotSleptThrough) {
  Doorbell mine, theirs;
  ASSERT_EQ(mine.create(freshName()), Status::Success);
  ASSERT_EQ(theirs.open(mine.name()), Status::Success);
  const uint32_t armed = mine.arm();
  theirs.ring();  // between the last check for work and the sleep
  const auto start = std::chrono::steady_clock::now();
  mine.sleep(armed, 5000000);
  mine.disarm();
  EXPECT_LT(secondsSince(start), 1.0);
}

TEST(Doorbell, SleepEndsAtItsTimeoutWithoutARing) {
  Doorbell mine;
  ASSERT_EQ(mine.create(freshName()), Status::Success);
  const auto start = std::chrono::steady_clock::now();
  mine.sleep(mine.arm(), 20000);
  mine.disarm();
  const double slept = secondsSince(start);
  EXPECT_GE(slept, 0.015);
  EXPECT_LT(slept, 2.0);
}

TEST(Doorbell, ANameThatIsNotADoorbellIsRefused) {
  Doorbell theirs;
  EXPECT_NE(theirs.open("/hccl-test-no-such-bell"), Status::Success);
}

}  // namespace
}  // namespace hccl
