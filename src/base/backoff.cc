#include "base/backoff.h"

#include <sched.h>
#include <unistd.h>

#include "base/cpu_relax.h"

namespace hccl {

bool Backoff::tick() {
  if (rounds_++ == 0) since_ = now_ = Clock::now();
  if (!yieldAtOnce_ && rounds_ % kClockRounds != 0) {
    cpuRelax();
    return false;
  }
  now_ = Clock::now();
  return true;
}

Backoff::Step Backoff::step() const {
  if (!yieldAtOnce_ && idle() < kSpinTime) return Step::Spin;
  return idle() < kYieldTime ? Step::Yield : Step::Sleep;
}

void Backoff::rest() const {
  switch (step()) {
    case Step::Spin: return;
    case Step::Yield: sched_yield(); return;
    case Step::Sleep: usleep(50); return;
  }
}

}  // namespace hccl
