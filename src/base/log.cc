#include "base/log.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>

#include "base/params.h"

namespace hccl {

LogState gLog;

namespace {

StringParam debugParam("DEBUG", "", "log level: VERSION, WARN, INFO or TRACE");
StringParam subsysParam("DEBUG_SUBSYS", "INIT,BOOTSTRAP,ENV,GRAPH,TUNING",
                        "comma-separated subsystems to log (ALL; ^ excludes)");
StringParam fileParam("DEBUG_FILE", "", "log to this file instead of stdout (%h host, %p pid)");

std::mutex gLogMutex;
FILE* gLogFile = stdout;
char gHost[64] = "";
thread_local int tRank = -1;

LogLevel parseLevel(const std::string& text) {
  if (strcasecmp(text.c_str(), "VERSION") == 0) return LogLevel::Version;
  if (strcasecmp(text.c_str(), "WARN") == 0) return LogLevel::Warn;
  if (strcasecmp(text.c_str(), "INFO") == 0) return LogLevel::Info;
  if (strcasecmp(text.c_str(), "TRACE") == 0) return LogLevel::Trace;
  return LogLevel::None;
}

uint32_t parseSubsys(const std::string& text) {
  static const struct { const char* name; uint32_t bit; } kNames[] = {
      {"INIT", kLogInit}, {"COLL", kLogColl}, {"P2P", kLogP2p}, {"SHM", kLogShm},
      {"NET", kLogNet}, {"GRAPH", kLogGraph}, {"TUNING", kLogTune}, {"ENV", kLogEnv},
      {"ALLOC", kLogAlloc}, {"CALL", kLogCall}, {"BOOTSTRAP", kLogBootstrap}, {"ALL", kLogAll}};
  bool invert = !text.empty() && text[0] == '^';
  uint32_t mask = 0;
  size_t pos = invert ? 1 : 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string token = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    for (const auto& entry : kNames)
      if (strcasecmp(token.c_str(), entry.name) == 0) mask |= entry.bit;
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return invert ? ~mask : mask;
}

// Expands %h and %p in NCCL_DEBUG_FILE.
std::string expandFileName(const std::string& pattern) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '%' && i + 1 < pattern.size()) {
      char c = pattern[++i];
      if (c == 'h') { out += gHost; continue; }
      if (c == 'p') { out += std::to_string(getpid()); continue; }
      if (c == '%') { out += '%'; continue; }
      out += '%';
    }
    out += pattern[i];
  }
  return out;
}

void readEnvironment() {
  gethostname(gHost, sizeof(gHost) - 1);
  if (char* dot = strchr(gHost, '.')) *dot = '\0';
  std::string file = fileParam.get();
  if (gLogFile != stdout && gLogFile != nullptr) fclose(gLogFile);
  gLogFile = stdout;
  if (!file.empty()) {
    if (FILE* f = fopen(expandFileName(file).c_str(), "w")) {
      setvbuf(f, nullptr, _IOLBF, 0);
      gLogFile = f;
    }
  }
  gLog.subsysMask.store(parseSubsys(subsysParam.get()), std::memory_order_relaxed);
  gLog.level.store(static_cast<int>(parseLevel(debugParam.get())), std::memory_order_release);
}

}  // namespace

void logInit() {
  std::lock_guard<std::mutex> lock(gLogMutex);
  if (gLog.level.load(std::memory_order_acquire) >= 0) return;
  readEnvironment();
}

void logReset() {
  std::lock_guard<std::mutex> lock(gLogMutex);
  readEnvironment();
}

void logSetThreadRank(int rank) { tRank = rank; }

void logPrint(LogLevel level, uint32_t subsys, const char* file, int line, const char* fmt, ...) {
  static const char* kLevelNames[] = {"", "VERSION", "WARN", "INFO", "TRACE"};
  (void)subsys;
  char message[1024];
  va_list args;
  va_start(args, fmt);
  vsnprintf(message, sizeof(message), fmt, args);
  va_end(args);
  const char* base = strrchr(file, '/');
  base = base ? base + 1 : file;
  std::lock_guard<std::mutex> lock(gLogMutex);
  if (level == LogLevel::Trace) {
    fprintf(gLogFile, "%s:%d:%ld [%d] HCCL %s %s:%d %s\n", gHost, getpid(),
            static_cast<long>(syscall(SYS_gettid)), tRank, kLevelNames[static_cast<int>(level)],
            base, line, message);
  } else {
    fprintf(gLogFile, "%s:%d:%ld [%d] HCCL %s %s\n", gHost, getpid(),
            static_cast<long>(syscall(SYS_gettid)), tRank, kLevelNames[static_cast<int>(level)],
            message);
  }
  fflush(gLogFile);
}

}  // namespace hccl
