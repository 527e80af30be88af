#include "memory.h"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "backends/common/device_runtime.h"

namespace hccl::perf {
namespace {

// The plugin hccl would load: HCCL_BACKEND_PLUGIN, else libhccl-<kind>.so beside libnccl.so.2.
std::string pluginPath(const std::string& kind) {
  if (const char* p = std::getenv("HCCL_BACKEND_PLUGIN"); p != nullptr && *p) return p;
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&ncclGetVersion), &info) == 0 || info.dli_fname == nullptr)
    return "libhccl-" + kind + ".so";
  std::string lib = info.dli_fname;
  return lib.substr(0, lib.find_last_of('/') + 1) + "libhccl-" + kind + ".so";
}

}  // namespace

Memory::Memory(const std::string& kind, int rank) {
  if (kind.empty()) return;
  if (kind == "host") {  // a CPU rank of a mixed run: hccl must not pick the plugin up
    setenv("HCCL_BACKEND", "host", 1);
    return;
  }
  const std::string path = pluginPath(kind);
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) throw std::runtime_error("--device " + kind + ": cannot load " + path + ": " + dlerror());
  auto get = reinterpret_cast<hcclDeviceRuntimeGetFn>(dlsym(handle, HCCL_DEVICE_RUNTIME_SYMBOL));
  const hcclDeviceRuntime_v3* rt = get != nullptr ? get(HCCL_DEVICE_RUNTIME_VERSION) : nullptr;
  if (rt == nullptr) throw std::runtime_error(path + " is not an hccl device plugin of this version");
  int count = 0;
  if (rt->init() != 0 || rt->deviceCount(&count) != 0 || count < 1)
    throw std::runtime_error("--device " + kind + ": " + path + " finds no usable device");
  rt_ = rt;
  device_ = rank % count;
  check(rt_->setDevice(device_), "set device");
  check(rt_->streamCreate(&stream_), "stream creation");
  // hccl's backend for the communicator: this plugin, on the device just selected.
  setenv("HCCL_BACKEND", kind.c_str(), 1);
  setenv("HCCL_BACKEND_PLUGIN", path.c_str(), 1);
}

Memory::~Memory() {
  if (rt_ != nullptr && stream_ != nullptr) rt_->streamDestroy(stream_);
}

void Memory::check(int code, const char* what) const {
  if (code != 0) throw std::runtime_error(std::string(what) + " failed: " + rt_->errorText(code));
}

std::string Memory::describe() const {
  if (rt_ == nullptr) return "cpu";
  char bus[32] = "?";
  rt_->pciBusId(bus, sizeof bus, device_);
  return std::string(rt_->name) + ":" + std::to_string(device_) + " (" + bus + ")";
}

void* Memory::allocate(size_t bytes) {
  void* p = nullptr;
  if (rt_ == nullptr) {
    if (posix_memalign(&p, 4096, bytes) != 0) throw std::runtime_error("cannot allocate " + std::to_string(bytes) + " bytes");
    return p;
  }
  check(rt_->deviceAlloc(&p, bytes), "device allocation");
  return p;
}

void Memory::release(void* p) {
  if (p == nullptr) return;
  if (rt_ == nullptr) std::free(p);
  else rt_->deviceFree(p);
}

void Memory::copy(void* dst, const void* src, size_t bytes) {
  if (rt_ == nullptr) {
    std::memcpy(dst, src, bytes);
    return;
  }
  check(rt_->copyAsync(dst, src, bytes, stream_), "copy between host and device");
  synchronize();
}

void Memory::synchronize() {
  if (rt_ != nullptr) check(rt_->streamSynchronize(stream_), "stream synchronize");
}

}  // namespace hccl::perf
