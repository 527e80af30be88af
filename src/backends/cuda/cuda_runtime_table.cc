// The CUDA plugin: fills the device runtime table (src/backends/common/device_runtime.h) from the
// CUDA runtime, linked statically, which itself opens libcuda.so.1 at run time. The stream memory
// operations exist only in the driver API; they come from cudaGetDriverEntryPointByVersion, and
// where the driver lacks them, one-thread kernels do the same.
#include <cuda.h>
#include <cuda_runtime_api.h>

#include <cstring>

#include "backends/common/device_runtime.h"
#include "backends/cuda/cuda_kernels.h"

namespace {

using WriteValue32Fn = CUresult (*)(CUstream, CUdeviceptr, cuuint32_t, unsigned int);
using WaitValue32Fn = CUresult (*)(CUstream, CUdeviceptr, cuuint32_t, unsigned int);
WriteValue32Fn gWriteValue32 = nullptr;
WaitValue32Fn gWaitValue32 = nullptr;

// Failures are reported by return code; the runtime's last-error slot is cleared so that the
// application's next cudaGetLastError (PyTorch checks one after each kernel) does not see ours.
int rc(cudaError_t e) {
  if (e != cudaSuccess) cudaGetLastError();
  return static_cast<int>(e);
}
cudaStream_t st(void* s) { return static_cast<cudaStream_t>(s); }

// Driver errors are reported with this offset, so errorText can tell them from runtime ones.
constexpr int kDriverErrorBase = 100000;

int init() {
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) return rc(e);
  if (count == 0) return rc(cudaErrorNoDevice);
  cudaDriverEntryPointQueryResult found;
  void* fn = nullptr;
  if (cudaGetDriverEntryPointByVersion("cuStreamWriteValue32", &fn, 12000, cudaEnableDefault, &found) ==
          cudaSuccess && found == cudaDriverEntryPointSuccess)
    gWriteValue32 = reinterpret_cast<WriteValue32Fn>(fn);
  if (cudaGetDriverEntryPointByVersion("cuStreamWaitValue32", &fn, 12000, cudaEnableDefault, &found) ==
          cudaSuccess && found == cudaDriverEntryPointSuccess)
    gWaitValue32 = reinterpret_cast<WaitValue32Fn>(fn);
  return 0;
}

const char* errorText(int code) {
  if (code >= kDriverErrorBase) return "CUDA driver error (stream memory operation)";
  return cudaGetErrorString(static_cast<cudaError_t>(code));
}

int deviceCount(int* count) { return rc(cudaGetDeviceCount(count)); }
int getDevice(int* device) { return rc(cudaGetDevice(device)); }
int setDevice(int device) { return rc(cudaSetDevice(device)); }
int pciBusId(char* out, int len, int device) { return rc(cudaDeviceGetPCIBusId(out, len, device)); }
int multiProcessorCount(int* count, int device) {
  return rc(cudaDeviceGetAttribute(count, cudaDevAttrMultiProcessorCount, device));
}

int deviceAlloc(void** ptr, size_t bytes) { return rc(cudaMalloc(ptr, bytes)); }
int deviceFree(void* ptr) { return rc(cudaFree(ptr)); }
int hostAlloc(void** ptr, size_t bytes) {
  return rc(cudaHostAlloc(ptr, bytes, cudaHostAllocMapped | cudaHostAllocPortable));
}
int hostFree(void* ptr) { return rc(cudaFreeHost(ptr)); }
int hostDevicePointer(void** devicePtr, void* hostPtr) {
  return rc(cudaHostGetDevicePointer(devicePtr, hostPtr, 0));
}
int pointerDevice(int* device, const void* ptr) {
  cudaPointerAttributes attr;
  cudaError_t e = cudaPointerGetAttributes(&attr, ptr);
  if (e != cudaSuccess) {
    cudaGetLastError();  // unregistered host memory is not an error worth keeping
    *device = -1;
    return 0;
  }
  *device = attr.type == cudaMemoryTypeDevice || attr.type == cudaMemoryTypeManaged ? attr.device : -1;
  return 0;
}

int copyAsync(void* dst, const void* src, size_t bytes, void* stream) {
  return rc(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, st(stream)));
}

