// The Gloo anchor: gloo::allreduce (float sum, Gloo's default algorithm) over TCP on 127.0.0.1,
// with hccl-perf's measurement loop, sizes and columns (compare_common.h).
//
//   gloo_allreduce -np 2 -b 8 -e 256M -f 2 -n 20 -w 1
//
// It launches itself: the parent makes a temporary directory for gloo's FileStore (the
// rendezvous), forks -np ranks and waits for them. Every socket is on the loopback address.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <gloo/allreduce.h>
#include <gloo/barrier.h>
#include <gloo/math.h>
#include <gloo/rendezvous/context.h>
#include <gloo/rendezvous/file_store.h>
#include <gloo/transport/tcp/device.h>

#include "compare_common.h"

namespace {

struct GlooCtx {
  std::shared_ptr<gloo::Context> context;
};

using ReduceFn = void (*)(void*, const void*, const void*, size_t);

int glooAllreduceFloat(void* p, const float* send, float* recv, size_t count) {
  auto* g = static_cast<GlooCtx*>(p);
  gloo::AllreduceOptions opts(g->context);
  if (send) opts.setInput(const_cast<float*>(send), count);
  opts.setOutput(recv, count);
  opts.setReduceFunction(static_cast<ReduceFn>(&gloo::sum<float>));
  gloo::allreduce(opts);
  return 0;
}

int glooAllreduceDouble(void* p, double* v) {
  auto* g = static_cast<GlooCtx*>(p);
  gloo::AllreduceOptions opts(g->context);
  opts.setOutput(v, 1);
  opts.setReduceFunction(static_cast<ReduceFn>(&gloo::sum<double>));
  gloo::allreduce(opts);
  return 0;
}

int glooBarrier(void* p) {
  gloo::BarrierOptions opts(static_cast<GlooCtx*>(p)->context);
  gloo::barrier(opts);
  return 0;
}

double glooNow(void*) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int runRank(const CompareOptions& o, const std::string& dir, int rank) {
  try {
    gloo::transport::tcp::attr attr("127.0.0.1");  // loopback only
    auto dev = gloo::transport::tcp::CreateDevice(attr);
    gloo::rendezvous::FileStore store(dir);
    auto context = std::make_shared<gloo::rendezvous::Context>(rank, o.np);
    context->connectFullMesh(store, dev);
    GlooCtx g{context};
    CompareOps ops = {"Gloo (tcp, 127.0.0.1)", &g, glooAllreduceFloat, glooAllreduceDouble,
                      glooBarrier, glooNow};
    return compareMain(&o, &ops, rank, o.np);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gloo_allreduce: rank %d: %s\n", rank, e.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CompareOptions o = compareParseArgs(argc, argv);
  char tmpl[] = "/tmp/gloo_allreduce.XXXXXX";
  if (!mkdtemp(tmpl)) {
    std::perror("mkdtemp");
    return 1;
  }
  std::string dir = tmpl;
  std::fflush(stdout);
  std::vector<pid_t> pids;
  for (int r = 0; r < o.np; ++r) {
    pid_t pid = fork();
    if (pid < 0) {
      std::perror("fork");
      return 1;
    }
    if (pid == 0) {
      int rc = runRank(o, dir, r);
      std::fflush(stdout);
      _exit(rc);
    }
    pids.push_back(pid);
  }
  int failed = 0;
  for (pid_t pid : pids) {
    int status = 0;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) failed = 1;
  }
  std::string rm = "rm -rf '" + dir + "'";
  if (std::system(rm.c_str()) != 0) std::fprintf(stderr, "gloo_allreduce: cannot remove %s\n", tmpl);
  return failed;
}
