// A GPU as a Backend, written once over the device runtime table (common/device_runtime.h) that
// libhccl-cuda.so and libhccl-hip.so fill. Compiled into the core: no vendor header here.
//
// Every Backend method accepts host or device pointers (unified addressing): when no pointer is
// device memory the host backend does the work, so the executor may run staged (host) pieces of a
// device rank's operation through the same backend bit for bit as a host rank would. Device work
// runs on a private stream and is complete when the method returns.
#pragma once

#include <mutex>
#include <string>

#include "backends/backend.h"
#include "backends/common/device_runtime.h"

namespace hccl {

class DeviceBackend final : public Backend {
 public:
  DeviceBackend(const hcclDeviceRuntime_v2* runtime, int device);
  ~DeviceBackend() override;

  BackendKind kind() const override { return static_cast<BackendKind>(rt_->kind); }
  const char* name() const override { return rt_->name; }
  int deviceIndex() const override { return device_; }
  DeviceBackend* asDevice() override { return this; }

  Status allocate(void** ptr, size_t bytes) override;
  Status release(void* ptr) override;
  Status copy(void* dst, const void* src, size_t bytes) override;
  Status reduce(void* dst, const void* a, const void* b, size_t count, DataType type,
                ReduceOp op) override;
  Status scale(void* dst, const void* src, size_t count, DataType type,
               const void* scalar) override;
  Status divide(void* buf, size_t count, DataType type, int divisor) override;

  // For the core's device ranks (src/core/device_*.cc).
  const hcclDeviceRuntime_v2& runtime() const { return *rt_; }
  // Makes this device current on the calling thread (per-thread state in every vendor runtime).
  Status select();
  // Turns a runtime return code into a Status, logging `what` and the vendor's text on failure.
  Status check(int code, const char* what) const;
  bool isDeviceMemory(const void* ptr) const;
  // Whether streams can be gated with write/wait value (else a host function holds them).
  bool streamMemOps() const { return memOps_; }

 private:
  Status syncPrivate(const char* what);
  template <class Call>
  Status onDevice(Call call, const char* what);

  const hcclDeviceRuntime_v2* rt_;
  int device_;
  bool memOps_ = false;
  std::mutex mutex_;        // guards the private stream
  void* stream_ = nullptr;  // created on first use
};

}  // namespace hccl
