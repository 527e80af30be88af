// mp_harness.h: run a test body in N forked rank processes.
//
// mp::run(n, fn) forks n children from the (single-threaded) gtest process. Rank 0's child makes
// the unique id (never the parent: ncclGetUniqueId starts a server thread, and a process that
// forks must not have threads) and hands it to the others through shared memory; every child
// then calls ncclCommInitRank and fn(Rank&). gtest assertions work inside fn: each child
// collects its own failures and sends them to the parent through a pipe, and the parent turns
// them into one failed AssertionResult naming the rank. The parent kills every child and fails
// when the children overrun the timeout, and kills the rest shortly after one rank fails (the
// others are probably waiting for it).
//
// Rank also offers an out-of-band barrier, broadcast and allgather (shared memory between the
// children, with a timeout) for exchanging test data without going through the library.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "nccl.h"

namespace mp {

struct Options {
  int timeoutSec = 120;  // whole run; children still running then are killed
  int failGraceSec = 20; // after one rank fails, how long the others may still run
  bool initComm = true;  // children call ncclCommInitRank before fn (else comm is NULL)
  bool destroyComm = true; // children call ncclCommDestroy after fn when comm is still set
  std::vector<std::pair<std::string, std::string>> env; // set in each child before anything
  std::vector<int> mayDie; // ranks allowed to die by a signal (fault tests)
};

struct Shared; // the out-of-band shared-memory region

class Rank {
 public:
  int rank = 0;
  int nranks = 0;
  ncclComm_t comm = nullptr; // set to nullptr if fn destroys or aborts it itself

  // Out-of-band collectives among the children (not through hccl). They throw
  // std::runtime_error after the harness timeout, which fails this rank.
  void barrier();
  void broadcast(void* data, size_t bytes, int root);
  void allgather(const void* mine, size_t bytes, void* all);
  template <class T>
  std::vector<T> allgatherValue(const T& v) {
    std::vector<T> all(nranks);
    allgather(&v, sizeof(T), all.data());
    return all;
  }
  // root calls ncclGetUniqueId and the id reaches every rank; a failure at root throws on all.
  ncclUniqueId shareUniqueId(int root = 0);

  double secondsSinceStart() const;

  // Records what this rank is doing now; the parent prints it for ranks that hang or die.
  void note(const std::string& what);

  // Internal.
  Shared* shared_ = nullptr;
  int timeoutSec_ = 120;
  std::chrono::steady_clock::time_point start_;
};

using RankFn = std::function<void(Rank&)>;

// Forks nranks children running fn; success when every child passes.
::testing::AssertionResult run(int nranks, const RankFn& fn, const Options& opts = Options());

// "ncclInvalidArgument (4)" for messages.
std::string resultName(ncclResult_t r);
// The calling thread's last-error text, never NULL.
std::string lastError(ncclComm_t comm = nullptr);

} // namespace mp

// Expect an mp::run(...) to succeed, reporting only the children's messages on failure.
#define MP_EXPECT_RUN(run_expr)                                                           \
  do {                                                                                    \
    ::testing::AssertionResult mp_run_ = (run_expr);                                      \
    if (!mp_run_) ADD_FAILURE() << mp_run_.message();                                     \
  } while (0)

// Assert that an nccl call succeeds, printing the result and the last-error text otherwise.
#define MP_ASSERT_OK(call)                                                                \
  do {                                                                                    \
    ncclResult_t mp_r_ = (call);                                                          \
    ASSERT_EQ(mp_r_, ncclSuccess) << #call << " -> " << ::mp::resultName(mp_r_) << ": "   \
                                  << ::mp::lastError();                                   \
  } while (0)
#define MP_EXPECT_OK(call)                                                                \
  do {                                                                                    \
    ncclResult_t mp_r_ = (call);                                                          \
    EXPECT_EQ(mp_r_, ncclSuccess) << #call << " -> " << ::mp::resultName(mp_r_) << ": "   \
                                  << ::mp::lastError();                                   \
  } while (0)
