// mp_harness.cc: see mp_harness.h.
#include "mp_harness.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <sstream>
#include <stdexcept>

#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mp {

namespace {

constexpr int kMaxRanks = 64;
constexpr size_t kSlotBytes = 1 << 20; // per-rank out-of-band exchange slot
constexpr size_t kMaxReportBytes = 16 << 10;
constexpr size_t kNoteBytes = 256;

using Clock = std::chrono::steady_clock;

} // namespace

// Lives in a MAP_SHARED anonymous mapping made before fork; lock-free atomics work across
// processes there.
struct Shared {
  std::atomic<int> arrived;
  std::atomic<int> generation;
  std::atomic<int> broken; // a rank gave up on a barrier: the others stop waiting too
  char pad[64 - 3 * sizeof(int)];
  char notes[kMaxRanks][kNoteBytes]; // Rank::note
  char slots[kMaxRanks][kSlotBytes];
};

namespace {

// Collects the gtest failures of a child process into a string.
class FailureCollector : public ::testing::EmptyTestEventListener {
 public:
  explicit FailureCollector(std::string* out, int* count) : out_(out), count_(count) {}
  void OnTestPartResult(const ::testing::TestPartResult& r) override {
    if (!r.failed()) return;
    ++*count_;
    if (out_->size() > kMaxReportBytes) return;
    std::ostringstream s;
    s << (r.file_name() ? r.file_name() : "?") << ":" << r.line_number() << ": "
      << r.message() << "\n";
    *out_ += s.str();
    if (out_->size() > kMaxReportBytes) *out_ += "... (further failures not shown)\n";
  }

 private:
  std::string* out_;
  int* count_;
};

void writeAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += size_t(n);
  }
}

[[noreturn]] void childMain(int rank, int nranks, Shared* shared, int reportFd, const RankFn& fn,
                            const Options& opts) {
  for (const auto& [k, v] : opts.env) ::setenv(k.c_str(), v.c_str(), 1);

  // The child's failures go to the parent, not to the (inherited) gtest printer.
  std::string report;
  int failures = 0;
  auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
  delete listeners.Release(listeners.default_result_printer());
  listeners.Append(new FailureCollector(&report, &failures));

  Rank ctx;
  ctx.rank = rank;
  ctx.nranks = nranks;
  ctx.shared_ = shared;
  ctx.timeoutSec_ = opts.timeoutSec;
  ctx.start_ = Clock::now();

  [&] {
    try {
      if (opts.initComm) {
        ncclUniqueId id = ctx.shareUniqueId(0);
        ncclResult_t r = ncclCommInitRank(&ctx.comm, nranks, id, rank);
        ASSERT_EQ(r, ncclSuccess) << "ncclCommInitRank -> " << resultName(r) << ": "
                                  << lastError();
        ASSERT_NE(ctx.comm, nullptr) << "ncclCommInitRank succeeded with a NULL comm";
      }
      fn(ctx);
      if (opts.destroyComm && ctx.comm != nullptr && failures == 0) {
        ncclResult_t r = ncclCommDestroy(ctx.comm);
        EXPECT_EQ(r, ncclSuccess) << "ncclCommDestroy -> " << resultName(r) << ": "
                                  << lastError();
      }
    } catch (const std::exception& e) {
      ADD_FAILURE() << "exception: " << e.what();
    } catch (...) {
      ADD_FAILURE() << "unknown exception";
    }
  }();

  std::string msg = failures == 0 ? std::string("OK") : "FAIL\n" + report;
  writeAll(reportFd, msg);
  ::close(reportFd);
  std::fflush(stdout);
  std::fflush(stderr);
  ::_exit(0);
}

struct Child {
  pid_t pid = -1;
  int fd = -1; // read end of the report pipe; -1 once EOF
  std::string report;
  bool reaped = false;
  int status = 0;
  bool killed = false; // killed by the harness
  const char* killReason = "";
};

std::string describeStatus(int status) {
  std::ostringstream s;
  if (WIFEXITED(status)) s << "exit code " << WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) s << "killed by signal " << WTERMSIG(status) << " ("
                                  << strsignal(WTERMSIG(status)) << ")";
  else s << "status " << status;
  return s.str();
}

} // namespace

