// local_ranks.cc: N ranks on one machine without MPI.
//
// The program forks N processes (default 4: ./local_ranks [N]). Rank 0 makes the unique id
// and writes it into a pipe to each other rank; every rank joins with ncclCommInitRank and
// runs AllReduce, AllGather, ReduceScatter and a Send/Recv ring in one group, checks the
// results and prints one line. The exit status is non-zero if any rank failed.
//
// Any channel works for the id (a file, a socket, a key-value store): it is 128 plain bytes.
// These are CPU ranks: host buffers, NULL stream, and ncclGroupEnd returns when all four
// operations are complete on this rank.

#include <nccl.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

// Report the failed call and return from the rank's function with an error.
#define NCCL_TRY(call)                                                                   \
  do {                                                                                   \
    ncclResult_t rc_ = (call);                                                           \
    if (rc_ != ncclSuccess) {                                                            \
      std::fprintf(stderr, "rank %d: %s failed: %s (%s)\n", rank, #call,                 \
                   ncclGetErrorString(rc_), ncclGetLastError(nullptr));                  \
      return 1;                                                                          \
    }                                                                                    \
  } while (0)

static bool writeAll(int fd, const void* data, size_t bytes) {
  const char* p = static_cast<const char*>(data);
  while (bytes > 0) {
    ssize_t n = write(fd, p, bytes);
    if (n <= 0) return false;
    p += n;
    bytes -= static_cast<size_t>(n);
  }
  return true;
}

static bool readAll(int fd, void* data, size_t bytes) {
  char* p = static_cast<char*>(data);
  while (bytes > 0) {
    ssize_t n = read(fd, p, bytes);
    if (n <= 0) return false;
    p += n;
    bytes -= static_cast<size_t>(n);
  }
  return true;
}

// One rank's work. Rank 0 writes the id to idWriteEnds[r] for every r >= 1; rank r reads it
// from idReadEnd.
static int runRank(int rank, int nranks, const std::vector<int>& idWriteEnds, int idReadEnd) {
  ncclUniqueId id;
  if (rank == 0) {
    NCCL_TRY(ncclGetUniqueId(&id));
    for (int r = 1; r < nranks; ++r) {
      if (!writeAll(idWriteEnds[r], &id, sizeof(id))) {
        std::fprintf(stderr, "rank 0: could not send the id to rank %d\n", r);
        return 1;
      }
    }
  } else if (!readAll(idReadEnd, &id, sizeof(id))) {
    std::fprintf(stderr, "rank %d: could not read the id\n", rank);
    return 1;
  }

  ncclComm_t comm;
  NCCL_TRY(ncclCommInitRank(&comm, nranks, id, rank));

  const size_t count = 1 << 16;  // elements per rank
  const int next = (rank + 1) % nranks, prev = (rank + nranks - 1) % nranks;
  // Every value is a small whole number, so float sums are exact and easy to check.
  auto value = [](int r, size_t i) { return static_cast<float>(r * 10 + static_cast<int>(i % 10)); };

  std::vector<float> mine(count), reduced(count), gathered(count * nranks), scattered(count / nranks),
      fromPrev(count);
  std::vector<float> all(count * nranks);  // ReduceScatter input: nranks blocks of count/nranks
  for (size_t i = 0; i < count; ++i) mine[i] = value(rank, i);
  for (size_t i = 0; i < all.size(); ++i) all[i] = value(rank, i);

  NCCL_TRY(ncclGroupStart());
  NCCL_TRY(ncclAllReduce(mine.data(), reduced.data(), count, ncclFloat, ncclSum, comm, nullptr));
  NCCL_TRY(ncclAllGather(mine.data(), gathered.data(), count, ncclFloat, comm, nullptr));
  NCCL_TRY(ncclReduceScatter(all.data(), scattered.data(), count / nranks, ncclFloat, ncclSum, comm,
                             nullptr));
  NCCL_TRY(ncclSend(mine.data(), count, ncclFloat, next, comm, nullptr));
  NCCL_TRY(ncclRecv(fromPrev.data(), count, ncclFloat, prev, comm, nullptr));
  NCCL_TRY(ncclGroupEnd());

  auto sumOverRanks = [&](size_t i) {
    float s = 0;
    for (int r = 0; r < nranks; ++r) s += value(r, i);
    return s;
  };
  long wrong = 0;
  for (size_t i = 0; i < count; ++i) wrong += reduced[i] != sumOverRanks(i);
  for (int r = 0; r < nranks; ++r)
    for (size_t i = 0; i < count; ++i) wrong += gathered[r * count + i] != value(r, i);
  const size_t block = count / nranks;
  for (size_t i = 0; i < block; ++i) wrong += scattered[i] != sumOverRanks(rank * block + i);
  for (size_t i = 0; i < count; ++i) wrong += fromPrev[i] != value(prev, i);

  NCCL_TRY(ncclCommDestroy(comm));
  std::printf("rank %d/%d: AllReduce, AllGather, ReduceScatter, Send/Recv ring: %s\n", rank, nranks,
              wrong == 0 ? "OK" : "WRONG");
  if (wrong != 0) std::fprintf(stderr, "rank %d: %ld wrong values\n", rank, wrong);
  return wrong == 0 ? 0 : 1;
}

int main(int argc, char** argv) {
  const int nranks = argc > 1 ? std::atoi(argv[1]) : 4;
  if (nranks < 1) {
    std::fprintf(stderr, "usage: %s [nranks >= 1]\n", argv[0]);
    return 2;
  }

  // One pipe per rank other than 0, made before forking so that both ends are inherited.
  std::vector<int> readEnds(nranks, -1), writeEnds(nranks, -1);
  for (int r = 1; r < nranks; ++r) {
    int fds[2];
    if (pipe(fds) != 0) {
      std::perror("pipe");
      return 1;
    }
    readEnds[r] = fds[0];
    writeEnds[r] = fds[1];
  }

  std::fflush(stdout);
  std::vector<pid_t> children;
  for (int rank = 0; rank < nranks; ++rank) {
    pid_t pid = fork();
    if (pid < 0) {
      std::perror("fork");
      return 1;
    }
    if (pid == 0) {
      // Keep only this rank's end(s): rank 0 writes to all, the others read their own.
      for (int r = 1; r < nranks; ++r) {
        if (r != rank) close(readEnds[r]);
        if (rank != 0) close(writeEnds[r]);
      }
      int rc = runRank(rank, nranks, writeEnds, readEnds[rank]);
      std::fflush(stdout);
      _exit(rc);
    }
    children.push_back(pid);
  }
  for (int r = 1; r < nranks; ++r) {
    close(readEnds[r]);
    close(writeEnds[r]);
  }

  int failed = 0;
  for (pid_t pid : children) {
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
  }
  if (failed == 0)
    std::printf("local_ranks: PASSED on %d ranks\n", nranks);
  else
    std::printf("local_ranks: FAILED on %d of %d ranks\n", failed, nranks);
  return failed == 0 ? 0 : 1;
}
