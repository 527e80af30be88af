// A program written for NCCL, as a user would write it: compiled against NVIDIA's nccl.h
// (NCCL 2.28.9), but linked and run with hccl's libnccl.so.2. Four processes, one CPU rank
// each (host memory, NULL stream). Exit code 0 only if every check on every rank passed.
//
//   hccl_abi_conformance [--any-library]
//
// Before forking it makes sure that ncclGetVersion resolves into hccl's library (the one in
// HCCL_ABI_EXPECTED_LIB_DIR), not NVIDIA's; --any-library skips that check.
// HCCL_ABI_CONFORMANCE_TIMEOUT (seconds, default 100) bounds the whole run.
#include <nccl.h>

#if defined(HCCL_H_)
#error "the conformance program must be compiled against NVIDIA's nccl.h, not hccl's"
#endif

#include <dlfcn.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kRanks = 4;
constexpr int kExpectedVersion = 22809;

struct Context {
  int rank = -1;
  ncclComm_t comm = nullptr;
  int failures = 0;
};

void report(const Context& ctx, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void report(const Context& ctx, const char* fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fprintf(stderr, "[rank %d] %s\n", ctx.rank, msg);
}

// A failed call ends this rank's run: peers may be waiting in a collective it will not join.
#define NCCL_OK(ctx, call)                                                                  \
  do {                                                                                      \
    ncclResult_t res_ = (call);                                                             \
    if (res_ != ncclSuccess) {                                                              \
      report(ctx, "FAIL %s returned %d (%s); last error: %s", #call, static_cast<int>(res_), \
             ncclGetErrorString(res_), ncclGetLastError((ctx).comm));                       \
      return false;                                                                         \
    }                                                                                       \
  } while (0)

// A wrong value is counted and reported, and the run goes on (all ranks stay in step).
#define EXPECT(ctx, cond, ...)                 \
  do {                                         \
    if (!(cond)) {                             \
      ++(ctx).failures;                        \
      report(ctx, "FAIL " __VA_ARGS__);        \
    }                                          \
  } while (0)

// Compares a buffer with expected(i) element by element, reporting the first few mismatches.
template <typename T, typename F>
void checkBuffer(Context& ctx, const char* what, const std::vector<T>& got, F expected) {
  size_t wrong = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    T want = expected(i);
    if (got[i] == want) continue;
    if (++wrong <= 5)
      report(ctx, "FAIL %s: element %zu is %.17g, expected %.17g", what, i,
             static_cast<double>(got[i]), static_cast<double>(want));
  }
  if (wrong > 0) {
    ++ctx.failures;
    report(ctx, "FAIL %s: %zu of %zu elements wrong", what, wrong, got.size());
  }
}

bool testQueries(Context& ctx) {
  int version = 0;
  NCCL_OK(ctx, ncclGetVersion(&version));
  EXPECT(ctx, version == kExpectedVersion, "ncclGetVersion gave %d, expected %d", version,
         kExpectedVersion);
  EXPECT(ctx, version == NCCL_VERSION_CODE, "ncclGetVersion gave %d, header says %d", version,
         NCCL_VERSION_CODE);
  int count = -1, rank = -1;
  NCCL_OK(ctx, ncclCommCount(ctx.comm, &count));
  NCCL_OK(ctx, ncclCommUserRank(ctx.comm, &rank));
  EXPECT(ctx, count == kRanks, "ncclCommCount gave %d, expected %d", count, kRanks);
  EXPECT(ctx, rank == ctx.rank, "ncclCommUserRank gave %d, expected %d", rank, ctx.rank);
  return true;
}

