#include "base/backoff.h"

#include <sched.h>
#include <unistd.h>

namespace hccl {

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
