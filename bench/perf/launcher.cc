#include "launcher.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#ifdef HCCL_PERF_WITH_MPI
#define OMPI_SKIP_MPICXX 1  // the C API only
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace hccl::perf {
namespace {

constexpr int kIdWaitDefaultSec = 120;
// After one rank of the built-in launcher fails, how long the others get to notice and exit.
constexpr int kGraceSec = 30;

[[noreturn]] void usageError(const std::string& msg) {
  std::fprintf(stderr, "hccl-perf: %s\n", msg.c_str());
  std::exit(kExitUsage);
}

bool parseInt(const char* s, int* out) {
  if (!s || !*s) return false;
  char* end;
  errno = 0;
  long v = std::strtol(s, &end, 10);
  if (*end || errno || v < 0 || v > 1 << 24) return false;
  *out = int(v);
  return true;
}

// Rank and size from the environment a launcher (mpirun, mpiexec) sets; false when none.
bool mpiEnvironment(int* rank, int* size, const char** which) {
  static const char* kVars[][2] = {{"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"},
                                   {"PMI_RANK", "PMI_SIZE"},
                                   {"PMIX_RANK", "OMPI_COMM_WORLD_SIZE"},
                                   {"MV2_COMM_WORLD_RANK", "MV2_COMM_WORLD_SIZE"}};
  for (auto& v : kVars) {
    if (parseInt(std::getenv(v[0]), rank) && parseInt(std::getenv(v[1]), size)) {
      *which = v[0];
      return true;
    }
  }
  return false;
}

bool writeAll(int fd, const void* buf, size_t n) {
  auto* p = static_cast<const char*>(buf);
  while (n) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w, n -= size_t(w);
  }
  return true;
}

bool readAll(int fd, void* buf, size_t n) {
  auto* p = static_cast<char*>(buf);
  while (n) {
    ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r, n -= size_t(r);
  }
  return true;
}

int idFailure(ncclResult_t res) {
  std::fprintf(stderr, "hccl-perf: rank 0: ncclGetUniqueId failed: %s (%d): %s\n",
               ncclGetErrorString(res), int(res), ncclGetLastError(nullptr));
  return kExitFailed;
}

// ---- HCCL_ID_FILE: rank 0 writes the id atomically; the others poll for it. ----

int runWithIdFile(const Options& opts, RankContext& ctx, const std::string& path,
                  const std::function<int(RankContext&)>& body) {
  if (ctx.rank == 0) {
    ncclResult_t res = ncclGetUniqueId(&ctx.id);
    if (res != ncclSuccess) return idFailure(res);
    std::string tmp = path + ".tmp." + std::to_string(getpid());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    bool ok = fd >= 0 && writeAll(fd, &ctx.id, sizeof ctx.id) && ::fsync(fd) == 0;
    if (fd >= 0) ::close(fd);
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
      std::fprintf(stderr, "hccl-perf: rank 0: cannot write the id to %s: %s\n", path.c_str(),
                   std::strerror(errno));
      ::unlink(tmp.c_str());
      return kExitFailed;
    }
    // Every rank has read the file once the communicator exists: remove it so that a later run
    // cannot pick up this stale id.
    ctx.commReady = [path] { ::unlink(path.c_str()); };
  } else {
    int waitSec = opts.timeoutSec > 0 ? opts.timeoutSec : kIdWaitDefaultSec;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(waitSec);
    for (;;) {
      int fd = ::open(path.c_str(), O_RDONLY);
      if (fd >= 0) {
        struct stat st{};
        bool ok = ::fstat(fd, &st) == 0 && size_t(st.st_size) == sizeof ctx.id &&
                  readAll(fd, &ctx.id, sizeof ctx.id);
        ::close(fd);
        if (ok) break;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        std::fprintf(stderr, "hccl-perf: rank %d: no unique id in %s after %d s (is rank 0 running, "
                     "and is the path on a file system every rank sees?)\n",
                     ctx.rank, path.c_str(), waitSec);
        return kExitFailed;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  return body(ctx);
}

// ---- The built-in launcher. ----

int exitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return kExitFailed;
}

std::string describeStatus(int status) {
  if (WIFSIGNALED(status)) return std::string("killed by signal ") + strsignal(WTERMSIG(status));
  return "exited with status " + std::to_string(WEXITSTATUS(status));
}

// The CPUs this process may run on, in order.
std::vector<int> allowedCpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  if (::sched_getaffinity(0, sizeof(set), &set) != 0) return cpus;
  for (int c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  return cpus;
}

// Like mpirun with as many cores as ranks: each rank gets a core of its own, so ranks do not
// start stacked on the launcher's core. With more ranks than cores, or --bind-to none, nothing
// is bound.
void bindToCore(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  ::sched_setaffinity(0, sizeof(set), &set);
}

int runLocal(const Options& opts, const std::function<int(RankContext&)>& body) {
  int np = opts.np > 0 ? opts.np : 1;
  RankContext ctx;
  ctx.nranks = np;
  const std::vector<int> cpus = allowedCpus();
  const bool bind = opts.bindToCore && np > 1 && np <= static_cast<int>(cpus.size());
  ctx.launcher = "built-in (-np " + std::to_string(np) + ", fork" + (bind ? ", one core per rank)" : ")");
  if (np == 1) {  // no fork: easier to debug, same code path otherwise
    ncclResult_t res = ncclGetUniqueId(&ctx.id);
    if (res != ncclSuccess) return idFailure(res);
    return body(ctx);
  }

  // pipes[r] carries the id from rank 0 to rank r (r >= 1).
  std::vector<int> readEnd(np, -1), writeEnd(np, -1);
  for (int r = 1; r < np; r++) {
    int fds[2];
    if (::pipe(fds) != 0) {
      std::fprintf(stderr, "hccl-perf: pipe: %s\n", std::strerror(errno));
      return kExitFailed;
    }
    readEnd[r] = fds[0], writeEnd[r] = fds[1];
  }
  std::fflush(stdout);
  std::fflush(stderr);

  std::vector<pid_t> pids(np, -1);
  pid_t parent = ::getpid();
  for (int r = 0; r < np; r++) {
    pid_t pid = ::fork();
    if (pid < 0) {
      std::fprintf(stderr, "hccl-perf: fork: %s\n", std::strerror(errno));
      for (int q = 0; q < r; q++) ::kill(pids[q], SIGKILL);
      return kExitFailed;
    }
    if (pid == 0) {
      // Die with the launcher: a killed parent must not leave ranks running on their own.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(kExitFailed);
      if (bind) bindToCore(cpus[r]);
      ctx.rank = r;
      for (int q = 1; q < np; q++) {
        if (r != 0) ::close(writeEnd[q]);
        if (q != r) ::close(readEnd[q]);
      }
      int code;
      if (r == 0) {
        ncclResult_t res = ncclGetUniqueId(&ctx.id);
        // On failure the pipes close unwritten and every other rank sees end-of-file.
        bool ok = res == ncclSuccess;
        for (int q = 1; q < np; q++) {
          if (ok && !writeAll(writeEnd[q], &ctx.id, sizeof ctx.id))
            std::fprintf(stderr, "hccl-perf: rank 0: cannot hand the id to rank %d\n", q);
          ::close(writeEnd[q]);
        }
        code = ok ? body(ctx) : idFailure(res);
      } else {
        bool ok = readAll(readEnd[r], &ctx.id, sizeof ctx.id);
        ::close(readEnd[r]);
        if (ok) {
          code = body(ctx);
        } else {
          std::fprintf(stderr, "hccl-perf: rank %d: rank 0 gave no unique id\n", r);
          code = kExitFailed;
        }
      }
      std::fflush(stdout);
      std::fflush(stderr);
      ::_exit(code);  // the parent's state (atexit handlers, buffers) is not ours to run
    }
    pids[r] = pid;
  }
  for (int r = 1; r < np; r++) ::close(readEnd[r]), ::close(writeEnd[r]);

  // Wait for every rank. Once one fails, the rest get kGraceSec to fail too (hccl turns a dead
  // peer into an error), then are killed, so a broken run never leaves orphans behind.
  int result = kExitOk, alive = np;
  std::chrono::steady_clock::time_point killAt{};
  bool failing = false;
  while (alive > 0) {
    int status;
    pid_t pid = ::waitpid(-1, &status, failing ? WNOHANG : 0);
    if (pid < 0 && errno == EINTR) continue;
    if (pid < 0) break;
    if (pid == 0) {
      if (std::chrono::steady_clock::now() > killAt) {
        for (int r = 0; r < np; r++) {
          if (pids[r] <= 0) continue;
          std::fprintf(stderr, "hccl-perf: rank %d (pid %d) still running %d s after a failure; "
                       "killing it\n", r, int(pids[r]), kGraceSec);
          ::kill(pids[r], SIGKILL);
        }
        killAt = std::chrono::steady_clock::time_point::max();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    int r = 0;
    while (r < np && pids[r] != pid) r++;
    if (r == np) continue;
    pids[r] = -1;
    alive--;
    int code = exitCodeOf(status);
    if (code != kExitOk) {
      // A rank that exits 1 or 2 has already said why; a signal or another status has not.
      if ((code != kExitFailed && code != kExitUsage) || WIFSIGNALED(status))
        std::fprintf(stderr, "hccl-perf: rank %d (pid %d) %s\n", r, int(pid),
                     describeStatus(status).c_str());
      if (result == kExitOk) result = code;
      if (!failing) {
        failing = true;
        killAt = std::chrono::steady_clock::now() + std::chrono::seconds(kGraceSec);
      }
    }
  }
  return result;
}

}  // namespace

int launch(const Options& opts, const std::function<int(RankContext&)>& body) {
  const char* envRank = std::getenv("HCCL_RANK");
  const char* envSize = std::getenv("HCCL_NRANKS");
  const char* idFile = std::getenv("HCCL_ID_FILE");
  int mpiRank = 0, mpiSize = 0;
  const char* mpiVar = nullptr;
  bool underMpi = mpiEnvironment(&mpiRank, &mpiSize, &mpiVar);

  // 1. The environment names this rank.
  if (envRank || envSize) {
    RankContext ctx;
    if (!parseInt(envRank, &ctx.rank) || !parseInt(envSize, &ctx.nranks) || ctx.nranks < 1 ||
        ctx.rank >= ctx.nranks)
      usageError("HCCL_RANK and HCCL_NRANKS must both be set, with 0 <= HCCL_RANK < HCCL_NRANKS");
    if (!idFile || !*idFile) usageError("HCCL_RANK/HCCL_NRANKS also need HCCL_ID_FILE");
    if (opts.np > 0) usageError("-np is for the built-in launcher; HCCL_RANK/HCCL_NRANKS are set");
    ctx.launcher = std::string("environment (HCCL_RANK/HCCL_NRANKS, HCCL_ID_FILE=") + idFile + ")";
    return runWithIdFile(opts, ctx, idFile, body);
  }

  // 2. mpirun.
  if (underMpi) {
    if (opts.np > 0) usageError(std::string("-np is for the built-in launcher; this process was "
                                            "started by an MPI launcher (") + mpiVar + " is set)");
#ifdef HCCL_PERF_WITH_MPI
    MPI_Init(nullptr, nullptr);
    RankContext ctx;
    MPI_Comm_rank(MPI_COMM_WORLD, &ctx.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ctx.nranks);
    ctx.launcher = "mpirun (MPI_Bcast of the id)";
    struct {
      int ok;
      ncclUniqueId id;
    } msg{};
    if (ctx.rank == 0) {
      ncclResult_t res = ncclGetUniqueId(&msg.id);
      msg.ok = res == ncclSuccess;
      if (!msg.ok) idFailure(res);
    }
    MPI_Bcast(&msg, sizeof msg, MPI_BYTE, 0, MPI_COMM_WORLD);
    int code = kExitFailed;
    if (msg.ok) {
      ctx.id = msg.id;
      code = body(ctx);
    } else if (ctx.rank != 0) {
      std::fprintf(stderr, "hccl-perf: rank %d: rank 0 could not create the unique id\n", ctx.rank);
    }
    MPI_Finalize();
    return code;
#else
    if (!idFile || !*idFile)
      usageError(std::string("started by an MPI launcher (") + mpiVar + " is set) but hccl-perf " +
                 "was built without MPI: set HCCL_ID_FILE to a path every rank can see, or rebuild "
                 "with MPI (libopenmpi-dev)");
    RankContext ctx;
    ctx.rank = mpiRank, ctx.nranks = mpiSize;
    if (ctx.nranks < 1 || ctx.rank >= ctx.nranks) usageError("inconsistent MPI rank/size variables");
    ctx.launcher = std::string("mpirun without MPI (") + mpiVar + ", HCCL_ID_FILE=" + idFile + ")";
    return runWithIdFile(opts, ctx, idFile, body);
#endif
  }

  // 3. The built-in launcher.
  return runLocal(opts, body);
}

}  // namespace hccl::perf
