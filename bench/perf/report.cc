#include "report.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "collectives.h"
#include "data.h"
#include "memory.h"

namespace hccl::perf {
namespace {

struct Failure {
  std::string what;
};

// -T: a rank that spends longer than this on one measurement (or on init) gives up.
char gAlarmMessage[160];
void onAlarm(int) {
  ssize_t ignored = ::write(STDERR_FILENO, gAlarmMessage, std::strlen(gAlarmMessage));
  (void)ignored;
  ::_exit(kExitFailed);
}
void armWatchdog(int seconds) {
  if (seconds > 0) ::alarm(unsigned(seconds));
}

constexpr const char* kAverageNames[] = {"rank 0's time", "average over ranks",
                                         "minimum over ranks", "maximum over ranks"};

class Bench {
 public:
  Bench(const Options& opts, RankContext& ctx)
      : o_(opts), coll_(*opts.coll), rank_(ctx.rank), n_(ctx.nranks), ctx_(ctx) {}
  ~Bench() {
    if (mem_) {
      mem_->release(send_);
      mem_->release(recv_);
    }
  }

  int run();
  // After a failure: tear the communicator down without waiting for peers.
  void endRow() {
    if (rowOpen_) std::printf("\n");  // end rank 0's half-printed table row
    rowOpen_ = false;
    std::fflush(stdout);
  }
  void abort() {
    if (comm_) ncclCommAbort(comm_);
    comm_ = nullptr;
  }

 private:
  void check(ncclResult_t res, const char* what) {
    if (res == ncclSuccess) return;
    const char* last = ncclGetLastError(comm_);
    throw Failure{std::string(what) + " failed: " + ncclGetErrorString(res) + " (" +
                  std::to_string(int(res)) + ")" + (last && *last ? std::string(": ") + last : "")};
  }
  // A tiny allreduce of one double on the communicator: barrier, time and error combining.
  double allreduce(double v, ncclRedOp_t op, const char* why) {
    check(ncclAllReduce(&v, &v, 1, ncclFloat64, op, comm_, mem_->stream()), why);
    mem_->synchronize();
    return v;
  }
  // Inputs, poison and outputs pass through host memory (hostSend_/hostRecv_ on a GPU rank).
  void fill(const void* dst, size_t count, ncclDataType_t type, ncclRedOp_t op, bool reduction, uint64_t seed);
  void poison(void* dst, size_t bytes);
  CheckResult checked(const void* out, const Counts& c, ncclDataType_t type, ncclRedOp_t op, int root,
                      uint64_t seed);
  double combineTime(double sec);
  void printHeader();
  void timeTest(ncclDataType_t type, ncclRedOp_t op, int root);
  void benchTime(ncclDataType_t type, ncclRedOp_t op, int root, const Counts& c, bool inPlace);
  void runOnce(ncclDataType_t type, ncclRedOp_t op, int root, const Counts& c, bool inPlace,
               int iter);
  std::pair<const void*, void*> buffers(const Counts& c, size_t elt, bool inPlace, int iter);
  Counts countsFor(size_t bytes, ncclDataType_t type) const {
    size_t elt = typeSize(type);
    return coll_.counts(bytes / elt, elt, n_);
  }

