/*
 * mpi_allreduce.c: an NCCL program started by mpirun, written exactly as for NCCL.
 *
 * Rank 0 makes the unique id, MPI_Bcast hands it to every rank, each rank joins the
 * communicator with ncclCommInitRank, then runs an AllReduce and a Broadcast and checks them.
 *
 *   mpicc mpi_allreduce.c -I<hccl>/include -L<hccl>/lib -lnccl -o mpi_allreduce
 *   mpirun -np 4 ./mpi_allreduce
 *
 * These are CPU ranks: buffers are host memory and the stream is NULL, and a collective
 * returns when it is complete on this rank. On a GPU rank you would instead pick a device
 * (cudaSetDevice(localRank)), cudaMalloc the buffers, pass a cudaStream_t, and wait with
 * cudaStreamSynchronize(stream) before reading the results.
 */
#include <mpi.h>
#include <nccl.h>

#include <stdio.h>
#include <stdlib.h>

/* Stop every rank at the first failed call, saying which call failed and why. */
#define MPI_TRY(call)                                                                    \
  do {                                                                                   \
    int rc_ = (call);                                                                    \
    if (rc_ != MPI_SUCCESS) {                                                            \
      fprintf(stderr, "%s:%d: %s failed with MPI error %d\n", __FILE__, __LINE__, #call, \
              rc_);                                                                      \
      MPI_Abort(MPI_COMM_WORLD, 1);                                                      \
    }                                                                                    \
  } while (0)

#define NCCL_TRY(call)                                                                 \
  do {                                                                                 \
    ncclResult_t rc_ = (call);                                                         \
    if (rc_ != ncclSuccess) {                                                          \
      fprintf(stderr, "%s:%d: %s failed: %s (%s)\n", __FILE__, __LINE__, #call,        \
              ncclGetErrorString(rc_), ncclGetLastError(NULL));                        \
      MPI_Abort(MPI_COMM_WORLD, 1);                                                    \
    }                                                                                  \
  } while (0)

int main(int argc, char** argv) {
  const size_t count = 1 << 20; /* floats per rank */
  int rank, nranks;

  MPI_TRY(MPI_Init(&argc, &argv));
  MPI_TRY(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
  MPI_TRY(MPI_Comm_size(MPI_COMM_WORLD, &nranks));

  /* One rank makes the id; everyone needs the same bytes before ncclCommInitRank. */
  ncclUniqueId id;
  if (rank == 0) NCCL_TRY(ncclGetUniqueId(&id));
  MPI_TRY(MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, MPI_COMM_WORLD));

  ncclComm_t comm;
  NCCL_TRY(ncclCommInitRank(&comm, nranks, id, rank));

  float* send = malloc(count * sizeof(float));
  float* recv = malloc(count * sizeof(float));
  if (send == NULL || recv == NULL) {
    fprintf(stderr, "rank %d: out of memory\n", rank);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }

  /* AllReduce: rank r contributes r + (i % 7); small whole numbers add up exactly in float. */
  for (size_t i = 0; i < count; ++i) send[i] = (float)(rank + (int)(i % 7));
  NCCL_TRY(ncclAllReduce(send, recv, count, ncclFloat, ncclSum, comm, NULL));

  long errors = 0;
  for (size_t i = 0; i < count; ++i) {
    float expected = (float)(nranks * (nranks - 1) / 2 + nranks * (int)(i % 7));
    if (recv[i] != expected) ++errors;
  }

  /* Broadcast: rank 0's buffer, in place, overwrites everyone else's. */
  for (size_t i = 0; i < count; ++i) recv[i] = rank == 0 ? (float)(i % 1000) : -1.0f;
  NCCL_TRY(ncclBroadcast(recv, recv, count, ncclFloat, 0, comm, NULL));
  for (size_t i = 0; i < count; ++i)
    if (recv[i] != (float)(i % 1000)) ++errors;

  NCCL_TRY(ncclCommDestroy(comm));
  free(send);
  free(recv);

  /* Rank 0 reports for the whole job. */
  long totalErrors = 0;
  MPI_TRY(MPI_Reduce(&errors, &totalErrors, 1, MPI_LONG, MPI_SUM, 0, MPI_COMM_WORLD));
  if (errors != 0) fprintf(stderr, "rank %d: %ld wrong values\n", rank, errors);
  if (rank == 0) {
    if (totalErrors == 0)
      printf("mpi_allreduce: PASSED on %d ranks (AllReduce and Broadcast of %zu floats)\n",
             nranks, count);
    else
      printf("mpi_allreduce: FAILED, %ld wrong values\n", totalErrors);
  }

  MPI_TRY(MPI_Finalize());
  return errors == 0 ? 0 : 1;
}
