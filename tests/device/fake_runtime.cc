// libhccl-fakedev.so: the device runtime table filled with host memory and threads, so CI
// runs the whole device path (loader, stream gates, staging, kernels) without a GPU.
// "Device" memory is a memfd mapping the fake remembers (pointerDevice knows it; IPC handles map
// it in other processes), each stream is a worker thread executing its commands in order,
// write/wait value poll the word, events count the commands a stream has finished, and kernels
// are the shared kernel source run on the CPU (host_shim.h). Test hooks (environment, read here because this is a test artifact):
// HCCL_FAKEDEV_FAIL_INIT=1 (no driver), HCCL_FAKEDEV_NO_MEMOPS=1 (stream memory operations done
// by the shared one-thread kernels, as a plugin does on a device without them),
// HCCL_FAKEDEV_COUNT=n (devices, default 1), HCCL_FAKEDEV_NO_IPC=1 (handles cannot be opened),
// HCCL_FAKEDEV_FAIL_KERNELS=1 (reduction launches fail). Frees wait until every stream is idle,
// as on a GPU.
//
// Strict modes, each as hard as a GPU can be:
// - HCCL_FAKEDEV_ONE_QUEUE=1: every stream's commands go to one in-order queue, as with
//   CUDA_DEVICE_MAX_CONNECTIONS=1: work behind a blocked wait never runs, whatever its stream.
// - HCCL_FAKEDEV_LAZY_LOADING=1: a kernel's first launch waits until the device is idle, as
//   loading its module may (CUDA_MODULE_LOADING=LAZY), unless preloadKernels loaded it.
// - HCCL_FAKEDEV_FREE_LOCK=1: a free holds the driver's lock while it waits for the device to
//   be idle, and every call that enqueues work or allocates takes that lock first (another
//   thread's cudaFree, as PyTorch's allocator issues them).
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "backends/common/device_runtime.h"
#include "host_shim.h"

namespace {

constexpr int kOk = 0, kInvalid = 1, kNotReady = 600, kNoDriver = 35, kUnsupported = 801;
constexpr int kSmCount = 4;

bool envFlag(const char* name) {
  const char* v = getenv(name);
  return v != nullptr && strcmp(v, "1") == 0;
}

const bool kOneQueue = envFlag("HCCL_FAKEDEV_ONE_QUEUE");
const bool kLazyLoading = envFlag("HCCL_FAKEDEV_LAZY_LOADING");
const bool kFreeLock = envFlag("HCCL_FAKEDEV_FREE_LOCK");

// The driver lock of HCCL_FAKEDEV_FREE_LOCK: held across a free's wait for the idle device.
std::mutex gDriverMutex;
// Taken for a moment by every call that enqueues work or allocates.
void driverCall() {
  if (kFreeLock) std::lock_guard<std::mutex> lock(gDriverMutex);
}

// ---- streams ----------------------------------------------------------------------------------

class Stream;
std::mutex gStreamsMutex;
std::set<Stream*>& liveStreams() {
  static auto* streams = new std::set<Stream*>();
  return *streams;
}

class Stream {
 public:
  // `shared`: the one queue of HCCL_FAKEDEV_ONE_QUEUE, which runs every other stream's commands.
  explicit Stream(bool shared = false) : forOthers_(shared) {
    if (!kOneQueue || shared) worker_ = std::thread([this] { loop(); });
    std::lock_guard<std::mutex> lock(gStreamsMutex);
    if (!shared) liveStreams().insert(this);
  }
  ~Stream() {
    {
      std::lock_guard<std::mutex> lock(gStreamsMutex);
      liveStreams().erase(this);
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
  }
  void push(std::function<void()> command) {
    if (kOneQueue && !forOthers_) {  // into the one queue; completion still counts here
      {
        std::lock_guard<std::mutex> lock(mutex_);
        ++submitted_;
      }
      sharedQueue().push([this, command = std::move(command)] {
        command();
        std::lock_guard<std::mutex> lock(mutex_);
        ++completed_;
        done_.notify_all();
      });
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(std::move(command));
      ++submitted_;
    }
    cv_.notify_all();
  }
  void synchronize() {
    std::unique_lock<std::mutex> lock(mutex_);
    const uint64_t target = submitted_;
    done_.wait(lock, [&] { return completed_ >= target; });
  }
  std::atomic<int> capturing{0};

 private:
  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      std::function<void()> command = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      command();
      lock.lock();
      ++completed_;
      done_.notify_all();
    }
  }
  static Stream& sharedQueue() {
    static auto* queue = new Stream(true);
    return *queue;
  }
  bool forOthers_;
  std::mutex mutex_;
  std::condition_variable cv_, done_;
  std::deque<std::function<void()>> queue_;
  uint64_t submitted_ = 0, completed_ = 0;
  bool stop_ = false;
  std::thread worker_;
};