  const Options& o_;
  const Collective& coll_;
  const int rank_, n_;
  RankContext& ctx_;
  std::unique_ptr<Memory> mem_;
  ncclComm_t comm_ = nullptr;
  char* send_ = nullptr;
  char* recv_ = nullptr;
  std::vector<char> hostSend_, hostRecv_;
  size_t bufBytes_ = 0;
  uint64_t measurement_ = 0;  // advances identically on every rank: seeds the check data
  double wrongMeasurements_ = 0;  // this rank's measurements with a wrong value (nccl-tests' count)
  double bwSum_ = 0;
  int bwCount_ = 0;
  bool rowOpen_ = false;
};

double Bench::combineTime(double sec) {
  switch (o_.average) {
    case 0: return allreduce(rank_ == 0 ? sec : 0.0, ncclSum, "ncclAllReduce (time)");
    case 2: return allreduce(sec, ncclMin, "ncclAllReduce (time)");
    case 3: return allreduce(sec, ncclMax, "ncclAllReduce (time)");
    default: return allreduce(sec, ncclSum, "ncclAllReduce (time)") / n_;
  }
}

void Bench::printHeader() {
  // Every rank's line, gathered to all through the communicator (fixed 256-byte records).
  char host[128] = "?";
  ::gethostname(host, sizeof host - 1);
  std::vector<char> lines(size_t(n_) * 256, 0);
  char mine[256];
  std::snprintf(mine, sizeof mine, "#  Rank %2d Group %2d Pid %6d on %10s device %s\n", rank_, 0,
                int(getpid()), host, mem_->describe().c_str());
  ncclResult_t res = ncclAllGather(mine, lines.data(), 256, ncclInt8, comm_, mem_->stream());
  mem_->synchronize();
  if (rank_ != 0) return;

  int version = 0;
  ncclGetVersion(&version);
  std::printf("# hccl-perf %s: nranks %d, NCCL ABI %d\n", coll_.name, n_, version);
  std::printf("# nThread 1 nGpus 1 minBytes %zu maxBytes %zu step: %zu(%s) warmup iters: %d "
              "iters: %d agg iters: %d validation: %d graph: %d\n",
              o_.minBytes, o_.maxBytes, o_.stepFactor > 1 ? o_.stepFactor : o_.stepBytes,
              o_.stepFactor > 1 ? "factor" : "bytes", o_.warmupIters, o_.iters, o_.aggIters,
              o_.check, o_.graphLaunches);
  std::printf("# launcher: %s\n", ctx_.launcher.c_str());
  std::printf("# time: %s (-a %d)\n", kAverageNames[o_.average], o_.average);
  for (const std::string& note : o_.notes) std::printf("# note: %s\n", note.c_str());
  std::printf("#\n# Using devices\n");
  if (res == ncclSuccess) {
    for (int r = 0; r < n_; r++) {
      char* line = &lines[size_t(r) * 256];
      line[255] = 0;
      for (char* p = line; *p; p++)  // the bytes came over the wire: print them safely
        if ((*p < 32 && *p != '\n') || *p > 126) *p = '?';
      std::printf("%s", line);
    }
  } else {
    std::printf("%s# (other ranks' lines unavailable: ncclAllGather failed: %s)\n", mine,
                ncclGetErrorString(res));
  }
  std::printf("#\n");
  std::printf("# %10s  %12s  %8s  %6s  %6s           out-of-place                       in-place"
              "          \n", "", "", "", "", "");
  std::printf("# %10s  %12s  %8s  %6s  %6s  %7s  %6s  %6s %6s  %7s  %6s  %6s %6s\n", "size",
              "count", "type", "redop", "root", "time", "algbw", "busbw", "#wrong", "time",
              "algbw", "busbw", "#wrong");
  std::printf("# %10s  %12s  %8s  %6s  %6s  %7s  %6s  %6s  %5s  %7s  %6s  %6s  %5s\n", "(B)",
              "(elements)", "", "", "", "(us)", "(GB/s)", "(GB/s)", "", "(us)", "(GB/s)",
              "(GB/s)", "");
}

// nccl-tests' startColl: each iteration uses the next slice of the buffers, so small sizes do not
// run from a hot cache; in place, send and receive point into the receive buffer.
std::pair<const void*, void*> Bench::buffers(const Counts& c, size_t elt, bool inPlace, int iter) {
  size_t total = std::max(c.send, c.recv) * elt;
  size_t steps = total ? std::max<size_t>(1, bufBytes_ / total) : 1;
  size_t shift = total * (size_t(iter) % steps);
  char* recv = recv_ + shift;
  if (!inPlace) return {send_ + shift, recv};
  return {recv + c.sendInplace * rank_ * elt, recv + c.recvInplace * rank_ * elt};
}

void Bench::fill(const void* dst, size_t count, ncclDataType_t type, ncclRedOp_t op, bool reduction,
                 uint64_t seed) {
  void* target = mem_->onDevice() ? hostSend_.data() : const_cast<void*>(dst);
  fillInput(target, count, type, op, reduction, rank_, n_, seed);
  if (mem_->onDevice()) mem_->copy(const_cast<void*>(dst), target, count * typeSize(type));
}

void Bench::poison(void* dst, size_t bytes) {
  void* target = mem_->onDevice() ? hostRecv_.data() : dst;
  fillPoison(target, bytes);
  if (mem_->onDevice()) mem_->copy(dst, target, bytes);
}

CheckResult Bench::checked(const void* out, const Counts& c, ncclDataType_t type, ncclRedOp_t op, int root,
                           uint64_t seed) {
  if (mem_->onDevice()) {
    mem_->copy(hostRecv_.data(), out, c.recv * typeSize(type));
    out = hostRecv_.data();
  }
  return checkOutput(out, coll_, c, type, op, rank_, n_, root, seed);
}

void Bench::runOnce(ncclDataType_t type, ncclRedOp_t op, int root, const Counts& c, bool inPlace,
                    int iter) {
  auto [send, recv] = buffers(c, typeSize(type), inPlace, iter);
  check(coll_.run(send, recv, c.param, type, op, root, rank_, n_, comm_, mem_->stream()), coll_.api);
}

void Bench::benchTime(ncclDataType_t type, ncclRedOp_t op, int root, const Counts& c,
                      bool inPlace) {
  armWatchdog(o_.timeoutSec);
  size_t elt = typeSize(type);
  auto [send0, recv0] = buffers(c, elt, inPlace, 0);
  bool reduction = coll_.hasOp;
  // Valid inputs for the timed runs (iteration 0's slice; the others hold earlier, finite data).
  fill(send0, c.send, type, op, reduction, 0x5eedull + measurement_);

  runOnce(type, op, root, c, inPlace, 0);  // sync, as nccl-tests does
  allreduce(0, ncclSum, "ncclAllReduce (barrier)");

  auto t0 = std::chrono::steady_clock::now();
  for (int iter = 0; iter < o_.iters; iter++) {
    if (o_.aggIters > 1) check(ncclGroupStart(), "ncclGroupStart");
    for (int a = 0; a < o_.aggIters; a++) runOnce(type, op, root, c, inPlace, iter * o_.aggIters + a);
    if (o_.aggIters > 1) check(ncclGroupEnd(), "ncclGroupEnd");
  }
  mem_->synchronize();  // a GPU rank's calls return before they are done
  double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() /
               (double(o_.iters) * o_.aggIters);
  sec = combineTime(sec);
  double algBw = double(c.param) * elt * coll_.algFactor(n_) / 1.0e9 / sec;
  double busBw = algBw * coll_.busFactor(n_);

  double wrong = 0;
  for (int rep = 0; rep < o_.check; rep++) {
    uint64_t seed = 0xc4ec4ull + (measurement_ << 8) + rep;
    // Poison the output first, so that a run that writes nothing cannot pass on stale data.
    size_t outBytes = inPlace ? std::max(c.send, c.recv) * elt : c.recv * elt;
    poison(inPlace ? recv_ : recv0, outBytes);
    fill(send0, c.send, type, op, reduction, seed);
    runOnce(type, op, root, c, inPlace, 0);
    CheckResult res = checked(recv0, c, type, op, root, seed);
    if (res.wrong) {
      wrongMeasurements_ += 1;
      std::fprintf(stderr, "hccl-perf: rank %d: %s %s %s root %d count %zu %s: %zu wrong "
                   "element(s): %s\n", rank_, coll_.name, typeName(type),
                   coll_.hasOp ? opName(op) : "none", coll_.hasRoot ? root : -1, c.param,
                   inPlace ? "in-place" : "out-of-place", res.wrong, res.firstWrong.c_str());
    }
    wrong = allreduce(double(res.wrong), ncclSum, "ncclAllReduce (#wrong)");
    if (wrong) break;
  }
  measurement_++;

  if (rank_ == 0) {
    double us = sec * 1e6;
    char time[32], wrongText[32];
    std::snprintf(time, sizeof time, us >= 10000 ? "%7.0f" : us >= 100 ? "%7.1f" : "%7.2f", us);
    if (o_.check) std::snprintf(wrongText, sizeof wrongText, "%.0f", wrong);
    else std::snprintf(wrongText, sizeof wrongText, "N/A");
    std::printf("  %7s  %6.2f  %6.2f  %5s", time, algBw, busBw, wrongText);
  }
  bwSum_ += busBw;
  bwCount_++;
}

void Bench::timeTest(ncclDataType_t type, ncclRedOp_t op, int root) {
  const char* opText = coll_.hasOp ? opName(op) : "none";
  // Zero is a valid, fast value of every type: start each series from clean buffers.
  std::vector<char> zeros(bufBytes_, 0);
  mem_->copy(send_, zeros.data(), bufBytes_);
  mem_->copy(recv_, zeros.data(), bufBytes_);
  allreduce(0, ncclSum, "ncclAllReduce (barrier)");

  // nccl-tests' warm-up: at the largest size, then at the smallest.
  armWatchdog(o_.timeoutSec);
  for (size_t bytes : {o_.maxBytes, o_.minBytes}) {
    Counts c = countsFor(bytes, type);
    for (int i = 0; i < o_.warmupIters; i++) runOnce(type, op, root, c, false, i);
  }

  for (size_t size = o_.minBytes; size <= o_.maxBytes;
       size = o_.stepFactor > 1 ? size * o_.stepFactor : size + o_.stepBytes) {
    Counts c = countsFor(size, type);
    size_t elt = typeSize(type);
    if (rank_ == 0)
      std::printf("%12zu  %12zu  %8s  %6s  %6d", std::max(c.send, c.recv) * elt, c.param,
                  typeName(type), opText, coll_.hasRoot ? root : -1);
    rowOpen_ = rank_ == 0;
    benchTime(type, op, root, c, false);
    benchTime(type, op, root, c, true);
    if (rank_ == 0) std::printf("\n");
    rowOpen_ = false;
    if (size == 0 && o_.stepFactor > 1) break;
  }
}

int Bench::run() {
  if (o_.root >= n_) {
    if (rank_ == 0)
      std::fprintf(stderr, "hccl-perf: -r %d: there are only %d ranks\n", o_.root, n_);
    return kExitUsage;
  }
  std::snprintf(gAlarmMessage, sizeof gAlarmMessage,
                "hccl-perf: rank %d: timed out after %d s (-T)\n", rank_, o_.timeoutSec);
  if (o_.timeoutSec > 0) ::signal(SIGALRM, onAlarm);
  armWatchdog(o_.timeoutSec);

  const bool gpu = !o_.device.empty() && (o_.deviceRanks < 0 || rank_ < o_.deviceRanks);
  try {
    mem_ = std::make_unique<Memory>(gpu ? o_.device : o_.device.empty() ? "" : "host", rank_);
  } catch (const std::runtime_error& e) {
    throw Failure{e.what()};
  }
  check(ncclCommInitRank(&comm_, n_, ctx_.id, rank_), "ncclCommInitRank");
  if (ctx_.commReady) ctx_.commReady();
  printHeader();

  // Allocated once for the largest size, every series reuses them (nccl-tests sizes both by -e).
  bufBytes_ = (std::max<size_t>(o_.maxBytes, 64) + 4095) & ~size_t(4095);
  try {
    send_ = static_cast<char*>(mem_->allocate(bufBytes_));
    recv_ = static_cast<char*>(mem_->allocate(bufBytes_));
  } catch (const std::runtime_error& e) {
    throw Failure{e.what()};
  }
  if (mem_->onDevice()) {
    hostSend_.resize(bufBytes_);
    hostRecv_.resize(bufBytes_);
  }

  std::vector<ncclRedOp_t> ops = coll_.hasOp ? o_.ops : std::vector<ncclRedOp_t>{ncclSum};
  std::vector<int> roots;
  if (!coll_.hasRoot) roots = {0};
  else if (o_.root >= 0) roots = {o_.root};
  else for (int r = 0; r < n_; r++) roots.push_back(r);
  for (ncclDataType_t type : o_.types)
    for (ncclRedOp_t op : ops)
      for (int root : roots) timeTest(type, op, root);
  ::alarm(0);

  double errors = allreduce(wrongMeasurements_, ncclSum, "ncclAllReduce (errors)");
  if (rank_ == 0) {
    std::printf("# Out of bounds values : %.0f %s\n", errors, errors ? "FAILED" : "OK");
    std::printf("# Avg bus bandwidth    : %g \n", bwCount_ ? bwSum_ / bwCount_ : 0.0);
    std::printf("#\n");
  }
  check(ncclCommDestroy(comm_), "ncclCommDestroy");
  comm_ = nullptr;
  return errors ? kExitFailed : kExitOk;
}

}  // namespace

int runRank(const Options& opts, RankContext& ctx) {
  Bench bench(opts, ctx);
  try {
    return bench.run();
  } catch (const Failure& f) {
    bench.endRow();
    std::fprintf(stderr, "hccl-perf: rank %d: %s\n", ctx.rank, f.what.c_str());
    bench.abort();
    return kExitFailed;
  }
}

}  // namespace hccl::perf
