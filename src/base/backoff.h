// How hccl waits for something another thread, process or device will do: spin while it is
// likely microseconds away, then yield the core, then sleep. With more ranks than cores,
// spinning only delays the thread being waited for, so such waits yield at once. Every wait of
// hccl's (the executor's progress loop, a GPU rank's stream gates) backs off this one way.
// tick() is inline: it runs once per idle round of the hottest loops.
#pragma once

#include <chrono>
#include <cstdint>

#include "base/clock.h"
#include "base/cpu_relax.h"

namespace hccl {

class Backoff {
 public:
  enum class Step { Spin, Yield, Sleep };

  static constexpr uint32_t kClockRounds = 64;  // spin rounds between clock reads
  static constexpr auto kSpinTime = std::chrono::microseconds(10);
  static constexpr auto kYieldTime = std::chrono::milliseconds(2);

  explicit Backoff(bool yieldAtOnce = false) : yieldAtOnce_(yieldAtOnce) {}

  bool yieldsAtOnce() const { return yieldAtOnce_; }
  // Something moved: the next idle round starts a new wait.
  void reset() { rounds_ = 0; }
  // One round in which nothing moved. Most rounds only relax the CPU and return false; every
  // kClockRounds-th round (every round when yielding at once) reads the clock and returns true:
  // the caller's moment for its slower checks (timeouts, liveness) and to take step().
  bool tick() {
    if (rounds_++ == 0) since_ = now_ = Clock::now();
    if (!yieldAtOnce_ && rounds_ % kClockRounds != 0) {
      cpuRelax();
      return false;
    }
    now_ = Clock::now();
    return true;
  }
  // How long nothing has moved, as of the last tick that read the clock.
  Clock::duration idle() const { return now_ - since_; }
  Clock::time_point now() const { return now_; }
  // What the wait should do now: spin on, yield the core, or sleep (the caller knows how: on its
  // descriptors, say, or with rest()).
  Step step() const;
  // step() taken the plain way: nothing, a yield, or a 50 us sleep.
  void rest() const;

 private:
  bool yieldAtOnce_;
  uint32_t rounds_ = 0;
  Clock::time_point since_, now_;
};

}  // namespace hccl