// Frees wait for the whole device, as cudaFree and hipFree do: one issued while a stream is held
// at a gate that only the freeing thread would release hangs here as it would on a GPU.
void waitDeviceIdle() {
  std::lock_guard<std::mutex> lock(gStreamsMutex);
  for (Stream* s : liveStreams()) s->synchronize();
}

Stream* stream(void* s) {
  // The NULL stream is one process-wide stream, as CUDA's legacy default stream.
  static Stream* legacy = new Stream();
  return s == nullptr ? legacy : static_cast<Stream*>(s);
}

// Kernel instances loaded so far (HCCL_FAKEDEV_LAZY_LOADING): a key per kernel, type and op.
std::mutex gLoadedMutex;
std::set<int>& loadedKernels() {
  static auto* loaded = new std::set<int>();
  return *loaded;
}
enum KernelKind {
  kReduceKernel,
  kScaleKernel,
  kDivideKernel,
  kWaitFlagKernel,
  kWaitValueKernel,
  kWriteValueKernel,
  kKernelKinds
};
int kernelKey(KernelKind kind, int type, int op) { return (kind * 16 + type) * 8 + op; }

// Every launch: the driver lock for a moment, and on a kernel's first launch in lazy mode, the
// wait for the idle device that loading its module needs.
void launching(int key) {
  driverCall();
  if (!kLazyLoading) return;
  {
    std::lock_guard<std::mutex> lock(gLoadedMutex);
    if (loadedKernels().count(key) > 0) return;
  }
  waitDeviceIdle();
  std::lock_guard<std::mutex> lock(gLoadedMutex);
  loadedKernels().insert(key);
}

struct EventState {
  std::atomic<uint64_t> recorded{0}, completed{0};
};
using Event = std::shared_ptr<EventState>;
Event& event(void* e) { return *static_cast<Event*>(e); }

void spinUntil(const std::function<bool()>& ready) {
  while (!ready()) sched_yield();
}

// ---- memory -----------------------------------------------------------------------------------

thread_local int tDevice = 0;
std::mutex gMemMutex;

int init() { return envFlag("HCCL_FAKEDEV_FAIL_INIT") ? kNoDriver : kOk; }
const char* errorText(int code) {
  switch (code) {
    case kOk: return "no error";
    case kNoDriver: return "fake driver absent (HCCL_FAKEDEV_FAIL_INIT=1)";
    case kNotReady: return "not ready";
    case kUnsupported: return "operation not supported";
  }
  return "invalid argument";
}
int deviceCount(int* count) {
  const char* v = getenv("HCCL_FAKEDEV_COUNT");
  *count = v != nullptr ? atoi(v) : 1;
  return kOk;
}
int getDevice(int* device) {
  *device = tDevice;
  return kOk;
}
int setDevice(int device) {
  int count = 0;
  deviceCount(&count);
  if (device < 0 || device >= count) return kInvalid;
  tDevice = device;
  return kOk;
}
int pciBusId(char* out, int len, int device) {
  snprintf(out, len, "0000:%02x:00.0", 0xf0 + device);
  return kOk;
}
int multiProcessorCount(int* count, int) {
  *count = kSmCount;
  return kOk;
}

// Device memory is a shared mapping of a memfd, so that IPC handles work across the rank
// processes of a test: a handle names the owner's /proc/<pid>/fd entry.
struct Block {
  size_t bytes;
  int device;
  int fd;         // -1 for a mapping opened from a handle
  uint64_t id;    // unique per allocation
};
uint64_t gNextBufferId = 1;
std::map<uintptr_t, Block>& deviceBlocks() {
  static auto* blocks = new std::map<uintptr_t, Block>();
  return *blocks;
}
std::atomic<int> gIpcOpens{0};