bool testAllReduce(Context& ctx) {
  // 1 element, an odd size, and more than NCCL's default 4 MiB staging buffer.
  for (size_t count : {size_t{1}, size_t{1027}, (size_t{1} << 20) + 3}) {
    std::vector<float> send(count), recv(count, -1.0f);
    for (size_t i = 0; i < count; ++i) send[i] = static_cast<float>(ctx.rank + i % 7);
    NCCL_OK(ctx, ncclAllReduce(send.data(), recv.data(), count, ncclFloat, ncclSum, ctx.comm,
                               nullptr));
    std::string what = "AllReduce float sum, count " + std::to_string(count);
    // ranks 0+1+2+3 = 6; all values are small integers, so the float sums are exact
    checkBuffer(ctx, what.c_str(), recv,
                [](size_t i) { return static_cast<float>(6 + kRanks * (i % 7)); });
  }
  // in place
  std::vector<float> buf(1027);
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<float>(ctx.rank * (i % 5));
  NCCL_OK(ctx, ncclAllReduce(buf.data(), buf.data(), buf.size(), ncclFloat, ncclSum, ctx.comm,
                             nullptr));
  checkBuffer(ctx, "AllReduce float sum, in place", buf,
              [](size_t i) { return static_cast<float>(6 * (i % 5)); });
  return true;
}

bool testAllGather(Context& ctx) {
  const size_t count = 1031;
  std::vector<int32_t> send(count), recv(count * kRanks, -1);
  for (size_t i = 0; i < count; ++i) send[i] = ctx.rank * 100000 + static_cast<int32_t>(i);
  NCCL_OK(ctx, ncclAllGather(send.data(), recv.data(), count, ncclInt32, ctx.comm, nullptr));
  checkBuffer(ctx, "AllGather int32", recv, [&](size_t j) {
    return static_cast<int32_t>((j / count) * 100000 + j % count);
  });
  return true;
}

bool testBroadcast(Context& ctx) {
  const int root = 2;  // not 0, to catch a root mix-up
  const size_t count = 4099;
  std::vector<double> send(count), recv(count, -1.0);
  for (size_t i = 0; i < count; ++i) send[i] = ctx.rank == root ? 0.5 * i + 7 : -2.0;
  NCCL_OK(ctx, ncclBroadcast(send.data(), recv.data(), count, ncclDouble, root, ctx.comm,
                             nullptr));
  checkBuffer(ctx, "Broadcast double from rank 2", recv, [](size_t i) { return 0.5 * i + 7; });
  return true;
}

bool testReduceScatter(Context& ctx) {
  const size_t recvCount = 1029;
  std::vector<float> send(recvCount * kRanks), recv(recvCount, -1.0f);
  for (size_t j = 0; j < send.size(); ++j) send[j] = static_cast<float>(ctx.rank + j % 11);
  NCCL_OK(ctx, ncclReduceScatter(send.data(), recv.data(), recvCount, ncclFloat, ncclSum,
                                 ctx.comm, nullptr));
  const size_t base = static_cast<size_t>(ctx.rank) * recvCount;
  checkBuffer(ctx, "ReduceScatter float sum", recv, [&](size_t i) {
    return static_cast<float>(6 + kRanks * ((base + i) % 11));
  });
  return true;
}

bool testSendRecvRing(Context& ctx) {
  const size_t count = 4097;
  const int next = (ctx.rank + 1) % kRanks, prev = (ctx.rank + kRanks - 1) % kRanks;
  std::vector<int64_t> send(count), recv(count, -1);
  for (size_t i = 0; i < count; ++i)
    send[i] = int64_t{ctx.rank} * 1000000 + static_cast<int64_t>(i);
  NCCL_OK(ctx, ncclGroupStart());
  NCCL_OK(ctx, ncclSend(send.data(), count, ncclInt64, next, ctx.comm, nullptr));
  NCCL_OK(ctx, ncclRecv(recv.data(), count, ncclInt64, prev, ctx.comm, nullptr));
  NCCL_OK(ctx, ncclGroupEnd());
  checkBuffer(ctx, "Send/Recv ring int64", recv,
              [&](size_t i) { return int64_t{prev} * 1000000 + static_cast<int64_t>(i); });
  return true;
}

