// Host reduction kernels against memcpy.
//
// Bandwidth is "bytes touched per second": a reduce of N bytes per buffer reads two buffers and
// writes one, 3N bytes; a memcpy of N bytes reads one and writes one, 2N bytes. The `GB/s`
// counter uses that definition (10^9 bytes), and `vs_memcpy` divides it by memcpy's GB/s for
// the same N measured in the same process (median of several runs). Every buffer is distinct
// (out of place) unless the benchmark name says inplace (dst == a: 2 reads, 1 write, still 3N).
//
//   hccl_reduce_bench --benchmark_filter='sum/(float|half|bfloat16)/' --benchmark_repetitions=5
//
// Sizes: 256 KiB per buffer (cache-resident after the first pass) and 64 MiB per buffer (three
// buffers, 192 MiB, well beyond any L3). Arguments are bytes per buffer.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "backends/host/host_kernels.h"
#include "core/datatype.h"

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

// memcpy bandwidth (2N bytes touched), median of 15 timed runs after a warm-up; cached.
double memcpyBaseline(size_t bytes) {
  static std::map<size_t, double> cache;
  auto it = cache.find(bytes);
  if (it != cache.end()) return it->second;
  Buffers& b = buffers(bytes);
  const int reps = bytes <= (1u << 20) ? 2000 : 4;
  std::vector<double> samples;
  for (int s = 0; s < 16; ++s) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) {
      memcpy(b.dst, b.a, bytes);
      benchmark::ClobberMemory();
    }
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s > 0) samples.push_back(gbps(2 * bytes * reps, sec));
  }
  std::nth_element(samples.begin(), samples.begin() + samples.size() / 2, samples.end());
  return cache[bytes] = samples[samples.size() / 2];
}

void bmMemcpy(benchmark::State& state) {
  const size_t bytes = static_cast<size_t>(state.range(0));
  Buffers& b = buffers(bytes);
  for (auto _ : state) {
    memcpy(b.dst, b.a, bytes);
    benchmark::ClobberMemory();
  }
  const double touched = static_cast<double>(2 * bytes) * static_cast<double>(state.iterations());
  state.counters["GB/s"] = benchmark::Counter(touched / 1e9, benchmark::Counter::kIsRate);
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
  for (auto _ : state) {
    kernel(dst, b.a, b.b, count);
    benchmark::ClobberMemory();
  }
  const double rate = static_cast<double>(3 * bytes) * static_cast<double>(state.iterations());
  state.counters["GB/s"] = benchmark::Counter(rate / 1e9, benchmark::Counter::kIsRate);
  state.counters["memcpy_GB/s"] = baseline;
  state.counters["vs_memcpy"] = benchmark::Counter(rate / 1e9 / baseline, benchmark::Counter::kIsRate);
}

void registerAll() {
  for (size_t bytes : kSizes) {
    benchmark::RegisterBenchmark("memcpy", bmMemcpy)->Arg(static_cast<int64_t>(bytes))
        ->Unit(benchmark::kMicrosecond)->UseRealTime();
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
        bm->Unit(benchmark::kMicrosecond)->UseRealTime();
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
