// A device plugin as a test sees it: the same library that libnccl.so.2 loads (libhccl-fakedev.so
// through HCCL_BACKEND_PLUGIN, or libhccl-cuda.so on a GPU machine; dlopen returns the same
// instance), for device buffers and streams. pluginPath() names it: HCCL_TEST_PLUGIN from the
// environment (a build carried to another machine), else where the build put it. Only call rt()
// in rank processes: a runtime starts threads (and CUDA state does not survive fork), and the
// gtest parent forks.
#pragma once

#include <dlfcn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "backends/common/device_runtime.h"

namespace testdev {

inline const char* pluginPath() {
  const char* env = getenv("HCCL_TEST_PLUGIN");
  return env != nullptr && env[0] != '\0' ? env : HCCL_TEST_PLUGIN_PATH;
}

inline const hcclDeviceRuntime_v3& rt() {
  static const hcclDeviceRuntime_v3* table = [] {
    void* h = dlopen(pluginPath(), RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) throw std::runtime_error(dlerror());
    auto get = reinterpret_cast<hcclDeviceRuntimeGetFn>(dlsym(h, HCCL_DEVICE_RUNTIME_SYMBOL));
    return get(HCCL_DEVICE_RUNTIME_VERSION);
  }();
  return *table;
}

// Whether the plugin finds a usable device. Asked in a child process, so that the caller may
// still fork rank processes afterwards.
inline bool deviceUsable() {
  const pid_t pid = fork();
  if (pid == 0) {
    int count = 0;
    _exit(rt().init() == 0 && rt().deviceCount(&count) == 0 && count > 0 ? 0 : 1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

#define HCCL_SKIP_WITHOUT_DEVICE()                                                        \
  do {                                                                                    \
    if (!::testdev::deviceUsable())                                                       \
      GTEST_SKIP() << "no usable device for " << ::testdev::pluginPath() << " (no GPU or driver)"; \
  } while (0)

// Fake runtime only: marks a stream as being captured into a graph.
inline void setCapturing(void* stream, int on) {
  void* h = dlopen(pluginPath(), RTLD_NOW | RTLD_LOCAL);
  auto fn = reinterpret_cast<void (*)(void*, int)>(dlsym(h, "hcclFakeDevSetCapturing"));
  fn(stream, on);
}

inline bool isFake() { return std::string(rt().name) == "fakedev"; }

// Fake runtime only: how many IPC handles this process opened; -1 on another runtime.
inline int ipcOpens() {
  void* h = dlopen(pluginPath(), RTLD_NOW | RTLD_LOCAL);
  auto fn = reinterpret_cast<int (*)()>(dlsym(h, "hcclFakeDevIpcOpens"));
  return fn != nullptr ? fn() : -1;
}

// Fake runtime only: how many times peer access was enabled; -1 on another runtime.
inline int peerAccesses() {
  void* h = dlopen(pluginPath(), RTLD_NOW | RTLD_LOCAL);
  auto fn = reinterpret_cast<int (*)()>(dlsym(h, "hcclFakeDevPeerAccesses"));
  return fn != nullptr ? fn() : -1;
}

// Holds a stream, as a busy kernel would, until release() (or destruction): a stream wait on a
// pinned host word.
class StreamHold {
 public:
  explicit StreamHold(void* stream) {
    rt().hostAlloc(&word_, 64);
    __atomic_store_n(static_cast<uint32_t*>(word_), 0, __ATOMIC_RELEASE);
    void* onDevice = nullptr;
    rt().hostDevicePointer(&onDevice, word_);
    rt().streamWaitValue32(stream, onDevice, 1);
  }
  ~StreamHold() {
    release();
    rt().hostFree(word_);
  }
  StreamHold(const StreamHold&) = delete;
  StreamHold& operator=(const StreamHold&) = delete;
  void release() { __atomic_store_n(static_cast<uint32_t*>(word_), 1, __ATOMIC_RELEASE); }

 private:
  void* word_ = nullptr;
};

// A device buffer that frees itself.
class Buffer {
 public:
  explicit Buffer(size_t bytes) : bytes_(bytes) { rt().deviceAlloc(&ptr_, bytes == 0 ? 1 : bytes); }
  ~Buffer() { rt().deviceFree(ptr_); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  char* data() const { return static_cast<char*>(ptr_); }
  void upload(const void* src, void* stream) {
    rt().copyAsync(ptr_, src, bytes_, stream);
    rt().streamSynchronize(stream);
  }
  std::vector<char> download(void* stream) const {
    std::vector<char> out(bytes_);
    rt().copyAsync(out.data(), ptr_, bytes_, stream);
    rt().streamSynchronize(stream);
    return out;
  }

 private:
  void* ptr_ = nullptr;
  size_t bytes_;
};

}  // namespace testdev
