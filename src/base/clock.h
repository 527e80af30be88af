// The one clock hccl measures waits with, and deadlines on it. Waits on peers are bounded
// (HCCL_TIMEOUT), so calls that block on them take a Deadline.
#pragma once

#include <chrono>

namespace hccl {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

// The deadline `seconds` from now (HCCL_TIMEOUT's unit).
inline Deadline deadlineIn(double seconds) {
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

inline Clock::duration secondsToDuration(double seconds) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

}  // namespace hccl