// ---- Rank ----------------------------------------------------------------------------------

void Rank::barrier() {
  Shared* sh = shared_;
  int gen = sh->generation.load(std::memory_order_acquire);
  if (sh->arrived.fetch_add(1, std::memory_order_acq_rel) + 1 == nranks) {
    sh->arrived.store(0, std::memory_order_relaxed);
    sh->generation.fetch_add(1, std::memory_order_acq_rel);
    return;
  }
  auto deadline = Clock::now() + std::chrono::seconds(timeoutSec_);
  for (int spins = 0; sh->generation.load(std::memory_order_acquire) == gen; ++spins) {
    if (sh->broken.load(std::memory_order_relaxed))
      throw std::runtime_error("out-of-band barrier: another rank gave up");
    if (spins < 100) {
      sched_yield();
      continue;
    }
    if (Clock::now() > deadline) {
      sh->broken.store(1);
      throw std::runtime_error("out-of-band barrier timed out (another rank failed or hung)");
    }
    ::usleep(200);
  }
}

void Rank::broadcast(void* data, size_t bytes, int root) {
  if (bytes > kSlotBytes) throw std::runtime_error("broadcast: too many bytes");
  if (rank == root) std::memcpy(shared_->slots[root], data, bytes);
  barrier();
  if (rank != root) std::memcpy(data, shared_->slots[root], bytes);
  barrier();
}

void Rank::allgather(const void* mine, size_t bytes, void* all) {
  if (bytes > kSlotBytes) throw std::runtime_error("allgather: too many bytes");
  std::memcpy(shared_->slots[rank], mine, bytes);
  barrier();
  for (int r = 0; r < nranks; ++r)
    std::memcpy(static_cast<char*>(all) + size_t(r) * bytes, shared_->slots[r], bytes);
  barrier();
}

ncclUniqueId Rank::shareUniqueId(int root) {
  struct {
    ncclUniqueId id;
    int result;
  } msg;
  std::memset(&msg, 0, sizeof(msg));
  if (rank == root) msg.result = int(ncclGetUniqueId(&msg.id));
  broadcast(&msg, sizeof(msg), root);
  if (msg.result != ncclSuccess)
    throw std::runtime_error("ncclGetUniqueId failed at rank " + std::to_string(root) + ": " +
                             resultName(ncclResult_t(msg.result)));
  return msg.id;
}

void Rank::note(const std::string& what) {
  char* dst = shared_->notes[rank];
  size_t n = std::min(what.size(), kNoteBytes - 1);
  std::memcpy(dst, what.data(), n);
  dst[n] = 0;
}

double Rank::secondsSinceStart() const {
  return std::chrono::duration<double>(Clock::now() - start_).count();
}

// ---- run -----------------------------------------------------------------------------------