bool testSplit(Context& ctx) {
  ncclComm_t half = nullptr;
  NCCL_OK(ctx, ncclCommSplit(ctx.comm, ctx.rank % 2, ctx.rank, &half, nullptr));
  EXPECT(ctx, half != nullptr, "ncclCommSplit gave a NULL communicator");
  if (half == nullptr) return false;
  Context sub = ctx;
  sub.comm = half;
  int count = -1, rank = -1;
  NCCL_OK(sub, ncclCommCount(half, &count));
  NCCL_OK(sub, ncclCommUserRank(half, &rank));
  EXPECT(sub, count == kRanks / 2, "split communicator has %d ranks, expected %d", count,
         kRanks / 2);
  EXPECT(sub, rank == ctx.rank / 2, "rank in split communicator is %d, expected %d", rank,
         ctx.rank / 2);
  const size_t count2 = 515;
  std::vector<int32_t> send(count2), recv(count2, -1);
  for (size_t i = 0; i < count2; ++i) send[i] = ctx.rank + 1 + static_cast<int32_t>(i);
  NCCL_OK(sub, ncclAllReduce(send.data(), recv.data(), count2, ncclInt32, ncclSum, half, nullptr));
  // even ranks {0,2}: (1+i)+(3+i); odd ranks {1,3}: (2+i)+(4+i)
  const int32_t offset = ctx.rank % 2 == 0 ? 4 : 6;
  checkBuffer(sub, "AllReduce int32 sum on the parity split", recv,
              [&](size_t i) { return offset + 2 * static_cast<int32_t>(i); });
  ctx.failures = sub.failures;
  NCCL_OK(sub, ncclCommDestroy(half));
  return true;
}

