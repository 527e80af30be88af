// The HIP plugin: fills the device runtime table (src/backends/common/device_runtime.h) from the
// HIP runtime (libamdhip64), the AMD counterpart of cuda_runtime_table.cc. Compiled by the host
// compiler against HIP's headers; the kernels come from hip_kernels.hip.cc, compiled by hipcc.
#include <hip/hip_runtime_api.h>

#include <cstdlib>
#include <cstring>

#include "backends/common/device_runtime.h"
#include "backends/hip/hip_kernels.h"

namespace {

// Failures are reported by return code; the runtime's last-error slot is cleared so that the
// application's next hipGetLastError (PyTorch checks one after each kernel) does not see ours.
int rc(hipError_t e) {
  if (e != hipSuccess) (void)hipGetLastError();
  return static_cast<int>(e);
}
hipStream_t st(void* s) { return static_cast<hipStream_t>(s); }
hipEvent_t ev(void* e) { return static_cast<hipEvent_t>(e); }

// HIP's stream waits are a blit kernel on a hardware queue shared with other streams unless
// GPU_STREAMOPS_CP_WAIT=1, when the command processor waits instead (docs/hip.md). It only takes
// effect if set before the HIP runtime starts: when hccl is first to start it, hccl sets it.
int init() {
  setenv("GPU_STREAMOPS_CP_WAIT", "1", 0);
  int count = 0;
  hipError_t e = hipGetDeviceCount(&count);
  if (e != hipSuccess) return rc(e);
  return count == 0 ? rc(hipErrorNoDevice) : 0;
}

const char* errorText(int code) { return hipGetErrorString(static_cast<hipError_t>(code)); }

int deviceCount(int* count) { return rc(hipGetDeviceCount(count)); }
int getDevice(int* device) { return rc(hipGetDevice(device)); }
int setDevice(int device) { return rc(hipSetDevice(device)); }
int pciBusId(char* out, int len, int device) { return rc(hipDeviceGetPCIBusId(out, len, device)); }
int multiProcessorCount(int* count, int device) {
  return rc(hipDeviceGetAttribute(count, hipDeviceAttributeMultiprocessorCount, device));
}

int deviceAlloc(void** ptr, size_t bytes) { return rc(hipMalloc(ptr, bytes)); }
int deviceFree(void* ptr) { return rc(hipFree(ptr)); }
// Coherent (fine-grained) whatever HIP_HOST_COHERENT says: the stream gate's words are polled by
// the host and the device while the other side writes them.
int hostAlloc(void** ptr, size_t bytes) {
  return rc(hipHostMalloc(ptr, bytes, hipHostMallocMapped | hipHostMallocPortable | hipHostMallocCoherent));
}
int hostFree(void* ptr) { return rc(hipHostFree(ptr)); }
int hostDevicePointer(void** devicePtr, void* hostPtr) {
  return rc(hipHostGetDevicePointer(devicePtr, hostPtr, 0));
}
int pointerDevice(int* device, const void* ptr) {
  hipPointerAttribute_t attr;
  if (hipPointerGetAttributes(&attr, ptr) != hipSuccess) {
    (void)hipGetLastError();  // unregistered host memory is not an error worth keeping
    *device = -1;
    return 0;
  }
  // ROCm 6 renamed the field and gave managed memory its own type.
#if HIP_VERSION_MAJOR >= 6
  const bool onDevice = attr.type == hipMemoryTypeDevice || attr.type == hipMemoryTypeManaged;
#else
  const bool onDevice = attr.memoryType == hipMemoryTypeDevice || attr.isManaged != 0;
#endif
  *device = onDevice ? attr.device : -1;
  return 0;
}

int copyAsync(void* dst, const void* src, size_t bytes, void* stream) {
  return rc(hipMemcpyAsync(dst, src, bytes, hipMemcpyDefault, st(stream)));
}

int streamCreate(void** stream) {
  hipStream_t s = nullptr;
  hipError_t e = hipStreamCreateWithFlags(&s, hipStreamNonBlocking);
  *stream = s;
  return rc(e);
}
int streamDestroy(void* stream) { return rc(hipStreamDestroy(st(stream))); }
int streamSynchronize(void* stream) { return rc(hipStreamSynchronize(st(stream))); }
int streamWaitEvent(void* stream, void* event) { return rc(hipStreamWaitEvent(st(stream), ev(event), 0)); }
int streamIsCapturing(int* capturing, void* stream) {
  hipStreamCaptureStatus status = hipStreamCaptureStatusNone;
  hipError_t e = hipStreamIsCapturing(st(stream), &status);
  *capturing = status != hipStreamCaptureStatusNone;
  return rc(e);
}
int eventCreate(void** event) {
  hipEvent_t e = nullptr;
  hipError_t r = hipEventCreateWithFlags(&e, hipEventDisableTiming);
  *event = e;
  return rc(r);
}
int eventDestroy(void* event) { return rc(hipEventDestroy(ev(event))); }
int eventRecord(void* event, void* stream) { return rc(hipEventRecord(ev(event), st(stream))); }

int streamMemOpsSupported(int* supported, int device) {
  return rc(hipDeviceGetAttribute(supported, hipDeviceAttributeCanUseStreamWaitValue, device));
}
int streamWriteValue32(void* stream, void* word, uint32_t value) {
  return rc(hipStreamWriteValue32(st(stream), word, value, 0));
}
// HIP compares (*word & mask) >= value without wrapping, not CUDA's (int32_t)(*word - value) >= 0:
// the two agree while the gate's sequence stays below 2^31.
int streamWaitValue32(void* stream, void* word, uint32_t value) {
  return rc(hipStreamWaitValue32(st(stream), word, value, hipStreamWaitValueGte, 0xFFFFFFFFu));
}

int ipcGetHandle(void* handle, void* devicePtr) {
  static_assert(sizeof(hipIpcMemHandle_t) <= HCCL_DEVICE_IPC_HANDLE_BYTES);
  hipIpcMemHandle_t h;
  hipError_t e = hipIpcGetMemHandle(&h, devicePtr);
  memcpy(handle, &h, sizeof(h));
  return rc(e);
}
int ipcOpenHandle(void** devicePtr, const void* handle) {
  hipIpcMemHandle_t h;
  memcpy(&h, handle, sizeof(h));
  return rc(hipIpcOpenMemHandle(devicePtr, h, hipIpcMemLazyEnablePeerAccess));
}
int ipcCloseHandle(void* devicePtr) { return rc(hipIpcCloseMemHandle(devicePtr)); }
int enablePeerAccess(int peerDevice) {
  const hipError_t e = hipDeviceEnablePeerAccess(peerDevice, 0);
  if (e != hipErrorPeerAccessAlreadyEnabled) return rc(e);
  (void)hipGetLastError();
  return 0;
}

const hcclDeviceRuntime_v3 kTable = {
    HCCL_DEVICE_RUNTIME_VERSION, hcclDeviceKindHip, "hip", init, errorText,
    deviceCount, getDevice, setDevice, pciBusId, multiProcessorCount, hccl::hip::preloadKernels,
    deviceAlloc, deviceFree, hostAlloc, hostFree, hostDevicePointer, pointerDevice, copyAsync,
    streamCreate, streamDestroy, streamSynchronize, streamWaitEvent, streamIsCapturing,
    eventCreate, eventDestroy, eventRecord,
    streamMemOpsSupported, streamWriteValue32, streamWaitValue32, hccl::hip::waitFlag,
    ipcGetHandle, ipcOpenHandle, ipcCloseHandle, enablePeerAccess,
    hccl::hip::reduce, hccl::hip::scale, hccl::hip::divide};

}  // namespace

extern "C" __attribute__((visibility("default"))) const hcclDeviceRuntime_v3* hcclDeviceRuntimeGet(
    int version) {
  return version == HCCL_DEVICE_RUNTIME_VERSION ? &kTable : nullptr;
}