void* mapShared(int fd, size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  return p == MAP_FAILED ? nullptr : p;
}

int deviceAlloc(void** ptr, size_t bytes) {
  driverCall();
  if (bytes == 0) bytes = 1;
  const int fd = memfd_create("hccl-fakedev", MFD_CLOEXEC);
  if (fd < 0) return kInvalid;
  void* p = ftruncate(fd, static_cast<off_t>(bytes)) == 0 ? mapShared(fd, bytes) : nullptr;
  if (p == nullptr) {
    close(fd);
    return kInvalid;
  }
  memset(p, 0xA5, bytes);  // device memory starts as garbage
  std::lock_guard<std::mutex> lock(gMemMutex);
  deviceBlocks()[reinterpret_cast<uintptr_t>(p)] = {bytes, tDevice, fd, gNextBufferId++};
  *ptr = p;
  return kOk;
}
// A free: waits for the idle device, holding the driver lock in HCCL_FAKEDEV_FREE_LOCK mode.
template <class Release>
int freeWhenIdle(Release release) {
  std::unique_lock<std::mutex> driver(gDriverMutex, std::defer_lock);
  if (kFreeLock) driver.lock();
  waitDeviceIdle();
  return release();
}

int deviceFree(void* ptr) {
  return freeWhenIdle([ptr] {
    std::lock_guard<std::mutex> lock(gMemMutex);
    auto it = deviceBlocks().find(reinterpret_cast<uintptr_t>(ptr));
    if (it == deviceBlocks().end() || it->second.fd < 0) return kInvalid;
    munmap(ptr, it->second.bytes);
    close(it->second.fd);
    deviceBlocks().erase(it);
    return kOk;
  });
}
int hostAlloc(void** ptr, size_t bytes) {
  driverCall();
  return posix_memalign(ptr, 4096, bytes == 0 ? 1 : bytes) == 0 ? kOk : kInvalid;
}
int hostFree(void* ptr) {
  return freeWhenIdle([ptr] {
    free(ptr);
    return kOk;
  });
}
int hostDevicePointer(void** devicePtr, void* hostPtr) {
  *devicePtr = hostPtr;
  return kOk;
}
int pointerDevice(int* device, const void* ptr) {
  std::lock_guard<std::mutex> lock(gMemMutex);
  const uintptr_t p = reinterpret_cast<uintptr_t>(ptr);
  auto it = deviceBlocks().upper_bound(p);
  *device = -1;
  if (it != deviceBlocks().begin()) {
    --it;
    if (p < it->first + it->second.bytes) *device = it->second.device;
  }
  return kOk;
}

int copyAsync(void* dst, const void* src, size_t bytes, void* s) {
  driverCall();
  stream(s)->push([=] { memmove(dst, src, bytes); });
  return kOk;
}

// ---- streams and events -------------------------------------------------------------------

int streamCreate(void** s) {
  driverCall();
  *s = new Stream();
  return kOk;
}
int streamDestroy(void* s) {
  stream(s)->synchronize();
  delete static_cast<Stream*>(s);
  return kOk;
}
int streamSynchronize(void* s) {
  driverCall();
  stream(s)->synchronize();
  return kOk;
}
int streamIsCapturing(int* capturing, void* s) {
  *capturing = stream(s)->capturing.load();
  return kOk;
}
int eventCreate(void** e) {
  *e = new Event(std::make_shared<EventState>());
  return kOk;
}
int eventDestroy(void* e) {
  delete static_cast<Event*>(e);
  return kOk;
}
int eventRecord(void* e, void* s) {
  driverCall();
  Event ev = event(e);
  const uint64_t gen = ++ev->recorded;
  stream(s)->push([ev, gen] {
    uint64_t seen = ev->completed.load();
    while (seen < gen && !ev->completed.compare_exchange_weak(seen, gen)) {
    }
  });
  return kOk;
}
int streamWaitEvent(void* s, void* e) {
  driverCall();
  Event ev = event(e);
  const uint64_t target = ev->recorded.load();
  stream(s)->push([ev, target] { spinUntil([&] { return ev->completed.load() >= target; }); });
  return kOk;
}

