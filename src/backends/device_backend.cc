#include "backends/device_backend.h"

#include "base/log.h"

namespace hccl {

DeviceBackend::DeviceBackend(const hcclDeviceRuntime_v2* runtime, int device)
    : rt_(runtime), device_(device) {
  int supported = 0;
  if (rt_->streamMemOpsSupported(&supported, device_) == 0) memOps_ = supported != 0;
  char bus[32] = "?";
  rt_->pciBusId(bus, sizeof(bus), device_);
  HCCL_INFO(Init, "%s backend: device %d (PCI %s), stream gate by %s", rt_->name, device_, bus,
            memOps_ ? "write/wait value" : "host function");
}

DeviceBackend::~DeviceBackend() {
  // Process teardown: the vendor runtime may already be gone, so the stream is left to it.
}

Status DeviceBackend::check(int code, const char* what) const {
  if (code == 0) return Status::Success;
  HCCL_WARN("%s device %d: %s failed: %s (%d)", rt_->name, device_, what, rt_->errorText(code), code);
  return Status::SystemError;
}

Status DeviceBackend::select() { return check(rt_->setDevice(device_), "set device"); }

bool DeviceBackend::isDeviceMemory(const void* ptr) const {
  int device = -1;
  return ptr != nullptr && rt_->pointerDevice(&device, ptr) == 0 && device >= 0;
}

Status DeviceBackend::syncPrivate(const char* what) {
  return check(rt_->streamSynchronize(stream_), what);
}

Status DeviceBackend::allocate(void** ptr, size_t bytes) {
  if (ptr == nullptr) return Status::InvalidArgument;
  HCCL_TRY(select());
  return check(rt_->deviceAlloc(ptr, bytes == 0 ? 1 : bytes), "device memory allocation");
}

Status DeviceBackend::release(void* ptr) {
  if (ptr == nullptr) return Status::Success;
  if (!isDeviceMemory(ptr)) return hostBackend().release(ptr);
  return check(rt_->deviceFree(ptr), "device memory release");
}

// Runs `call(stream)` on the private stream and waits for it.
template <class Call>
Status DeviceBackend::onDevice(Call call, const char* what) {
  std::lock_guard<std::mutex> lock(mutex_);
  HCCL_TRY(select());
  if (stream_ == nullptr) HCCL_TRY(check(rt_->streamCreate(&stream_), "stream creation"));
  HCCL_TRY(check(call(stream_), what));
  return syncPrivate(what);
}

// Each method below: host memory only -> the host backend, else the device.
Status DeviceBackend::copy(void* dst, const void* src, size_t bytes) {
  if (bytes == 0 || dst == src) return Status::Success;
  if (!isDeviceMemory(dst) && !isDeviceMemory(src)) return hostBackend().copy(dst, src, bytes);
  return onDevice([&](void* s) { return rt_->copyAsync(dst, src, bytes, s); }, "copy");
}

Status DeviceBackend::reduce(void* dst, const void* a, const void* b, size_t count, DataType type,
                             ReduceOp op) {
  if (count == 0) return Status::Success;
  if (!isDeviceMemory(dst) && !isDeviceMemory(a) && !isDeviceMemory(b))
    return hostBackend().reduce(dst, a, b, count, type, op);
  return onDevice([&](void* s) {
    return rt_->reduce(dst, nullptr, a, b, count, static_cast<int>(type), static_cast<int>(op), s);
  }, "reduce kernel");
}

Status DeviceBackend::scale(void* dst, const void* src, size_t count, DataType type,
                            const void* scalar) {
  if (count == 0) return Status::Success;
  if (!isDeviceMemory(dst) && !isDeviceMemory(src))
    return hostBackend().scale(dst, src, count, type, scalar);
  return onDevice([&](void* s) { return rt_->scale(dst, src, count, static_cast<int>(type), scalar, s); },
                  "scale kernel");
}

Status DeviceBackend::divide(void* buf, size_t count, DataType type, int divisor) {
  if (count == 0 || divisor == 1) return Status::Success;
  if (!isDeviceMemory(buf)) return hostBackend().divide(buf, count, type, divisor);
  return onDevice([&](void* s) { return rt_->divide(buf, count, static_cast<int>(type), divisor, s); },
                  "divide kernel");
}

}  // namespace hccl
