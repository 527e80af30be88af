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

#define HCCL_DEVICE_RUNTIME_VERSION 3
#define HCCL_DEVICE_IPC_HANDLE_BYTES 64
#define HCCL_DEVICE_RUNTIME_SYMBOL "hcclDeviceRuntimeGet"

/* Values of hccl::BackendKind. */
enum { hcclDeviceKindCuda = 1, hcclDeviceKindHip = 2 };

typedef struct hcclDeviceRuntime_v3 {
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
  /* Loads every kernel of the plugin on the current device (and sizes their launches from the
   * occupancy API), so that no later launch has to load a module: loading one may wait for the
   * device to go idle (lazy loading), which a stream held at a gate never does. */
  int (*preloadKernels)(void);

  /* Memory. hostAlloc returns pinned memory mapped into the device's address space. */
  int (*deviceAlloc)(void** ptr, size_t bytes);
  int (*deviceFree)(void* ptr);
  int (*hostAlloc)(void** ptr, size_t bytes);
  int (*hostFree)(void* ptr);
  int (*hostDevicePointer)(void** devicePtr, void* hostPtr); /* device address of mapped memory */
  /* *device = the device owning ptr's memory, or -1 for host memory (pageable or pinned). */
  int (*pointerDevice)(int* device, const void* ptr);

  /* Copies in any direction (unified addressing), ordered on the stream. */
  int (*copyAsync)(void* dst, const void* src, size_t bytes, void* stream);

  /* Streams and events. */
  int (*streamCreate)(void** stream);
  int (*streamDestroy)(void* stream);
  int (*streamSynchronize)(void* stream);
  int (*streamWaitEvent)(void* stream, void* event);
  int (*streamIsCapturing)(int* capturing, void* stream);
  int (*eventCreate)(void** event);
  int (*eventDestroy)(void* event);
  int (*eventRecord)(void* event, void* stream);

  /* Stream memory operations on a 32-bit word: mapped pinned memory (by its device address),
   * device memory, or another process's device memory opened through an IPC handle.
   * writeValue32 stores value once the stream's prior work is complete and visible; waitValue32
   * holds the stream until (int32_t)(*word - value) >= 0. Where the device has no stream memory
   * operations the plugin does both with one-thread kernels; streamMemOpsSupported says which
   * (*supported = 1: native). */
  int (*streamMemOpsSupported)(int* supported, int device);
  int (*streamWriteValue32)(void* stream, void* word, uint32_t value);
  int (*streamWaitValue32)(void* stream, void* word, uint32_t value);
  /* A barrier's wait, as a one-thread kernel on the stream (a kernel, so that it watches two
   * words: a stream wait watches one): returns once (int32_t)(*flag - value) >= 0
   * or once *abort is nonzero. flag: device memory; abort: mapped pinned memory (its device
   * address), which the host sets to end every wait. */
  int (*waitFlag)(const void* flag, uint32_t value, const void* abort, void* stream);

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
} hcclDeviceRuntime_v3;

typedef const hcclDeviceRuntime_v3* (*hcclDeviceRuntimeGetFn)(int version);

#ifdef __cplusplus
}
#endif

#endif /* HCCL_DEVICE_RUNTIME_H_ */
