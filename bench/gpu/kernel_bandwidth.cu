// hccl-gpu-kernel-bw: memory bandwidth of the shared reduction kernels (Sum, every datatype) next
// to a device-to-device copy measured in the same run. Bandwidth counts every byte read and
// written: a copy moves 2 x size, a reduce dst = a + b moves 3 x size. The target on an H100 is
// every datatype's Sum at >= 95% of the copy's bandwidth. Last, the pinned host <-> device copy
// bandwidth, the anchor of the staged GPU <-> CPU path (tools/gpu-check.sh compares them).
// usage: hccl-gpu-kernel-bw [bytes per buffer, default 256M] [iterations, default 20]
#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>
#include <map>

#include "backends/common/device_kernels.h"

namespace {

#define CHECK(call)                                                                   \
  do {                                                                                \
    cudaError_t e_ = (call);                                                          \
    if (e_ != cudaSuccess) {                                                          \
      fprintf(stderr, "%s failed: %s\n", #call, cudaGetErrorString(e_));              \
      exit(e_ == cudaErrorNoDevice || e_ == cudaErrorInsufficientDriver ? 0 : 1);     \
    }                                                                                 \
  } while (0)

// As the CUDA plugin launches: the grid capped at what the device holds at once.
struct Launcher {
  int sm;
  template <class Kernel, class... Args>
  void operator()(Kernel kernel, hccl::dev::LaunchShape shape, Args... args) const {
    static std::map<const void*, int> perSm;
    auto it = perSm.find(reinterpret_cast<const void*>(kernel));
    if (it == perSm.end()) {
      int blocks = 0;
      cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, kernel, shape.threads, 0);
      it = perSm.emplace(reinterpret_cast<const void*>(kernel), blocks).first;
    }
    kernel<<<hccl::dev::cappedBlocks(shape, sm, it->second), shape.threads>>>(args...);
  }
};

const char* kTypeNames[] = {"int8", "uint8", "int32", "uint32", "int64", "uint64",
                            "half", "float", "double", "bfloat16", "fp8e4m3", "fp8e5m2"};
const size_t kTypeSizes[] = {1, 1, 4, 4, 8, 8, 2, 4, 8, 2, 1, 1};

template <class Fn>
double seconds(int iterations, Fn fn) {
  cudaEvent_t start, stop;
  CHECK(cudaEventCreate(&start));
  CHECK(cudaEventCreate(&stop));
  fn();  // warm-up
  CHECK(cudaEventRecord(start));
  for (int i = 0; i < iterations; ++i) fn();
  CHECK(cudaEventRecord(stop));
  CHECK(cudaEventSynchronize(stop));
  float ms = 0;
  CHECK(cudaEventElapsedTime(&ms, start, stop));
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return ms / 1e3 / iterations;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t bytes = argc > 1 ? strtoull(argv[1], nullptr, 0) : size_t{256} << 20;
  const int iterations = argc > 2 ? atoi(argv[2]) : 20;
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    printf("hccl-gpu-kernel-bw: SKIPPED: no CUDA device\n");
    return 0;
  }
  int sm = 0;
  CHECK(cudaDeviceGetAttribute(&sm, cudaDevAttrMultiProcessorCount, 0));
  cudaDeviceProp prop;
  CHECK(cudaGetDeviceProperties(&prop, 0));
  void *a, *b, *d;
  CHECK(cudaMalloc(&a, bytes));
  CHECK(cudaMalloc(&b, bytes));
  CHECK(cudaMalloc(&d, bytes));
  CHECK(cudaMemset(a, 0, bytes));
  CHECK(cudaMemset(b, 0, bytes));
  const double copyBw = 2.0 * bytes / seconds(iterations, [&] { cudaMemcpyAsync(d, a, bytes, cudaMemcpyDeviceToDevice); }) / 1e9;
  printf("# %s, %d SMs, %zu bytes per buffer\n", prop.name, sm, bytes);
  printf("%-10s %12s %12s %8s\n", "type", "sum GB/s", "copy GB/s", "ratio");
  int below = 0;
  for (int t = 0; t < 12; ++t) {
    const size_t n = bytes / kTypeSizes[t];
    const double s = seconds(iterations, [&] {
      hccl::dev::launchReduce(Launcher{sm}, d, nullptr, a, b, n, t, 0);
    });
    CHECK(cudaGetLastError());
    const double bw = 3.0 * bytes / s / 1e9;
    below += bw < 0.95 * copyBw;
    printf("%-10s %12.1f %12.1f %7.1f%%\n", kTypeNames[t], bw, copyBw, 100.0 * bw / copyBw);
  }
  printf("# %d datatype(s) below 95%% of the copy bandwidth\n", below);
  void* pinned;
  CHECK(cudaHostAlloc(&pinned, bytes, cudaHostAllocDefault));
  const double h2d = bytes / seconds(iterations, [&] { cudaMemcpyAsync(a, pinned, bytes, cudaMemcpyHostToDevice); }) / 1e9;
  const double d2h = bytes / seconds(iterations, [&] { cudaMemcpyAsync(pinned, a, bytes, cudaMemcpyDeviceToHost); }) / 1e9;
  printf("# pinned copy GB/s: h2d %.1f d2h %.1f\n", h2d, d2h);
  cudaFreeHost(pinned);
  return 0;
}
