/* The measurement loop shared by the comparison benchmarks (mpi_allreduce.c, gloo_allreduce.cc).
 *
 * It copies what hccl-perf does for all_reduce (bench/perf/report.cc), so that the numbers differ
 * only by the library under test:
 *   - send and receive buffers are page-aligned, sized by -e, allocated once and zeroed (first
 *     touch happens before any timing);
 *   - warm-up: -w collectives at the largest size, then -w at the smallest (out of place);
 *   - per size: slice 0 of the input is refilled, one synchronising collective, a barrier, then -n
 *     timed collectives, each on the next slice of the buffers (small sizes do not run from a hot
 *     cache); the time is each rank's mean, averaged over ranks (hccl-perf's default -a 1);
 *   - out of place, then in place (the receive buffer is both input and output);
 *   - with -c 1, the output is poisoned, the input refilled and one more collective checked
 *     element by element (float sum of small integers: exact in any order);
 *   - the row is printed in hccl-perf's columns: size count type redop root, then time(us) algbw
 *     busbw #wrong for out of place and for in place. busbw = algbw * 2(n-1)/n.
 *
 * Header-only, C and C++. The program supplies a CompareOps table. */
#ifndef HCCL_BENCH_COMPARE_COMMON_H
#define HCCL_BENCH_COMPARE_COMMON_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct CompareOptions {
  size_t minBytes, maxBytes, factor;
  int iters, warmup, check, np;
} CompareOptions;

typedef struct CompareOps {
  const char* name;  /* library, for the header line */
  void* ctx;
  /* float sum over count elements; send == NULL means in place on recv */
  int (*allreduceFloat)(void* ctx, const float* send, float* recv, size_t count);
  /* sum of one double over ranks (time and #wrong combining; also a barrier) */
  int (*allreduceDouble)(void* ctx, double* v);
  int (*barrier)(void* ctx);
  double (*now)(void* ctx); /* seconds */
} CompareOps;

static size_t compareParseSize(const char* s) {
  char* end;
  double v = strtod(s, &end);
  if (end == s) {
    fprintf(stderr, "bad size '%s'\n", s);
    exit(2);
  }
  if (*end == 'K' || *end == 'k') v *= 1024.0, end++;
  else if (*end == 'M' || *end == 'm') v *= 1024.0 * 1024, end++;
  else if (*end == 'G' || *end == 'g') v *= 1024.0 * 1024 * 1024, end++;
  if (*end == 'B' || *end == 'b') end++;
  if (*end || v < 0) {
    fprintf(stderr, "bad size '%s'\n", s);
    exit(2);
  }
  return (size_t)llround(v);
}

/* -b -e -f -n -w -c as hccl-perf (defaults too: 32M, 32M, 1, 20, 1, 1); -np for a self launcher. */
static CompareOptions compareParseArgs(int argc, char** argv) {
  CompareOptions o = {32u << 20, 32u << 20, 1, 20, 1, 1, 1};
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      printf("usage: %s [-b min] [-e max] [-f factor] [-n iters] [-w warmup] [-c 0|1] [-np n]\n"
             "sizes take K/M/G (powers of 1024); float sum AllReduce, hccl-perf's columns\n",
             argv[0]);
      exit(0);
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "%s needs a value\n", a);
      exit(2);
    }
    const char* v = argv[++i];
    if (!strcmp(a, "-b")) o.minBytes = compareParseSize(v);
    else if (!strcmp(a, "-e")) o.maxBytes = compareParseSize(v);
    else if (!strcmp(a, "-f")) o.factor = (size_t)atol(v);
    else if (!strcmp(a, "-n")) o.iters = atoi(v);
    else if (!strcmp(a, "-w")) o.warmup = atoi(v);
    else if (!strcmp(a, "-c")) o.check = atoi(v);
    else if (!strcmp(a, "-np")) o.np = atoi(v);
    else {
      fprintf(stderr, "unknown flag '%s'\n", a);
      exit(2);
    }
  }
  if ((o.factor < 2 && o.minBytes != o.maxBytes) || o.minBytes < 4 || o.minBytes > o.maxBytes ||
      o.iters < 1 || o.warmup < 0 || o.np < 1) {
    fprintf(stderr, "need -f >= 2 (unless -b == -e), 4 <= -b <= -e, -n >= 1, -w >= 0, -np >= 1\n");
    exit(2);
  }
  return o;
}

typedef struct CompareState {
  const CompareOptions* o;
  const CompareOps* ops;
  int rank, n;
  char *send, *recv;
  size_t bufBytes;
} CompareState;

/* hccl-perf's slice of iteration `iter` for a collective of `total` bytes. */
static size_t compareShift(const CompareState* s, size_t total, int iter) {
  size_t steps = total ? s->bufBytes / total : 1;
  if (steps < 1) steps = 1;
  return total * ((size_t)iter % steps);
}

static int compareRun(const CompareState* s, size_t count, int inPlace, int iter) {
  size_t shift = compareShift(s, count * sizeof(float), iter);
  float* recv = (float*)(s->recv + shift);
  const float* send = inPlace ? NULL : (const float*)(s->send + shift);
  return s->ops->allreduceFloat(s->ops->ctx, send, recv, count);
}

/* Input element i of `rank`: small integers, so every partial sum is exact. */
static void compareFill(float* buf, size_t count, int rank, unsigned seed) {
  for (size_t i = 0; i < count; ++i) buf[i] = (float)((rank + i + seed) % 13);
}

