// A GPU as a Backend, written once over the device runtime table (common/device_runtime.h) that
// libhccl-cuda.so and libhccl-hip.so fill. Compiled into the core: no vendor header here.
//
// Every Backend method accepts host or device pointers (unified addressing): when no pointer is
// device memory the host backend does the work, so the executor may run staged (host) pieces of a
// device rank's operation through the same backend bit for bit as a host rank would. Device work
// runs on a private stream and is complete when the method returns.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "backends/backend.h"
#include "backends/common/device_runtime.h"

namespace hccl {

class DeviceBackend final : public Backend {
 public:
  DeviceBackend(const hcclDeviceRuntime_v3* runtime, int device);
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

  // What GPU ranks (src/device) do with a device, as typed calls: the device layer reaches the
  // vendor runtime only through these. Streams and events are the runtime's opaque handles.
  // Each call returns a Status; a failure is logged (WARN) with the vendor's text, except for the
  // probes (marked): those fail quietly and put the vendor's text in *why, since their callers
  // fall back to another path and say so themselves.

  // Makes this device current on the calling thread (per-thread state in every vendor runtime).
  Status select();
  int currentDevice() const;  // -1 when the runtime cannot say
  Status selectDevice(int device);
  bool isDeviceMemory(const void* ptr) const;
  // Loads every kernel now (common/device_runtime.h: preloadKernels), on the current device.
  Status preloadKernels();

  Status createStream(void** stream);
  void destroyStream(void* stream);
  Status syncStream(void* stream, const char* what);
  // At teardown: waits for the stream, quietly (after a device error it fails, and there is
  // nobody left to tell).
  void finishStream(void* stream);
  Status streamWaitEvent(void* stream, void* event);
  Status isCapturing(void* stream, bool* capturing);
  Status createEvent(void** event);
  void destroyEvent(void* event);
  Status recordEvent(void* event, void* stream);

  // Pinned host memory mapped into the device, and the device address of such memory.
  Status allocatePinned(void** ptr, size_t bytes);
  void freePinned(void* ptr);
  Status mappedAddress(void* hostPtr, void** devicePtr);
  void freeDevice(void* ptr);

  // Work ordered on a stream: a copy in any direction, and the shared kernels
  // (common/device_kernels.h): dst (and dst2 unless null) = a op b; dst = src * *scalar; /=.
  Status copyAsync(void* dst, const void* src, size_t bytes, void* stream, const char* what);
  Status reduceAsync(void* dst, void* dst2, const void* a, const void* b, size_t count, DataType type, ReduceOp op,
                     void* stream);
  Status scaleAsync(void* dst, const void* src, size_t count, DataType type, const void* scalar, void* stream);
  Status divideAsync(void* buf, size_t count, DataType type, int divisor, void* stream);

  // Words shared with the host or with peers: the stream writes `value` into `word` once its
  // earlier work is done and visible; waits until the word reaches `value`; or, as a kernel,
  // waits until `flag` reaches `value` or `*abort` turns nonzero (common/device_runtime.h).
  Status writeValue(void* stream, void* word, uint32_t value);
  Status waitValue(void* stream, void* word, uint32_t value);
  Status waitFlag(void* stream, const void* flag, uint32_t value, const void* abort);

  // Device memory shared between processes.
  static constexpr size_t kIpcHandleBytes = HCCL_DEVICE_IPC_HANDLE_BYTES;
  // Probes: export the allocation starting at `base`; map a peer's; reach another device's memory.
  Status exportIpcHandle(void* handle, void* base, std::string* why);
  Status openIpcHandle(void** mapped, const void* handle, std::string* why);
  void closeIpcHandle(void* mapped);
  Status enablePeerAccess(int peerDevice, std::string* why);

 private:
  // Turns a runtime return code into a Status, logging `what` and the vendor's text on failure.
  Status check(int code, const char* what) const;
  // The same, quietly, with the vendor's text in *why.
  Status probe(int code, std::string* why) const;
  Status syncPrivate(const char* what);
  template <class Call>
  Status onDevice(Call call, const char* what);

  const hcclDeviceRuntime_v3* rt_;
  int device_;
  std::mutex mutex_;        // guards the private stream
  void* stream_ = nullptr;  // created on first use
};

// Makes `device` current on this thread for the scope and then restores the caller's device:
// every entry point that touches a device leaves the caller's current device as it found it.
class DeviceScope {
 public:
  explicit DeviceScope(DeviceBackend& device) : device_(device), previous_(device.currentDevice()) {
    status_ = device.select();
  }
  ~DeviceScope() {
    if (previous_ >= 0) device_.selectDevice(previous_);
  }
  DeviceScope(const DeviceScope&) = delete;
  DeviceScope& operator=(const DeviceScope&) = delete;
  Status status() const { return status_; }

 private:
  DeviceBackend& device_;
  int previous_;
  Status status_;
};

}  // namespace hccl
