/* The Open MPI anchor for hccl-perf: MPI_Allreduce (float sum) over the same sizes, printed in
 * hccl-perf's columns so the comparison script can read both. Time per size is the average
 * over iterations of the slowest rank (what nccl-tests reports by default is per-rank average;
 * the script compares like with like: both use the rank average). */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t parseSize(const char* s) {
  char* end;
  double v = strtod(s, &end);
  switch (*end) {
    case 'K': case 'k': v *= 1024; break;
    case 'M': case 'm': v *= 1024 * 1024; break;
    case 'G': case 'g': v *= 1024.0 * 1024 * 1024; break;
  }
  return (size_t)v;
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank, n;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  size_t minBytes = 8, maxBytes = 64 << 20;
  int factor = 4, iters = 20, warmup = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "-b")) minBytes = parseSize(argv[i + 1]);
    else if (!strcmp(argv[i], "-e")) maxBytes = parseSize(argv[i + 1]);
    else if (!strcmp(argv[i], "-f")) factor = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "-n")) iters = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "-w")) warmup = atoi(argv[i + 1]);
  }
  float* send = malloc(maxBytes);
  float* recv = malloc(maxBytes);
  for (size_t i = 0; i < maxBytes / sizeof(float); ++i) send[i] = (float)(rank + i % 13);
  memset(recv, 0, maxBytes);
  if (rank == 0) printf("# mpi_allreduce: nranks %d, float sum\n#  size count type redop root time(us) algbw busbw #wrong\n", n);
  for (size_t bytes = minBytes; bytes <= maxBytes; bytes *= factor) {
    int count = (int)(bytes / sizeof(float));
    for (int i = 0; i < warmup; ++i) MPI_Allreduce(send, recv, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    for (int i = 0; i < iters; ++i) MPI_Allreduce(send, recv, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    double us = (MPI_Wtime() - t0) * 1e6 / iters, sum = 0;
    MPI_Allreduce(&us, &sum, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    us = sum / n;
    long wrong = 0;
    for (int i = 0; i < count; ++i) {
      float expect = (float)(n * (n - 1) / 2) + (float)n * (float)(i % 13);
      if (recv[i] != expect) ++wrong;
    }
    double algbw = bytes / us / 1e3, busbw = algbw * 2.0 * (n - 1) / n;
    if (rank == 0)
      printf("%12zu %12d float sum -1 %10.2f %7.2f %7.2f %6ld\n", bytes, count, us, algbw, busbw, wrong);
  }
  free(send);
  free(recv);
  MPI_Finalize();
  return 0;
}