bool readAll(int fd, void* buf, size_t n) {
  char* p = static_cast<char*>(buf);
  while (n > 0) {
    ssize_t got = read(fd, p, n);
    if (got <= 0) return false;
    p += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

bool writeAll(int fd, const void* buf, size_t n) {
  const char* p = static_cast<const char*>(buf);
  while (n > 0) {
    ssize_t put = write(fd, p, n);
    if (put <= 0) return false;
    p += put;
    n -= static_cast<size_t>(put);
  }
  return true;
}

// One rank's whole run. pipes[r] carries the unique id from rank 0 to rank r.
int runRank(int rank, int pipes[kRanks][2]) {
  Context ctx;
  ctx.rank = rank;
  ncclUniqueId id;
  std::memset(&id, 0, sizeof id);
  if (rank == 0) {
    ncclResult_t res = ncclGetUniqueId(&id);
    if (res != ncclSuccess) {
      report(ctx, "FAIL ncclGetUniqueId returned %d (%s); last error: %s", static_cast<int>(res),
             ncclGetErrorString(res), ncclGetLastError(nullptr));
      return 1;  // the pipes close on exit: the other ranks see EOF
    }
    for (int r = 1; r < kRanks; ++r) {
      if (!writeAll(pipes[r][1], &id, sizeof id)) {
        report(ctx, "FAIL cannot pass the unique id to rank %d", r);
        return 1;
      }
      close(pipes[r][1]);
    }
  } else if (!readAll(pipes[rank][0], &id, sizeof id)) {
    report(ctx, "FAIL no unique id from rank 0");
    return 1;
  }

  ncclResult_t res = ncclCommInitRank(&ctx.comm, kRanks, id, rank);
  if (res != ncclSuccess) {
    report(ctx, "FAIL ncclCommInitRank returned %d (%s); last error: %s", static_cast<int>(res),
           ncclGetErrorString(res), ncclGetLastError(nullptr));
    return 1;
  }
  bool (*const steps[])(Context&) = {testQueries,       testAllReduce,    testAllGather,
                                     testBroadcast,     testReduceScatter, testSendRecvRing,
                                     testSplit};
  for (auto step : steps) {
    if (!step(ctx)) {
      ncclCommAbort(ctx.comm);
      return 1;
    }
  }
  res = ncclCommDestroy(ctx.comm);
  if (res != ncclSuccess) {
    report(ctx, "FAIL ncclCommDestroy returned %d (%s)", static_cast<int>(res),
           ncclGetErrorString(res));
    return 1;
  }
  return ctx.failures == 0 ? 0 : 1;
}

// Where ncclGetVersion really comes from, as a canonical path ("" if unknown).
std::string libraryOf(const char* symbol) {
  void* addr = dlsym(RTLD_DEFAULT, symbol);
  Dl_info info;
  if (addr == nullptr || dladdr(addr, &info) == 0 || info.dli_fname == nullptr) return "";
  char* real = realpath(info.dli_fname, nullptr);
  std::string path = real != nullptr ? real : info.dli_fname;
  free(real);
  return path;
}

std::string canonical(const std::string& path) {
  char* real = realpath(path.c_str(), nullptr);
  std::string out = real != nullptr ? real : path;
  free(real);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  bool anyLibrary = argc > 1 && std::strcmp(argv[1], "--any-library") == 0;
  if (!anyLibrary) {
    std::string got = libraryOf("ncclGetVersion");
    std::string want = canonical(std::string(HCCL_ABI_EXPECTED_LIB_DIR) + "/libnccl.so.2");
    if (got != want) {
      fprintf(stderr, "conformance: ncclGetVersion comes from '%s', expected hccl's '%s'\n",
              got.c_str(), want.c_str());
      return 1;
    }
    printf("conformance: running against %s\n", got.c_str());
  }
  int timeoutS = 100;
  if (const char* env = getenv("HCCL_ABI_CONFORMANCE_TIMEOUT")) timeoutS = atoi(env);

  int pipes[kRanks][2];
  for (int r = 1; r < kRanks; ++r) {
    if (pipe(pipes[r]) != 0) {
      perror("pipe");
      return 1;
    }
  }
  fflush(stdout);
  fflush(stderr);
  pid_t pids[kRanks];
  for (int r = 0; r < kRanks; ++r) {
    pids[r] = fork();
    if (pids[r] < 0) {
      perror("fork");
      for (int k = 0; k < r; ++k) kill(pids[k], SIGKILL);
      return 1;
    }
    if (pids[r] == 0) {
      // keep only this rank's ends: rank 0 writes every pipe, rank r reads pipe r
      for (int k = 1; k < kRanks; ++k) {
        if (r == 0) {
          close(pipes[k][0]);
        } else {
          close(pipes[k][1]);
          if (k != r) close(pipes[k][0]);
        }
      }
      int code = runRank(r, pipes);
      fflush(stdout);
      fflush(stderr);
      _exit(code);
    }
  }
  for (int r = 1; r < kRanks; ++r) {
    close(pipes[r][0]);
    close(pipes[r][1]);
  }

  // Wait for all ranks. After the first failure the others get a grace period (they may be
  // stuck in a collective with the failed rank), then everything left is killed.
  using Clock = std::chrono::steady_clock;
  auto deadline = Clock::now() + std::chrono::seconds(timeoutS);
  bool done[kRanks] = {};
  std::string outcome[kRanks];
  int remaining = kRanks;
  bool anyFailed = false;
  while (remaining > 0) {
    for (int r = 0; r < kRanks; ++r) {
      if (done[r]) continue;
      int status = 0;
      pid_t w = waitpid(pids[r], &status, WNOHANG);
      if (w != pids[r]) continue;
      done[r] = true;
      --remaining;
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        outcome[r] = "passed";
        continue;
      }
      anyFailed = true;
      outcome[r] = WIFEXITED(status)
                       ? "FAILED (exit code " + std::to_string(WEXITSTATUS(status)) + ")"
                       : "FAILED (killed by signal " + std::to_string(WTERMSIG(status)) + ")";
      auto grace = Clock::now() + std::chrono::seconds(15);
      if (grace < deadline) deadline = grace;
    }
    if (remaining == 0) break;
    if (Clock::now() > deadline) {
      const bool afterFailure = anyFailed;
      for (int r = 0; r < kRanks; ++r) {
        if (done[r]) continue;
        kill(pids[r], SIGKILL);
        waitpid(pids[r], nullptr, 0);
        done[r] = true;
        outcome[r] = afterFailure
                         ? "killed (still running 15 s after another rank failed)"
                         : "FAILED (still running after " + std::to_string(timeoutS) + " s)";
      }
      anyFailed = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (int r = 0; r < kRanks; ++r) printf("conformance: rank %d %s\n", r, outcome[r].c_str());
  printf("conformance: %s\n", anyFailed ? "FAILED" : "all ranks passed");
  return anyFailed ? 1 : 0;
}
