/* The table of runtime calls a device plugin fills: the one place where CUDA and HIP differ.
 * The backend's host logic (src/backends/device_backend.cc, in the core) is written once over
 * it; libhccl-cuda.so and libhccl-hip.so each export hcclDeviceRuntimeGet() returning a filled
 * table, and tests load libhccl-fakedev.so, which fills it with host memory and threads.
 *
 * C layout, frozen per version: a new field means a new version and a new struct name.
 * Every call returns 0 on success, else a vendor error code that errorText() describes.
 * Streams and events are opaque vendor handles; a NULL stream is the legacy default stream.
 * The calling thread's current device is the one setDevice() selected last. */
#ifndef HCCL_DEVICE_RUNTIME_H_
#define HCCL_DEVICE_RUNTIME_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HCCL_DEVICE_RUNTIME_VERSION 2
#define HCCL_DEVICE_IPC_HANDLE_BYTES 64
#define HCCL_DEVICE_RUNTIME_SYMBOL "hcclDeviceRuntimeGet"

/* Values of hccl::BackendKind. */
enum { hcclDeviceKindCuda = 1, hcclDeviceKindHip = 2 };

typedef struct hcclDeviceRuntime_v2 {
  int version;        /* HCCL_DEVICE_RUNTIME_VERSION */
  int kind;           /* hcclDeviceKindCuda or hcclDeviceKindHip */
  const char* name;   /* "cuda", "hip", "fakedev" */

  /* Loads the vendor runtime; nonzero when it cannot run here (no driver, no device). */
  int (*init)(void);
  const char* (*errorText)(int code);

  /* Devices. */
  int (*deviceCount)(int* count);
  int (*getDevice)(int* device);
  int (*setDevice)(int device);
  int (*pciBusId)(char* out, int len, int device);
  int (*multiProcessorCount)(int* count, int device);

  /* Memory. hostAlloc returns pinned memory mapped into the device's address space. */
  int (*deviceAlloc)(void** ptr, size_t bytes);
  int (*deviceFree)(void* ptr);
  int (*hostAlloc)(void** ptr, size_t bytes);
  int (*hostFree)(void* ptr);
  int (*hostRegister)(void* ptr, size_t bytes); /* pin and map foreign host memory */
  int (*hostUnregister)(void* ptr);
  int (*hostDevicePointer)(void** devicePtr, void* hostPtr); /* device address of mapped memory */
  /* *device = the device owning ptr's memory, or -1 for host memory (pageable or pinned). */
  int (*pointerDevice)(int* device, const void* ptr);
  /* The device allocation holding ptr: its start, size, and an ID unique to it for the process's
   * lifetime (an address reused by a later allocation gets a new ID); nonzero for host memory. */
  int (*memRange)(void** base, size_t* bytes, uint64_t* bufferId, const void* ptr);

  /* Copies in any direction (unified addressing), ordered on the stream. */
  int (*copyAsync)(void* dst, const void* src, size_t bytes, void* stream);

  /* Streams and events. query: 0 complete, 1 still pending, else an error code (negated). */
  int (*streamCreate)(void** stream);
  int (*streamDestroy)(void* stream);
  int (*streamSynchronize)(void* stream);
  int (*streamWaitEvent)(void* stream, void* event);
  int (*streamIsCapturing)(int* capturing, void* stream);
  int (*eventCreate)(void** event);
  int (*eventDestroy)(void* event);
  int (*eventRecord)(void* event, void* stream);
  int (*eventQuery)(void* event);
  int (*eventSynchronize)(void* event);

  /* Stream memory operations on a 32-bit word the host can read and write (mapped pinned
   * memory, addressed by its device pointer). writeValue32 stores value once the stream's prior
   * work is complete and visible; waitValue32 holds the stream until (int32_t)(*word - value) >= 0.
   * streamMemOpsSupported: *supported = 1 when the device offers both. */
  int (*streamMemOpsSupported)(int* supported, int device);
  int (*streamWriteValue32)(void* stream, void* word, uint32_t value);
  int (*streamWaitValue32)(void* stream, void* word, uint32_t value);
  /* Runs fn(arg) on a runtime thread once the stream reaches this point; the stream waits for
   * fn to return. fn must not call the runtime. */
  int (*launchHostFunc)(void* stream, void (*fn)(void*), void* arg);

  /* Inter-process memory handles for device memory (HCCL_DEVICE_IPC_HANDLE_BYTES bytes), of the
   * allocation starting at devicePtr; opening maps that allocation's start. */
  int (*ipcGetHandle)(void* handle, void* devicePtr);
  int (*ipcOpenHandle)(void** devicePtr, const void* handle);
  int (*ipcCloseHandle)(void* devicePtr);
  /* Lets kernels on the current device reach peerDevice's memory (0 when already allowed). */
  int (*enablePeerAccess)(int peerDevice);

  /* The shared kernels (src/backends/common/device_kernels.h), launched on the stream with a
   * grid sized from the current device. type/op: hccl::DataType / hccl::ReduceOp values.
   * reduce: dst[i] = a[i] op b[i], and dst2[i] the same when dst2 is not NULL (copy and reduce
   * in one pass). scale: dst[i] = src[i] * *scalar (scalar: one host element). divide:
   * buf[i] /= divisor. No alignment required; dst may equal a, b or src. */
  int (*reduce)(void* dst, void* dst2, const void* a, const void* b, size_t count, int type, int op,
                void* stream);
  int (*scale)(void* dst, const void* src, size_t count, int type, const void* scalar, void* stream);
  int (*divide)(void* buf, size_t count, int type, int divisor, void* stream);
} hcclDeviceRuntime_v2;

typedef const hcclDeviceRuntime_v2* (*hcclDeviceRuntimeGetFn)(int version);

#ifdef __cplusplus
}
#endif

#endif /* HCCL_DEVICE_RUNTIME_H_ */
