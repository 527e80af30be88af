// one_process.cc: several ranks in one process, driven from one thread.
//
// This is NCCL's "single process, single thread, multiple devices" pattern: ncclCommInitAll
// makes one communicator per rank, and every call that touches more than one of them is put
// between ncclGroupStart and ncclGroupEnd, so that no rank waits for a rank that has not been
// called yet. Run: ./one_process [nranks] (default 4).
//
// These are CPU ranks: host buffers, NULL stream, and ncclGroupEnd returns when the group is
// complete on every rank. With GPUs you would cudaSetDevice(i) and cudaMalloc per rank, pass a
// stream per rank, and cudaStreamSynchronize each stream after ncclGroupEnd.

#include <nccl.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#define NCCL_TRY(call)                                                                      \
  do {                                                                                      \
    ncclResult_t rc_ = (call);                                                              \
    if (rc_ != ncclSuccess) {                                                               \
      std::fprintf(stderr, "%s:%d: %s failed: %s (%s)\n", __FILE__, __LINE__, #call,        \
                   ncclGetErrorString(rc_), ncclGetLastError(nullptr));                     \
      std::exit(1);                                                                         \
    }                                                                                       \
  } while (0)

int main(int argc, char** argv) {
  const int nranks = argc > 1 ? std::atoi(argv[1]) : 4;
  if (nranks < 1) {
    std::fprintf(stderr, "usage: %s [nranks >= 1]\n", argv[0]);
    return 2;
  }
  const size_t count = 1 << 20;

  // devlist NULL means ranks 0..nranks-1 (devices 0..nranks-1 on GPUs).
  std::vector<ncclComm_t> comms(nranks);
  NCCL_TRY(ncclCommInitAll(comms.data(), nranks, nullptr));

  std::vector<std::vector<float>> send(nranks), recv(nranks);
  for (int i = 0; i < nranks; ++i) {
    send[i].assign(count, static_cast<float>(i + 1));
    recv[i].assign(count, 0.0f);
  }

  // AllReduce on every rank at once.
  NCCL_TRY(ncclGroupStart());
  for (int i = 0; i < nranks; ++i)
    NCCL_TRY(ncclAllReduce(send[i].data(), recv[i].data(), count, ncclFloat, ncclSum, comms[i],
                           nullptr));
  NCCL_TRY(ncclGroupEnd());

  long wrong = 0;
  const float expected = static_cast<float>(nranks * (nranks + 1) / 2);
  for (int i = 0; i < nranks; ++i)
    for (float v : recv[i]) wrong += v != expected;

  // Broadcast from the last rank, in place.
  const int root = nranks - 1;
  for (int i = 0; i < nranks; ++i) recv[i].assign(count, i == root ? 42.0f : -1.0f);
  NCCL_TRY(ncclGroupStart());
  for (int i = 0; i < nranks; ++i)
    NCCL_TRY(ncclBroadcast(recv[i].data(), recv[i].data(), count, ncclFloat, root, comms[i], nullptr));
  NCCL_TRY(ncclGroupEnd());
  for (int i = 0; i < nranks; ++i)
    for (float v : recv[i]) wrong += v != 42.0f;

  for (int i = 0; i < nranks; ++i) NCCL_TRY(ncclCommDestroy(comms[i]));

  if (wrong == 0) {
    std::printf("one_process: PASSED on %d ranks (AllReduce and Broadcast of %zu floats)\n", nranks,
                count);
    return 0;
  }
  std::printf("one_process: FAILED, %ld wrong values\n", wrong);
  return 1;
}