::testing::AssertionResult run(int nranks, const RankFn& fn, const Options& opts) {
  if (nranks < 1 || nranks > kMaxRanks) return ::testing::AssertionFailure() << "bad nranks";
  void* mem = ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                     -1, 0);
  if (mem == MAP_FAILED) return ::testing::AssertionFailure() << "mmap failed";
  Shared* shared = new (mem) Shared; // default-init: mmap gave zeroed pages; do not touch the slots
  shared->arrived = 0;
  shared->generation = 0;
  shared->broken = 0;

  std::fflush(stdout);
  std::fflush(stderr);
  std::vector<Child> children(nranks);
  for (int r = 0; r < nranks; ++r) {
    int p[2];
    if (::pipe(p) != 0) return ::testing::AssertionFailure() << "pipe failed";
    pid_t pid = ::fork();
    if (pid < 0) return ::testing::AssertionFailure() << "fork failed";
    if (pid == 0) {
      ::close(p[0]);
      for (int q = 0; q < r; ++q) ::close(children[q].fd);
      childMain(r, nranks, shared, p[1], fn, opts);
    }
    ::close(p[1]);
    children[r].pid = pid;
    children[r].fd = p[0];
  }

  auto isMayDie = [&](int r) {
    for (int d : opts.mayDie)
      if (d == r) return true;
    return false;
  };
  auto start = Clock::now();
  auto deadline = start + std::chrono::seconds(opts.timeoutSec);
  Clock::time_point graceDeadline = Clock::time_point::max();
  int firstFailed = -1;

  auto reap = [&](Child& c, int flags) {
    if (c.reaped) return;
    int st = 0;
    pid_t w;
    do {
      w = ::waitpid(c.pid, &st, flags);
    } while (w < 0 && errno == EINTR);
    if (w == c.pid) {
      c.reaped = true;
      c.status = st;
    }
  };
  auto childFailed = [&](int r) {
    Child& c = children[r];
    if (c.report.rfind("OK", 0) == 0 && c.reaped && WIFEXITED(c.status) &&
        WEXITSTATUS(c.status) == 0)
      return false;
    if (isMayDie(r) && c.reaped && WIFSIGNALED(c.status) && !c.killed) return false;
    return true;
  };

  for (;;) {
    std::vector<pollfd> pfds;
    std::vector<int> who;
    for (int r = 0; r < nranks; ++r)
      if (children[r].fd >= 0) {
        pfds.push_back({children[r].fd, POLLIN, 0});
        who.push_back(r);
      }
    if (pfds.empty()) break;
    auto now = Clock::now();
    auto until = std::min(deadline, graceDeadline);
    if (now >= until) {
      const char* why = now >= deadline ? "did not finish within the harness timeout"
                                        : "still running after another rank failed";
      for (int r : who) {
        Child& c = children[r];
        ::kill(c.pid, SIGKILL);
        c.killed = true;
        c.killReason = why;
        ::close(c.fd);
        c.fd = -1;
      }
      break;
    }
    int waitMs = int(std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count());
    int n = ::poll(pfds.data(), pfds.size(), std::min(waitMs, 1000) + 1);
    if (n < 0 && errno != EINTR) break;
    char buf[4096];
    for (size_t i = 0; i < pfds.size(); ++i) {
      if (!(pfds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      Child& c = children[who[i]];
      ssize_t k = ::read(c.fd, buf, sizeof(buf));
      if (k > 0) {
        c.report.append(buf, size_t(k));
      } else if (k == 0 || (k < 0 && errno != EINTR && errno != EAGAIN)) {
        ::close(c.fd);
        c.fd = -1;
        reap(c, 0);
        if (childFailed(who[i]) && firstFailed < 0) {
          firstFailed = who[i];
          graceDeadline = Clock::now() + std::chrono::seconds(opts.failGraceSec);
        }
      }
    }
  }
  for (auto& c : children) reap(c, 0);
  std::vector<std::string> notes(nranks);
  for (int r = 0; r < nranks; ++r) notes[r] = std::string(shared->notes[r], strnlen(shared->notes[r], kNoteBytes));
  shared->~Shared();
  ::munmap(mem, sizeof(Shared));

  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::ostringstream err;
  bool ok = true;
  for (int r = 0; r < nranks; ++r) {
    Child& c = children[r];
    if (!childFailed(r)) continue;
    ok = false;
    err << "---- rank " << r << " of " << nranks << ": ";
    if (c.killed) err << c.killReason << " (killed after " << secs << " s)\n";
    else if (c.report.rfind("FAIL\n", 0) == 0) err << "failed\n" << c.report.substr(5);
    else if (c.report.rfind("OK", 0) == 0) err << "reported OK but " << describeStatus(c.status) << "\n";
    else err << "died without a report: " << describeStatus(c.status) << "\n";
    if ((c.killed || c.report.empty()) && !notes[r].empty()) err << "  last step: " << notes[r] << "\n";
  }
  if (ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "multi-process run failed (" << nranks << " ranks, "
                                       << secs << " s):\n" << err.str();
}

std::string resultName(ncclResult_t r) {
  static const char* names[] = {"ncclSuccess",         "ncclUnhandledCudaError",
                                "ncclSystemError",     "ncclInternalError",
                                "ncclInvalidArgument", "ncclInvalidUsage",
                                "ncclRemoteError",     "ncclInProgress"};
  std::ostringstream s;
  if (int(r) >= 0 && int(r) < 8) s << names[int(r)];
  else s << "result";
  s << " (" << int(r) << ")";
  return s.str();
}

std::string lastError(ncclComm_t comm) {
  const char* s = ncclGetLastError(comm);
  return s ? std::string(s) : std::string("(NULL)");
}

} // namespace mp
