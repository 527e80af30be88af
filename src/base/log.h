// Prefixed, levelled logging. NCCL_DEBUG / HCCL_DEBUG pick the level, NCCL_DEBUG_SUBSYS the
// subsystems, NCCL_DEBUG_FILE the destination (%h host, %p pid). The level is checked before
// any formatting happens.
#pragma once

#include <atomic>
#include <cstdint>

namespace hccl {

enum class LogLevel : int { None = 0, Version = 1, Warn = 2, Info = 3, Trace = 4 };

enum LogSubsys : uint32_t {
  kLogInit = 1u << 0,
  kLogColl = 1u << 1,
  kLogP2p = 1u << 2,
  kLogShm = 1u << 3,
  kLogNet = 1u << 4,
  kLogGraph = 1u << 5,
  kLogTune = 1u << 6,
  kLogEnv = 1u << 7,
  kLogAlloc = 1u << 8,
  kLogCall = 1u << 9,
  kLogBootstrap = 1u << 10,
  kLogAll = ~0u,
};

struct LogState {
  std::atomic<int> level{-1};  // -1: not read from the environment yet
  std::atomic<uint32_t> subsysMask{0};
};
extern LogState gLog;

void logInit();   // reads the environment (idempotent)
void logReset();  // re-reads it (ncclResetDebugInit)
void logPrint(LogLevel level, uint32_t subsys, const char* file, int line, const char* fmt, ...)
    __attribute__((format(printf, 5, 6)));
// The rank shown in log lines of this thread ("-" when unknown).
void logSetThreadRank(int rank);

inline bool logEnabled(LogLevel level, uint32_t subsys) {
  int current = gLog.level.load(std::memory_order_relaxed);
  if (current < 0) {
    logInit();
    current = gLog.level.load(std::memory_order_relaxed);
  }
  return current >= static_cast<int>(level) &&
         (level <= LogLevel::Warn || (gLog.subsysMask.load(std::memory_order_relaxed) & subsys));
}

}  // namespace hccl

#define HCCL_LOG(level, subsys, ...)                                                    \
  do {                                                                                  \
    if (::hccl::logEnabled(level, subsys))                                              \
      ::hccl::logPrint(level, subsys, __FILE__, __LINE__, __VA_ARGS__);                 \
  } while (0)
#define HCCL_WARN(...) HCCL_LOG(::hccl::LogLevel::Warn, ::hccl::kLogAll, __VA_ARGS__)
#define HCCL_INFO(subsys, ...) HCCL_LOG(::hccl::LogLevel::Info, ::hccl::kLog##subsys, __VA_ARGS__)
#define HCCL_TRACE(subsys, ...) HCCL_LOG(::hccl::LogLevel::Trace, ::hccl::kLog##subsys, __VA_ARGS__)
