/* The Open MPI anchor for hccl-perf: MPI_Allreduce (float sum) with hccl-perf's measurement loop,
 * sizes and columns (compare_common.h), so bench/compare/run.sh can read both the same way.
 * Launch with mpirun: mpirun -np 2 ./mpi_allreduce -b 8 -e 256M -f 2 -n 20 -w 1 */
#include "mpi_common.h"

static int mpiAllreduceFloat(void* ctx, const float* send, float* recv, size_t count) {
  (void)ctx;
  return MPI_Allreduce(send ? (const void*)send : MPI_IN_PLACE, recv, (int)count, MPI_FLOAT,
                       MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS;
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank, n;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  CompareOptions o = compareParseArgs(argc, argv);
  if (o.maxBytes / sizeof(float) > 0x7fffffff) {
    if (rank == 0) fprintf(stderr, "mpi_allreduce: -e too large for an int count\n");
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  char name[MPI_MAX_LIBRARY_VERSION_STRING] = "MPI";
  int len = 0;
  MPI_Get_library_version(name, &len);
  char* nl = strchr(name, ',');  /* "Open MPI v4.1.4, package: ..." -> "Open MPI v4.1.4" */
  if (nl) *nl = 0;
  CompareOps ops = {name, NULL, mpiAllreduceFloat, mpiAllreduceDouble, mpiBarrier, mpiNow};
  int failed = compareMain(&o, &ops, rank, n);
  MPI_Finalize();
  return failed;
}
