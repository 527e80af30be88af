// The reduction kernels every device backend runs, written once: nvcc compiles them in
// src/backends/cuda, hipcc in src/backends/hip, and the host compiler (with a shim that provides
// __global__, threadIdx and friends) in the fake device runtime and the kernel unit test, which
// holds them bit for bit to the host backend.
//
// Shape: a grid-stride loop over 16-byte vectors, kUnroll vectors in flight per thread, when
// every pointer is 16-byte aligned; element loads (typed when the pointers are aligned to the
// element, byte-wise otherwise) for the rest. The grid is sized from the device's SM count.
//
// The including unit provides a launcher: launch(kernel, LaunchShape, args...) starts
// kernel<<<shape.blocks, shape.threads, 0, stream>>>(args...) or its equivalent.
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
constexpr unsigned kBlocksPerSm = 4;
constexpr int kUnroll = 4;

// Enough blocks to fill the device (kBlocksPerSm per SM), fewer for small inputs.
inline LaunchShape launchShape(size_t bytes, int smCount) {
  const size_t vecs = (bytes + 15) / 16;
  size_t blocks = (vecs + kThreadsPerBlock * kUnroll - 1) / (kThreadsPerBlock * kUnroll);
  const size_t cap = static_cast<size_t>(smCount > 0 ? smCount : 1) * kBlocksPerSm;
  if (blocks > cap) blocks = cap;
  if (blocks == 0) blocks = 1;
  return {static_cast<unsigned>(blocks), kThreadsPerBlock};
}

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

// Host-side dispatch from (type, op) values to a kernel instance. False for an invalid pair.
template <class Launch>
bool launchReduce(Launch&& launch, int smCount, void* dst, void* dst2, const void* a,
                  const void* b, size_t count, int type, int op) {
  if (op < 0 || op > 3) return false;
  return withElem(type, [&](auto elem) {
    using E = decltype(elem);
    const ReduceArgs args{static_cast<unsigned char*>(dst), static_cast<unsigned char*>(dst2),
                          static_cast<const unsigned char*>(a), static_cast<const unsigned char*>(b),
                          count};
    const LaunchShape shape = launchShape(count * sizeof(typename E::T), smCount);
    switch (op) {
      case 0: launch(reduceKernel<OpFn<E, 0>>, shape, args); break;
      case 1: launch(reduceKernel<OpFn<E, 1>>, shape, args); break;
      case 2: launch(reduceKernel<OpFn<E, 2>>, shape, args); break;
      default: launch(reduceKernel<OpFn<E, 3>>, shape, args); break;
    }
  });
}

template <class Launch>
bool launchScale(Launch&& launch, int smCount, void* dst, const void* src, size_t count, int type,
                 const void* scalar) {
  return withElem(type, [&](auto elem) {
    using E = decltype(elem);
    ScaleFn<E> fn;
    memcpy(&fn.s, scalar, sizeof(fn.s));
    launch(mapKernel<ScaleFn<E>>, launchShape(count * sizeof(typename E::T), smCount),
           static_cast<unsigned char*>(dst), static_cast<const unsigned char*>(src), count, fn);
  });
}

template <class Launch>
bool launchDivide(Launch&& launch, int smCount, void* buf, size_t count, int type, int divisor) {
  return withElem(type, [&](auto elem) {
    using E = decltype(elem);
    launch(mapKernel<DivideFn<E>>, launchShape(count * sizeof(typename E::T), smCount),
           static_cast<unsigned char*>(buf), static_cast<const unsigned char*>(buf), count,
           DivideFn<E>{divisor});
  });
}

}  // namespace dev
}  // namespace hccl
