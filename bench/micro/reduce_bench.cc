// Host reduction kernels against memcpy, and every kernel's own rate.
//
// Bandwidth is "bytes touched per second": a reduce of N bytes per buffer reads two buffers and
// writes one, 3N bytes; a memcpy of N bytes reads one and writes one, 2N bytes. The `GB/s`
// counter uses that definition (10^9 bytes); `memcpy_GB/s` is memcpy's for the same N, measured
// just before, and `vs_memcpy` their ratio. Times are the thread's CPU time. Every buffer is
// distinct (out of place) unless the name says inplace (dst == a: 2 reads, 1 write, still 3N).
//
//   hccl_reduce_bench --benchmark_filter='sum/(float|half|bfloat16)/'
//                     --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// Sizes (the argument, bytes per buffer): 256 KiB, cache-resident after the first pass (three
// buffers, 768 KiB: L2 plus L3 on most CPUs), and 64 MiB (192 MiB in all, beyond any L3).
//
// The other kernels (prod, max, min, scale, divide of every type) run at 256 KiB only, where
// their arithmetic rather than memory sets the rate: `elems/s` counts elements per second.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <ctime>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "backends/host/host_kernels.h"
#include "base/datatype.h"

namespace {

using hccl::DataType;

constexpr size_t kSizes[] = {256u << 10, 64u << 20};

struct Buffers {
  void* a = nullptr;
  void* b = nullptr;
  void* dst = nullptr;
  size_t bytes = 0;
};

// Buffers are shared between benchmarks of one size (allocation and first touch of 192 MiB
// would otherwise dominate short runs). Values are small positive numbers in every type, so
// no kernel meets NaN, infinity or a subnormal on its fast path.
void fillValues(void* p, size_t bytes, DataType type, int seed) {
  const size_t n = bytes / hccl::dataTypeSize(type);
  auto* u8 = static_cast<uint8_t*>(p);
  for (size_t i = 0; i < n; ++i) {
    const unsigned v = 1 + static_cast<unsigned>((i * 7 + seed) % 5);
    switch (type) {
      case DataType::Int8: case DataType::Uint8: u8[i] = static_cast<uint8_t>(v); break;
      case DataType::Float8e4m3: u8[i] = static_cast<uint8_t>(0x30 + v); break;  // ~0.5..1
      case DataType::Float8e5m2: u8[i] = static_cast<uint8_t>(0x38 + v); break;
      case DataType::Float16: { uint16_t h = static_cast<uint16_t>(0x3C00 + v); memcpy(u8 + 2 * i, &h, 2); break; }
      case DataType::Bfloat16: { uint16_t h = static_cast<uint16_t>(0x3F80 + v); memcpy(u8 + 2 * i, &h, 2); break; }
      case DataType::Int32: case DataType::Uint32: { uint32_t x = v; memcpy(u8 + 4 * i, &x, 4); break; }
      case DataType::Float32: { float x = static_cast<float>(v); memcpy(u8 + 4 * i, &x, 4); break; }
      case DataType::Int64: case DataType::Uint64: { uint64_t x = v; memcpy(u8 + 8 * i, &x, 8); break; }
      case DataType::Float64: { double x = v; memcpy(u8 + 8 * i, &x, 8); break; }
    }
  }
}

Buffers& buffers(size_t bytes) {
  static std::map<size_t, Buffers> all;
  Buffers& b = all[bytes];
  if (b.bytes == 0) {
    b.bytes = bytes;
    // One spare page, so that unaligned variants stay inside the allocation.
    for (void** p : {&b.a, &b.b, &b.dst}) {
      (void)hccl::hostBackend().allocate(p, bytes + 4096);
      memset(*p, 0, bytes + 4096);
    }
  }
  return b;
}

double gbps(size_t touched, double seconds) { return static_cast<double>(touched) / seconds / 1e9; }

// CPU time of this thread: the machines these run on are shared, and time spent descheduled
// says nothing about the kernels. (Google Benchmark's own timings below are CPU time too.)
double threadSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// memcpy bandwidth (2N bytes touched): median of 7 timed runs after a warm-up, measured right
// before each reduce benchmark so that both see the same machine (it is shared and noisy).
double memcpyBaseline(size_t bytes) {
  Buffers& b = buffers(bytes);
  const int reps = bytes <= (1u << 20) ? 500 : 2;
  std::vector<double> samples;
  for (int s = 0; s < 8; ++s) {
    const double t0 = threadSeconds();
    for (int r = 0; r < reps; ++r) {
      memcpy(b.dst, b.a, bytes);
      benchmark::ClobberMemory();
    }
    const double sec = threadSeconds() - t0;
    if (s > 0) samples.push_back(gbps(2 * bytes * reps, sec));
  }
  std::nth_element(samples.begin(), samples.begin() + samples.size() / 2, samples.end());
  return samples[samples.size() / 2];
}

void bmMemcpy(benchmark::State& state) {
  const size_t bytes = static_cast<size_t>(state.range(0));
  Buffers& b = buffers(bytes);
  const double t0 = threadSeconds();
  for (auto _ : state) {
    memcpy(b.dst, b.a, bytes);
    benchmark::ClobberMemory();
  }
  state.counters["GB/s"] = gbps(2 * bytes * state.iterations(), threadSeconds() - t0);
}

enum class Mode { OutOfPlace, InPlace };

void bmReduce(benchmark::State& state, const hccl::host::KernelSet* set, DataType type,
              hccl::ReduceOp op, Mode mode) {
  const size_t bytes = static_cast<size_t>(state.range(0));
  const double baseline = memcpyBaseline(bytes);
  Buffers& b = buffers(bytes);
  fillValues(b.a, bytes, type, 1);
  fillValues(b.b, bytes, type, 2);
  const size_t count = bytes / hccl::dataTypeSize(type);
  const auto kernel = set->reduce[static_cast<int>(type)][static_cast<int>(op)];
  void* dst = mode == Mode::InPlace ? b.a : b.dst;
  const double t0 = threadSeconds();
  for (auto _ : state) {
    kernel(dst, b.a, b.b, count);
    benchmark::ClobberMemory();
  }
  const double rate = gbps(3 * bytes * state.iterations(), threadSeconds() - t0);
  state.counters["GB/s"] = rate;
  state.counters["memcpy_GB/s"] = baseline;
  state.counters["vs_memcpy"] = rate / baseline;
}

enum class Kernel { Prod, Max, Min, Scale, Divide };
const char* kernelName(Kernel k) {
  static const char* names[] = {"prod", "max", "min", "scale", "divide"};
  return names[static_cast<int>(k)];
}

void bmKernel(benchmark::State& state, const hccl::host::KernelSet* set, DataType type, Kernel kernel) {
  const size_t bytes = static_cast<size_t>(state.range(0));
  Buffers& b = buffers(bytes);
  fillValues(b.a, bytes, type, 1);
  fillValues(b.b, bytes, type, 2);
  const size_t count = bytes / hccl::dataTypeSize(type);
  const int t = static_cast<int>(type);
  const double t0 = threadSeconds();
  for (auto _ : state) {
    switch (kernel) {
      case Kernel::Prod: set->reduce[t][static_cast<int>(hccl::ReduceOp::Prod)](b.dst, b.a, b.b, count); break;
      case Kernel::Max: set->reduce[t][static_cast<int>(hccl::ReduceOp::Max)](b.dst, b.a, b.b, count); break;
      case Kernel::Min: set->reduce[t][static_cast<int>(hccl::ReduceOp::Min)](b.dst, b.a, b.b, count); break;
      case Kernel::Scale: set->scale[t](b.dst, b.a, count, b.b); break;  // b's first value: 1..5
      case Kernel::Divide:
        memcpy(b.dst, b.a, bytes);  // divide works in place: divide fresh values every pass
        set->divide[t](b.dst, count, 3);
        break;
    }
    benchmark::ClobberMemory();
  }
  state.counters["elems/s"] = static_cast<double>(count * state.iterations()) / (threadSeconds() - t0);
}

void registerAll() {
  for (size_t bytes : kSizes) {
    benchmark::RegisterBenchmark("memcpy", bmMemcpy)->Arg(static_cast<int64_t>(bytes))
        ->Unit(benchmark::kMicrosecond);
  }
  for (int isa = 0; isa < hccl::host::kNumKernelIsas; ++isa) {
    const auto* set = hccl::host::kernelSet(static_cast<hccl::host::KernelIsa>(isa));
    if (set == nullptr) continue;
    for (int t = 0; t < hccl::kNumDataTypes; ++t) {
      const auto type = static_cast<DataType>(t);
      for (Mode mode : {Mode::OutOfPlace, Mode::InPlace}) {
        std::string name = std::string("sum/") + hccl::dataTypeName(type) + "/" + set->name +
                           (mode == Mode::InPlace ? "/inplace" : "");
        auto* bm = benchmark::RegisterBenchmark(name.c_str(), bmReduce, set, type,
                                                hccl::ReduceOp::Sum, mode);
        for (size_t bytes : kSizes) bm->Arg(static_cast<int64_t>(bytes));
        bm->Unit(benchmark::kMicrosecond);
      }
      for (Kernel k : {Kernel::Prod, Kernel::Max, Kernel::Min, Kernel::Scale, Kernel::Divide}) {
        const std::string name = std::string(kernelName(k)) + "/" + hccl::dataTypeName(type) + "/" + set->name;
        benchmark::RegisterBenchmark(name.c_str(), bmKernel, set, type, k)
            ->Arg(static_cast<int64_t>(kSizes[0]))
            ->Unit(benchmark::kMicrosecond);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  registerAll();
  benchmark::AddCustomContext("bandwidth", "bytes touched / s: reduce 3N (2 reads + 1 write), memcpy 2N; N = bytes per buffer (the argument)");
  benchmark::AddCustomContext("active_kernels", hccl::host::activeKernelSet().name);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