int streamMemOpsSupported(int* supported, int) {
  *supported = envFlag("HCCL_FAKEDEV_NO_MEMOPS") ? 0 : 1;
  return kOk;
}
// Without memory operations (HCCL_FAKEDEV_NO_MEMOPS) the shared one-thread kernels do them, as a
// plugin does on a device that lacks them.
int streamWriteValue32(void* s, void* word, uint32_t value) {
  driverCall();
  auto* w = static_cast<uint32_t*>(word);
  if (envFlag("HCCL_FAKEDEV_NO_MEMOPS")) {
    launching(kernelKey(kWriteValueKernel, 0, 0));
    stream(s)->push([w, value] {
      hccl::dev::HostLauncher{}(hccl::dev::writeValueKernel, hccl::dev::kOneThread, static_cast<volatile uint32_t*>(w), value);
    });
    return kOk;
  }
  stream(s)->push([w, value] { __atomic_store_n(w, value, __ATOMIC_RELEASE); });
  return kOk;
}
int streamWaitValue32(void* s, void* word, uint32_t value) {
  driverCall();
  auto* w = static_cast<uint32_t*>(word);
  if (envFlag("HCCL_FAKEDEV_NO_MEMOPS")) {
    launching(kernelKey(kWaitValueKernel, 0, 0));
    stream(s)->push([w, value] {
      hccl::dev::HostLauncher{}(hccl::dev::waitValueKernel, hccl::dev::kOneThread, static_cast<const volatile uint32_t*>(w),
                                value);
    });
    return kOk;
  }
  stream(s)->push([w, value] {
    spinUntil([&] { return static_cast<int32_t>(__atomic_load_n(w, __ATOMIC_ACQUIRE) - value) >= 0; });
  });
  return kOk;
}
int waitFlag(const void* flag, uint32_t value, const void* abort, void* s) {
  launching(kernelKey(kWaitFlagKernel, 0, 0));
  const hccl::dev::FlagWait w{static_cast<const volatile uint32_t*>(flag), value, static_cast<const volatile uint32_t*>(abort)};
  stream(s)->push([w] { hccl::dev::HostLauncher{}(hccl::dev::waitFlagKernel, hccl::dev::kOneThread, w); });
  return kOk;
}

struct IpcHandle {
  uint32_t magic;
  int32_t pid;
  int32_t fd;
  uint64_t bytes;
};
constexpr uint32_t kIpcMagic = 0x46414b45;
static_assert(sizeof(IpcHandle) <= HCCL_DEVICE_IPC_HANDLE_BYTES);

int ipcGetHandle(void* handle, void* devicePtr) {
  std::lock_guard<std::mutex> lock(gMemMutex);
  auto it = deviceBlocks().find(reinterpret_cast<uintptr_t>(devicePtr));
  if (it == deviceBlocks().end() || it->second.fd < 0) return kInvalid;
  const IpcHandle h{kIpcMagic, getpid(), it->second.fd, it->second.bytes};
  memset(handle, 0, HCCL_DEVICE_IPC_HANDLE_BYTES);
  memcpy(handle, &h, sizeof(h));
  return kOk;
}
int ipcOpenHandle(void** devicePtr, const void* handle) {
  driverCall();
  if (envFlag("HCCL_FAKEDEV_NO_IPC")) return kUnsupported;
  IpcHandle h;
  memcpy(&h, handle, sizeof(h));
  if (h.magic != kIpcMagic) return kInvalid;
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/fd/%d", h.pid, h.fd);
  const int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) return kInvalid;
  void* p = mapShared(fd, h.bytes);
  close(fd);
  if (p == nullptr) return kInvalid;
  std::lock_guard<std::mutex> lock(gMemMutex);
  deviceBlocks()[reinterpret_cast<uintptr_t>(p)] = {h.bytes, tDevice, -1, gNextBufferId++};
  ++gIpcOpens;
  *devicePtr = p;
  return kOk;
}
int ipcCloseHandle(void* devicePtr) {
  return freeWhenIdle([devicePtr] {
    std::lock_guard<std::mutex> lock(gMemMutex);
    auto it = deviceBlocks().find(reinterpret_cast<uintptr_t>(devicePtr));
    if (it == deviceBlocks().end() || it->second.fd >= 0) return kInvalid;
    munmap(devicePtr, it->second.bytes);
    deviceBlocks().erase(it);
    return kOk;
  });
}

