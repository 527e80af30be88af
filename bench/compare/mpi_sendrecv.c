/* The Open MPI anchor for hccl-perf sendrecv: each rank sends to the next and receives from the
 * previous (MPI_Sendrecv of floats), with hccl-perf's measurement loop and columns
 * (compare_common.h). Only the time columns compare; run it with -c 0 (the loop's check expects
 * an AllReduce). Launch with mpirun: mpirun -np 2 ./mpi_sendrecv -b 1M -e 64M -f 4 -c 0 */
#include "mpi_common.h"

static int mpiSendrecvFloat(void* ctx, const float* send, float* recv, size_t count) {
  (void)ctx;
  int rank, n;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  const int next = (rank + 1) % n, prev = (rank + n - 1) % n;
  if (send == NULL)
    return MPI_Sendrecv_replace(recv, (int)count, MPI_FLOAT, next, 0, prev, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE) !=
           MPI_SUCCESS;
  return MPI_Sendrecv(send, (int)count, MPI_FLOAT, next, 0, recv, (int)count, MPI_FLOAT, prev, 0, MPI_COMM_WORLD,
                      MPI_STATUS_IGNORE) != MPI_SUCCESS;
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank, n;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  CompareOptions o = compareParseArgs(argc, argv);
  if (o.maxBytes / sizeof(float) > 0x7fffffff || o.check) {
    if (rank == 0) fprintf(stderr, "mpi_sendrecv: needs -c 0 and an -e that fits an int count\n");
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  CompareOps ops = {"MPI sendrecv", NULL, mpiSendrecvFloat, mpiAllreduceDouble, mpiBarrier, mpiNow};
  int failed = compareMain(&o, &ops, rank, n);
  MPI_Finalize();
  return failed;
}
