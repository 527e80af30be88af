/* What the Open MPI anchors (mpi_allreduce.c, mpi_sendrecv.c) share: the measurement loop's
 * helpers over MPI_COMM_WORLD, for their CompareOps tables. */
#ifndef HCCL_BENCH_MPI_COMMON_H
#define HCCL_BENCH_MPI_COMMON_H

#include <mpi.h>

#include "compare_common.h"

static int mpiAllreduceDouble(void* ctx, double* v) {
  (void)ctx;
  return MPI_Allreduce(MPI_IN_PLACE, v, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS;
}

static int mpiBarrier(void* ctx) {
  (void)ctx;
  return MPI_Barrier(MPI_COMM_WORLD) != MPI_SUCCESS;
}

static double mpiNow(void* ctx) {
  (void)ctx;
  return MPI_Wtime();
}

#endif