std::atomic<int> gPeerAccesses{0};
int enablePeerAccess(int) {  // host memory: every "device" reaches every other
  ++gPeerAccesses;
  return kOk;
}

// ---- kernels --------------------------------------------------------------------------------

int reduce(void* dst, void* dst2, const void* a, const void* b, size_t count, int type, int op,
           void* s) {
  if (type < 0 || type > 11 || op < 0 || op > 3 || envFlag("HCCL_FAKEDEV_FAIL_KERNELS")) return kInvalid;
  launching(kernelKey(kReduceKernel, type, op));
  stream(s)->push([=] {
    hccl::dev::launchReduce(hccl::dev::HostLauncher{kSmCount}, dst, dst2, a, b, count, type, op);
  });
  return kOk;
}
int scale(void* dst, const void* src, size_t count, int type, const void* scalar, void* s) {
  if (type < 0 || type > 11) return kInvalid;
  launching(kernelKey(kScaleKernel, type, 0));
  uint64_t value = 0;
  memcpy(&value, scalar, 8);  // the scalar is read at launch, as a kernel argument would be
  stream(s)->push([=] {
    hccl::dev::launchScale(hccl::dev::HostLauncher{kSmCount}, dst, src, count, type, &value);
  });
  return kOk;
}
int divide(void* buf, size_t count, int type, int divisor, void* s) {
  if (type < 0 || type > 11) return kInvalid;
  launching(kernelKey(kDivideKernel, type, 0));
  stream(s)->push([=] {
    hccl::dev::launchDivide(hccl::dev::HostLauncher{kSmCount}, buf, count, type, divisor);
  });
  return kOk;
}

// Marks every kernel loaded, as a plugin's preload loads them (lazy-loading mode).
int preloadKernels() {
  std::lock_guard<std::mutex> lock(gLoadedMutex);
  for (int kind = 0; kind < kKernelKinds; ++kind)
    for (int type = 0; type < 12; ++type)
      for (int op = 0; op < 4; ++op) loadedKernels().insert(kernelKey(static_cast<KernelKind>(kind), type, op));
  return kOk;
}

const hcclDeviceRuntime_v3 kTable = {
    HCCL_DEVICE_RUNTIME_VERSION, hcclDeviceKindCuda, "fakedev", init, errorText,
    deviceCount, getDevice, setDevice, pciBusId, multiProcessorCount, preloadKernels,
    deviceAlloc, deviceFree, hostAlloc, hostFree, hostDevicePointer, pointerDevice, copyAsync,
    streamCreate, streamDestroy, streamSynchronize, streamWaitEvent, streamIsCapturing,
    eventCreate, eventDestroy, eventRecord,
    streamMemOpsSupported, streamWriteValue32, streamWaitValue32, waitFlag,
    ipcGetHandle, ipcOpenHandle, ipcCloseHandle, enablePeerAccess,
    reduce, scale, divide};

}  // namespace

extern "C" __attribute__((visibility("default"))) const hcclDeviceRuntime_v3* hcclDeviceRuntimeGet(
    int version) {
  return version == HCCL_DEVICE_RUNTIME_VERSION ? &kTable : nullptr;
}

// Test hook: marks a stream as being captured into a graph (or not).
extern "C" __attribute__((visibility("default"))) void hcclFakeDevSetCapturing(void* s, int on) {
  stream(s)->capturing = on;
}

// Test hook: how many IPC handles this process has opened.
extern "C" __attribute__((visibility("default"))) int hcclFakeDevIpcOpens() { return gIpcOpens.load(); }

// Test hook: how many times peer access was asked for.
extern "C" __attribute__((visibility("default"))) int hcclFakeDevPeerAccesses() { return gPeerAccesses.load(); }
