// The reduction kernels every device backend runs, written once: nvcc compiles them in
// src/backends/cuda, hipcc in src/backends/hip, and the host compiler (with a shim that provides
// __global__, threadIdx and friends) in the fake device runtime and the kernel unit test, which
// holds them bit for bit to the host backend.
//
// Shape: a grid-stride loop over 16-byte vectors, kUnroll vectors in flight per thread, when
// every pointer is 16-byte aligned; element loads (typed when the pointers are aligned to the
// element, byte-wise otherwise) for the rest. A launch asks for as many blocks as the data
// needs; the launcher caps that at what the device holds at once (SMs times the occupancy the
// device reports for the kernel).
//
// The waits and writes of stream gates and barriers are one-thread kernels here too, for
// devices without stream memory operations and for the barriers' waits, which also watch an
// abort word and a peer's failure.
//
// The including unit provides a launcher: launch(kernel, LaunchShape, args...) starts
// kernel<<<blocks, shape.threads, 0, stream>>>(args...) or its equivalent, and may provide
// HCCL_SPIN_PAUSE() and HCCL_FENCE_SYSTEM() (the host shim does).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "backends/common/reduce_ops.h"

namespace hccl {
namespace dev {

struct alignas(16) Vec16 {
  uint64_t lo, hi;
};

struct LaunchShape {
  unsigned blocks;
  unsigned threads;
};

constexpr unsigned kThreadsPerBlock = 512;
constexpr int kUnroll = 4;

// The blocks the data needs (each thread kUnroll vectors of 16 bytes); the launcher caps them.
inline LaunchShape launchShape(size_t bytes) {
  const size_t vecs = (bytes + 15) / 16;
  size_t blocks = (vecs + kThreadsPerBlock * kUnroll - 1) / (kThreadsPerBlock * kUnroll);
  if (blocks == 0) blocks = 1;
  if (blocks > 0x7fffffff) blocks = 0x7fffffff;
  return {static_cast<unsigned>(blocks), kThreadsPerBlock};
}

// Grids are at most the blocks a device runs at once: smCount * blocksPerSm.
inline unsigned cappedBlocks(LaunchShape shape, int smCount, int blocksPerSm) {
  const long long cap = static_cast<long long>(smCount > 0 ? smCount : 1) * (blocksPerSm > 0 ? blocksPerSm : 1);
  return static_cast<unsigned>(static_cast<long long>(shape.blocks) < cap ? shape.blocks : cap);
}

#ifndef HCCL_SPIN_PAUSE
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 700
#define HCCL_SPIN_PAUSE() __nanosleep(256)
#elif defined(__HIP_DEVICE_COMPILE__)
#define HCCL_SPIN_PAUSE() __builtin_amdgcn_s_sleep(2)
#else
#define HCCL_SPIN_PAUSE()
#endif
#endif
#ifndef HCCL_FENCE_SYSTEM
#define HCCL_FENCE_SYSTEM() __threadfence_system()
#endif

template <class T>
HCCL_DEV_FN T loadElem(const unsigned char* p, size_t i, bool typed) {
  if (typed) return reinterpret_cast<const T*>(p)[i];
  T v;
  memcpy(&v, p + i * sizeof(T), sizeof(T));
  return v;
}
template <class T>
HCCL_DEV_FN void storeElem(unsigned char* p, size_t i, T v, bool typed) {
  if (typed) {
    reinterpret_cast<T*>(p)[i] = v;
    return;
  }
  memcpy(p + i * sizeof(T), &v, sizeof(T));
}

template <class T, class F>
HCCL_DEV_FN Vec16 lanewise(const Vec16& x, const Vec16& y, F f) {
  constexpr int kLanes = 16 / sizeof(T);
  T a[kLanes], b[kLanes];
  memcpy(a, &x, 16);
  memcpy(b, &y, 16);
  for (int l = 0; l < kLanes; ++l) a[l] = f(a[l], b[l]);
  Vec16 r;
  memcpy(&r, a, 16);
  return r;
}

// Binary callables for lanewise(): the operator, and a unary map that ignores its second operand.
template <class Fn>
struct OpCall {
  HCCL_DEV_FN typename Fn::T operator()(typename Fn::T x, typename Fn::T y) const {
    return Fn::apply(x, y);
  }
};
template <class Map>
struct MapCall {
  Map map;
  HCCL_DEV_FN typename Map::T operator()(typename Map::T x, typename Map::T) const { return map(x); }
};

struct ReduceArgs {
  unsigned char* dst;
  unsigned char* dst2;  // optional second output (copy and reduce in one pass)
  const unsigned char* a;
  const unsigned char* b;
  size_t count;
};

// dst[i] = a[i] op b[i] (and dst2[i]).
template <class Fn>
__global__ void reduceKernel(ReduceArgs r) {
  using T = typename Fn::T;
  constexpr size_t kLanes = 16 / sizeof(T);
  const size_t threads = static_cast<size_t>(gridDim.x) * blockDim.x;
  const size_t tid = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const uintptr_t bits = reinterpret_cast<uintptr_t>(r.dst) | reinterpret_cast<uintptr_t>(r.dst2) |
                         reinterpret_cast<uintptr_t>(r.a) | reinterpret_cast<uintptr_t>(r.b);
  const size_t vecs = (bits & 15) == 0 ? r.count / kLanes : 0;
  const OpCall<Fn> op;
  const Vec16* a = reinterpret_cast<const Vec16*>(r.a);
  const Vec16* b = reinterpret_cast<const Vec16*>(r.b);
  Vec16* d = reinterpret_cast<Vec16*>(r.dst);
  Vec16* d2 = reinterpret_cast<Vec16*>(r.dst2);
  size_t v = tid;
  for (; v + (kUnroll - 1) * threads < vecs; v += kUnroll * threads) {
    Vec16 x[kUnroll], y[kUnroll];
    for (int u = 0; u < kUnroll; ++u) {
      x[u] = a[v + u * threads];
      y[u] = b[v + u * threads];
    }
    for (int u = 0; u < kUnroll; ++u) {
      const Vec16 z = lanewise<T>(x[u], y[u], op);
      d[v + u * threads] = z;
      if (d2 != nullptr) d2[v + u * threads] = z;
    }
  }
  for (; v < vecs; v += threads) {
    const Vec16 z = lanewise<T>(a[v], b[v], op);
    d[v] = z;
    if (d2 != nullptr) d2[v] = z;
  }
  const bool typed = bits % sizeof(T) == 0;
  for (size_t i = vecs * kLanes + tid; i < r.count; i += threads) {
    const T z = Fn::apply(loadElem<T>(r.a, i, typed), loadElem<T>(r.b, i, typed));
    storeElem<T>(r.dst, i, z, typed);
    if (r.dst2 != nullptr) storeElem<T>(r.dst2, i, z, typed);
  }
}

// dst[i] = map(src[i]) (scale and divide).
template <class Map>
__global__ void mapKernel(unsigned char* dst, const unsigned char* src, size_t count, Map map) {
  using T = typename Map::T;
  constexpr size_t kLanes = 16 / sizeof(T);
  const size_t threads = static_cast<size_t>(gridDim.x) * blockDim.x;
  const size_t tid = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const uintptr_t bits = reinterpret_cast<uintptr_t>(dst) | reinterpret_cast<uintptr_t>(src);
  const size_t vecs = (bits & 15) == 0 ? count / kLanes : 0;
  const MapCall<Map> f{map};
  const Vec16* s = reinterpret_cast<const Vec16*>(src);
  Vec16* d = reinterpret_cast<Vec16*>(dst);
  for (size_t v = tid; v < vecs; v += threads) d[v] = lanewise<T>(s[v], s[v], f);
  const bool typed = bits % sizeof(T) == 0;
  for (size_t i = vecs * kLanes + tid; i < count; i += threads)
    storeElem<T>(dst, i, map(loadElem<T>(src, i, typed)), typed);
}

// ---- waits and writes on a stream --------------------------------------------------------------

struct FlagWait {
  const volatile uint32_t* flag;
  uint32_t value;
  const volatile uint32_t* abort;  // the communicator's abort (its host sets it)
};

// One thread: returns once the flag reaches the value (wrapping) or the communicator aborts.
__global__ void waitFlagKernel(FlagWait w) {
  if (threadIdx.x != 0 || blockIdx.x != 0) return;
  while (static_cast<int32_t>(*w.flag - w.value) < 0 && *w.abort == 0) HCCL_SPIN_PAUSE();
  HCCL_FENCE_SYSTEM();  // what the peers wrote before their flags is read after it
}

// Stream memory operations as kernels, for devices that lack them.
__global__ void waitValueKernel(const volatile uint32_t* word, uint32_t value) {
  if (threadIdx.x != 0 || blockIdx.x != 0) return;
  while (static_cast<int32_t>(*word - value) < 0) HCCL_SPIN_PAUSE();
}
__global__ void writeValueKernel(volatile uint32_t* word, uint32_t value) {
  if (threadIdx.x != 0 || blockIdx.x != 0) return;
  HCCL_FENCE_SYSTEM();  // the stream's earlier work is complete; make it visible first
  *word = value;
  HCCL_FENCE_SYSTEM();
}

inline constexpr LaunchShape kOneThread{1, 1};

// ---- dispatch --------------------------------------------------------------------------------

// Host-side dispatch from (type, op) values to a kernel instance. False for an invalid pair.
template <class Launch>
bool launchReduce(Launch&& launch, void* dst, void* dst2, const void* a, const void* b, size_t count,
                  int type, int op) {
  if (op < 0 || op > 3) return false;
  return withElem(type, [&](auto elem) {
    using E = decltype(elem);
    const ReduceArgs args{static_cast<unsigned char*>(dst), static_cast<unsigned char*>(dst2),
                          static_cast<const unsigned char*>(a), static_cast<const unsigned char*>(b),
                          count};
    const LaunchShape shape = launchShape(count * sizeof(typename E::T));
    switch (op) {
      case 0: launch(reduceKernel<OpFn<E, 0>>, shape, args); break;
      case 1: launch(reduceKernel<OpFn<E, 1>>, shape, args); break;
      case 2: launch(reduceKernel<OpFn<E, 2>>, shape, args); break;
      default: launch(reduceKernel<OpFn<E, 3>>, shape, args); break;
    }
  });
}

template <class Launch>
bool launchScale(Launch&& launch, void* dst, const void* src, size_t count, int type, const void* scalar) {
  return withElem(type, [&](auto elem) {
    using E = decltype(elem);
    ScaleFn<E> fn;
    memcpy(&fn.s, scalar, sizeof(fn.s));
    launch(mapKernel<ScaleFn<E>>, launchShape(count * sizeof(typename E::T)),
           static_cast<unsigned char*>(dst), static_cast<const unsigned char*>(src), count, fn);
  });
}

template <class Launch>
bool launchDivide(Launch&& launch, void* buf, size_t count, int type, int divisor) {
  return withElem(type, [&](auto elem) {
    using E = decltype(elem);
    launch(mapKernel<DivideFn<E>>, launchShape(count * sizeof(typename E::T)),
           static_cast<unsigned char*>(buf), static_cast<const unsigned char*>(buf), count,
           DivideFn<E>{divisor});
  });
}

// Calls f(kernel) for every kernel instance of this file (what a plugin preloads).
template <class F>
void forEachKernel(F&& f) {
  for (int type = 0; type < kNumKernelTypes; ++type)
    withElem(type, [&](auto elem) {
      using E = decltype(elem);
      f(reduceKernel<OpFn<E, 0>>);
      f(reduceKernel<OpFn<E, 1>>);
      f(reduceKernel<OpFn<E, 2>>);
      f(reduceKernel<OpFn<E, 3>>);
      f(mapKernel<ScaleFn<E>>);
      f(mapKernel<DivideFn<E>>);
    });
  f(waitFlagKernel);
  f(waitValueKernel);
  f(writeValueKernel);
}

}  // namespace dev
}  // namespace hccl
