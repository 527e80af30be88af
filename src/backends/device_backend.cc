#include "backends/device_backend.h"

#include "base/log.h"

namespace hccl {

DeviceBackend::DeviceBackend(const hcclDeviceRuntime_v3* runtime, int device)
    : rt_(runtime), device_(device) {
  int supported = 0;
  rt_->streamMemOpsSupported(&supported, device_);
  char bus[32] = "?";
  rt_->pciBusId(bus, sizeof(bus), device_);
  HCCL_INFO(Init, "%s backend: device %d (PCI %s), stream waits by %s", rt_->name, device_, bus,
            supported != 0 ? "stream memory operations" : "one-thread kernels");
}

DeviceBackend::~DeviceBackend() {
  // Process teardown: the vendor runtime may already be gone, so the stream is left to it.
}

Status DeviceBackend::check(int code, const char* what) const {
  if (code == 0) return Status::Success;
  HCCL_WARN("%s device %d: %s failed: %s (%d)", rt_->name, device_, what, rt_->errorText(code), code);
  return Status::SystemError;
}

Status DeviceBackend::probe(int code, std::string* why) const {
  if (code == 0) return Status::Success;
  if (why != nullptr) *why = rt_->errorText(code);
  return Status::SystemError;
}

Status DeviceBackend::select() { return check(rt_->setDevice(device_), "set device"); }

int DeviceBackend::currentDevice() const {
  int device = -1;
  return rt_->getDevice(&device) == 0 ? device : -1;
}

Status DeviceBackend::selectDevice(int device) { return check(rt_->setDevice(device), "set device"); }

Status DeviceBackend::preloadKernels() { return check(rt_->preloadKernels(), "kernel preload"); }

bool DeviceBackend::isDeviceMemory(const void* ptr) const {
  int device = -1;
  return ptr != nullptr && rt_->pointerDevice(&device, ptr) == 0 && device >= 0;
}

// ---- streams and events ------------------------------------------------------------------------

Status DeviceBackend::createStream(void** stream) { return check(rt_->streamCreate(stream), "stream creation"); }

void DeviceBackend::destroyStream(void* stream) {
  if (stream != nullptr) rt_->streamDestroy(stream);
}

Status DeviceBackend::syncStream(void* stream, const char* what) { return check(rt_->streamSynchronize(stream), what); }

void DeviceBackend::finishStream(void* stream) {
  if (stream != nullptr) rt_->streamSynchronize(stream);
}

Status DeviceBackend::streamWaitEvent(void* stream, void* event) {
  return check(rt_->streamWaitEvent(stream, event), "stream wait");
}

Status DeviceBackend::isCapturing(void* stream, bool* capturing) {
  int on = 0;
  HCCL_TRY(check(rt_->streamIsCapturing(&on, stream), "stream capture query"));
  *capturing = on != 0;
  return Status::Success;
}

Status DeviceBackend::createEvent(void** event) { return check(rt_->eventCreate(event), "event creation"); }

void DeviceBackend::destroyEvent(void* event) {
  if (event != nullptr) rt_->eventDestroy(event);
}

Status DeviceBackend::recordEvent(void* event, void* stream) { return check(rt_->eventRecord(event, stream), "event record"); }


// ---- memory ----------------------------------------------------------------------------------

Status DeviceBackend::allocatePinned(void** ptr, size_t bytes) {
  return check(rt_->hostAlloc(ptr, bytes), "pinned host allocation");
}

void DeviceBackend::freePinned(void* ptr) {
  if (ptr != nullptr) rt_->hostFree(ptr);
}

Status DeviceBackend::mappedAddress(void* hostPtr, void** devicePtr) {
  return check(rt_->hostDevicePointer(devicePtr, hostPtr), "device address of pinned memory");
}

void DeviceBackend::freeDevice(void* ptr) {
  if (ptr != nullptr) rt_->deviceFree(ptr);
}

// ---- work on a stream ------------------------------------------------------------------------

Status DeviceBackend::copyAsync(void* dst, const void* src, size_t bytes, void* stream, const char* what) {
  return check(rt_->copyAsync(dst, src, bytes, stream), what);
}

Status DeviceBackend::reduceAsync(void* dst, void* dst2, const void* a, const void* b, size_t count, DataType type,
                                  ReduceOp op, void* stream) {
  return check(rt_->reduce(dst, dst2, a, b, count, static_cast<int>(type), static_cast<int>(op), stream),
               "reduce kernel");
}

Status DeviceBackend::scaleAsync(void* dst, const void* src, size_t count, DataType type, const void* scalar,
                                 void* stream) {
  return check(rt_->scale(dst, src, count, static_cast<int>(type), scalar, stream), "scale kernel");
}

Status DeviceBackend::divideAsync(void* buf, size_t count, DataType type, int divisor, void* stream) {
  return check(rt_->divide(buf, count, static_cast<int>(type), divisor, stream), "divide kernel");
}

Status DeviceBackend::writeValue(void* stream, void* word, uint32_t value) {
  return check(rt_->streamWriteValue32(stream, word, value), "stream write value");
}

Status DeviceBackend::waitValue(void* stream, void* word, uint32_t value) {
  return check(rt_->streamWaitValue32(stream, word, value), "stream wait value");
}

Status DeviceBackend::waitFlag(void* stream, const void* flag, uint32_t value, const void* abort) {
  return check(rt_->waitFlag(flag, value, abort, stream), "flag wait kernel");
}

// ---- memory shared between processes -----------------------------------------------------------

Status DeviceBackend::exportIpcHandle(void* handle, void* base, std::string* why) {
  return probe(rt_->ipcGetHandle(handle, base), why);
}

Status DeviceBackend::openIpcHandle(void** mapped, const void* handle, std::string* why) {
  return probe(rt_->ipcOpenHandle(mapped, handle), why);
}

void DeviceBackend::closeIpcHandle(void* mapped) { rt_->ipcCloseHandle(mapped); }

Status DeviceBackend::enablePeerAccess(int peerDevice, std::string* why) {
  return probe(rt_->enablePeerAccess(peerDevice), why);
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
