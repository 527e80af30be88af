// Where a rank's buffers live: host memory, or GPU memory through the device plugin hccl itself
// loads (HCCL_BACKEND_PLUGIN, else libhccl-<kind>.so beside libnccl.so.2), so one hccl-perf binary
// measures CUDA and HIP ranks without linking either runtime. A GPU rank's calls run on one stream
// of its own; its inputs are written and its outputs read through host copies.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "nccl.h"

struct hcclDeviceRuntime_v3;

namespace hccl::perf {

class Memory {
 public:
  // Host memory when kind is empty or "host" (which also sets HCCL_BACKEND=host: a CPU rank of a
  // mixed run); else the plugin's device (rank % device count), made current, and HCCL_BACKEND
  // set so the communicator this rank creates next uses it too. Throws
  // std::runtime_error when the plugin cannot be loaded or has no device.
  Memory(const std::string& kind, int rank);
  ~Memory();
  Memory(const Memory&) = delete;
  Memory& operator=(const Memory&) = delete;

  bool onDevice() const { return rt_ != nullptr; }
  std::string describe() const;  // for the header: "cpu", "cuda:0 (0000:19:00.0)"
  cudaStream_t stream() const { return static_cast<cudaStream_t>(stream_); }

  void* allocate(size_t bytes);
  void release(void* p);
  // Host bytes to or from this memory, after the calls issued on stream() (synchronous).
  void copy(void* dst, const void* src, size_t bytes);
  // Waits until the calls issued on stream() are done (nothing to do on the host).
  void synchronize();

 private:
  void check(int code, const char* what) const;

  const hcclDeviceRuntime_v3* rt_ = nullptr;
  int device_ = -1;
  void* stream_ = nullptr;
};

}  // namespace hccl::perf