int streamCreate(void** stream) {
  cudaStream_t s = nullptr;
  cudaError_t e = cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
  *stream = s;
  return rc(e);
}
int streamDestroy(void* stream) { return rc(cudaStreamDestroy(st(stream))); }
int streamSynchronize(void* stream) { return rc(cudaStreamSynchronize(st(stream))); }
int streamWaitEvent(void* stream, void* event) {
  return rc(cudaStreamWaitEvent(st(stream), static_cast<cudaEvent_t>(event), 0));
}
int streamIsCapturing(int* capturing, void* stream) {
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  cudaError_t e = cudaStreamIsCapturing(st(stream), &status);
  *capturing = status != cudaStreamCaptureStatusNone;
  return rc(e);
}
int eventCreate(void** event) {
  cudaEvent_t e = nullptr;
  cudaError_t r = cudaEventCreateWithFlags(&e, cudaEventDisableTiming);
  *event = e;
  return rc(r);
}
int eventDestroy(void* event) { return rc(cudaEventDestroy(static_cast<cudaEvent_t>(event))); }
int eventRecord(void* event, void* stream) {
  return rc(cudaEventRecord(static_cast<cudaEvent_t>(event), st(stream)));
}

int streamMemOpsSupported(int* supported, int) {
  *supported = gWriteValue32 != nullptr && gWaitValue32 != nullptr;
  return 0;
}
int streamWriteValue32(void* stream, void* word, uint32_t value) {
  if (gWriteValue32 == nullptr) return hccl::cuda::writeValueKernel(word, value, stream);
  CUresult r = gWriteValue32(static_cast<CUstream>(stream), reinterpret_cast<CUdeviceptr>(word),
                             value, CU_STREAM_WRITE_VALUE_DEFAULT);
  if (r == CUDA_ERROR_NOT_SUPPORTED) return hccl::cuda::writeValueKernel(word, value, stream);
  return r == CUDA_SUCCESS ? 0 : kDriverErrorBase + static_cast<int>(r);
}
int streamWaitValue32(void* stream, void* word, uint32_t value) {
  if (gWaitValue32 == nullptr) return hccl::cuda::waitValueKernel(word, value, stream);
  CUresult r = gWaitValue32(static_cast<CUstream>(stream), reinterpret_cast<CUdeviceptr>(word),
                            value, CU_STREAM_WAIT_VALUE_GEQ);
  if (r == CUDA_ERROR_NOT_SUPPORTED) return hccl::cuda::waitValueKernel(word, value, stream);
  return r == CUDA_SUCCESS ? 0 : kDriverErrorBase + static_cast<int>(r);
}

int ipcGetHandle(void* handle, void* devicePtr) {
  static_assert(sizeof(cudaIpcMemHandle_t) <= HCCL_DEVICE_IPC_HANDLE_BYTES);
  cudaIpcMemHandle_t h;
  cudaError_t e = cudaIpcGetMemHandle(&h, devicePtr);
  memcpy(handle, &h, sizeof(h));
  return rc(e);
}
int ipcOpenHandle(void** devicePtr, const void* handle) {
  cudaIpcMemHandle_t h;
  memcpy(&h, handle, sizeof(h));
  return rc(cudaIpcOpenMemHandle(devicePtr, h, cudaIpcMemLazyEnablePeerAccess));
}
int ipcCloseHandle(void* devicePtr) { return rc(cudaIpcCloseMemHandle(devicePtr)); }
int enablePeerAccess(int peerDevice) {
  const cudaError_t e = cudaDeviceEnablePeerAccess(peerDevice, 0);
  if (e != cudaErrorPeerAccessAlreadyEnabled) return rc(e);
  cudaGetLastError();
  return 0;
}

const hcclDeviceRuntime_v3 kTable = {
    HCCL_DEVICE_RUNTIME_VERSION, hcclDeviceKindCuda, "cuda", init, errorText,
    deviceCount, getDevice, setDevice, pciBusId, multiProcessorCount, hccl::cuda::preloadKernels,
    deviceAlloc, deviceFree, hostAlloc, hostFree, hostDevicePointer, pointerDevice, copyAsync,
    streamCreate, streamDestroy, streamSynchronize, streamWaitEvent, streamIsCapturing,
    eventCreate, eventDestroy, eventRecord,
    streamMemOpsSupported, streamWriteValue32, streamWaitValue32, hccl::cuda::waitFlag,
    ipcGetHandle, ipcOpenHandle, ipcCloseHandle, enablePeerAccess,
    hccl::cuda::reduce, hccl::cuda::scale, hccl::cuda::divide};

}  // namespace

extern "C" __attribute__((visibility("default"))) const hcclDeviceRuntime_v3* hcclDeviceRuntimeGet(
    int version) {
  return version == HCCL_DEVICE_RUNTIME_VERSION ? &kTable : nullptr;
}