#define COMPARE_TRY(x)                                                           \
  do {                                                                           \
    if ((x) != 0) {                                                              \
      fprintf(stderr, "%s: rank %d: %s failed\n", s->ops->name, s->rank, #x);   \
      return 1;                                                                  \
    }                                                                            \
  } while (0)

static int compareTime(CompareState* s, size_t count, int inPlace, unsigned seed) {
  const CompareOptions* o = s->o;
  compareFill(inPlace ? (float*)s->recv : (float*)s->send, count, s->rank, 0);
  COMPARE_TRY(compareRun(s, count, inPlace, 0)); /* sync, as hccl-perf */
  COMPARE_TRY(s->ops->barrier(s->ops->ctx));
  double t0 = s->ops->now(s->ops->ctx);
  for (int it = 0; it < o->iters; ++it) COMPARE_TRY(compareRun(s, count, inPlace, it));
  double sec = (s->ops->now(s->ops->ctx) - t0) / o->iters;
  COMPARE_TRY(s->ops->allreduceDouble(s->ops->ctx, &sec));
  sec /= s->n;
  size_t bytes = count * sizeof(float);
  double algbw = (double)bytes / 1.0e9 / sec, busbw = algbw * 2.0 * (s->n - 1) / s->n;

  double wrong = 0;
  if (o->check) {
    float* in = inPlace ? (float*)s->recv : (float*)s->send;
    float* out = (float*)s->recv;
    memset(out, 0xff, bytes); /* NaN: a collective that writes nothing cannot pass */
    compareFill(in, count, s->rank, seed);
    COMPARE_TRY(compareRun(s, count, inPlace, 0));
    for (size_t i = 0; i < count; ++i) {
      float expect = 0;
      for (int r = 0; r < s->n; ++r) expect += (float)((r + i + seed) % 13);
      if (out[i] != expect) wrong += 1;
    }
    COMPARE_TRY(s->ops->allreduceDouble(s->ops->ctx, &wrong));
  }
  if (s->rank == 0) {
    double us = sec * 1e6;
    char t[32], w[32];
    snprintf(t, sizeof t, us >= 10000 ? "%7.0f" : us >= 100 ? "%7.1f" : "%7.2f", us);
    if (o->check) snprintf(w, sizeof w, "%.0f", wrong);
    else snprintf(w, sizeof w, "N/A");
    printf("  %7s  %6.2f  %6.2f  %5s", t, algbw, busbw, w);
  }
  return wrong != 0 ? 1 : 0;
}

/* The whole benchmark on one rank: returns 0 when every value was correct. */
static int compareMain(const CompareOptions* o, const CompareOps* ops, int rank, int n) {
  CompareState st = {o, ops, rank, n, NULL, NULL, 0};
  CompareState* s = &st;
  s->bufBytes = ((o->maxBytes < 64 ? 64 : o->maxBytes) + 4095) & ~(size_t)4095;
  if (posix_memalign((void**)&s->send, 4096, s->bufBytes) ||
      posix_memalign((void**)&s->recv, 4096, s->bufBytes)) {
    fprintf(stderr, "%s: cannot allocate 2 x %zu bytes\n", ops->name, s->bufBytes);
    return 1;
  }
  memset(s->send, 0, s->bufBytes);
  memset(s->recv, 0, s->bufBytes);
  if (rank == 0) {
    printf("# %s all_reduce: nranks %d, float sum\n", ops->name, n);
    printf("# minBytes %zu maxBytes %zu step: %zu(factor) warmup iters: %d iters: %d "
           "validation: %d\n", o->minBytes, o->maxBytes, o->factor, o->warmup, o->iters, o->check);
    printf("# time: average over ranks\n#\n");
    printf("# %10s  %12s  %8s  %6s  %6s           out-of-place                       in-place\n",
           "", "", "", "", "");
    printf("# %10s  %12s  %8s  %6s  %6s  %7s  %6s  %6s %6s  %7s  %6s  %6s %6s\n", "size", "count",
           "type", "redop", "root", "time", "algbw", "busbw", "#wrong", "time", "algbw", "busbw",
           "#wrong");
    printf("# %10s  %12s  %8s  %6s  %6s  %7s  %6s  %6s  %5s  %7s  %6s  %6s  %5s\n", "(B)",
           "(elements)", "", "", "", "(us)", "(GB/s)", "(GB/s)", "", "(us)", "(GB/s)", "(GB/s)", "");
    fflush(stdout);
  }
  COMPARE_TRY(ops->barrier(ops->ctx));
  size_t warm[2] = {o->maxBytes / sizeof(float), o->minBytes / sizeof(float)};
  for (int k = 0; k < 2; ++k)
    for (int i = 0; i < o->warmup; ++i) COMPARE_TRY(compareRun(s, warm[k], 0, i));

  int failed = 0;
  unsigned seed = 1;
  for (size_t bytes = o->minBytes; bytes <= o->maxBytes; bytes = o->factor > 1 ? bytes * o->factor : o->maxBytes + 1) {
    size_t count = bytes / sizeof(float);
    if (rank == 0) printf("%12zu  %12zu  %8s  %6s  %6d", count * sizeof(float), count, "float", "sum", -1);
    failed |= compareTime(s, count, 0, seed++);
    failed |= compareTime(s, count, 1, seed++);
    if (rank == 0) {
      printf("\n");
      fflush(stdout);
    }
  }
  if (rank == 0) printf("# Out of bounds values : %s\n#\n", failed ? "FAILED" : "0 OK");
  free(s->send);
  free(s->recv);
  return failed;
}

#endif
