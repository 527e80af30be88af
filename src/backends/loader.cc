#include "backends/loader.h"

#include <dlfcn.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "backends/device_backend.h"
#include "base/error.h"
#include "base/log.h"

namespace hccl {
namespace {

bool libraryLoaded(const char* name) {
  void* h = dlopen(name, RTLD_LAZY | RTLD_NOLOAD);
  if (h == nullptr) return false;
  dlclose(h);
  return true;
}

// The vendor whose runtime this process already uses, or "" for none.
std::string vendorInUse() {
  for (const char* lib : {"libcuda.so.1", "libcudart.so.13", "libcudart.so.12", "libcudart.so"})
    if (libraryLoaded(lib)) return "cuda";
  // ROCm 5 (PyTorch's rocm5.x wheels) ships libamdhip64.so.5, ROCm 6 and 7 the later sonames.
  for (const char* lib : {"libamdhip64.so.5", "libamdhip64.so.6", "libamdhip64.so.7", "libamdhip64.so"})
    if (libraryLoaded(lib)) return "hip";
  return "";
}

std::string directoryOfThisLibrary() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&backendForMemory), &info) == 0 || info.dli_fname == nullptr)
    return "";
  std::string path = info.dli_fname;
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

// Loads the plugin once per process; nullptr (after an INFO line) means the host backend.
const hcclDeviceRuntime_v3* loadRuntime(const BackendChoice& settings) {
  const std::string& choice = settings.name;
  std::string path = settings.pluginPath;
  if (choice == "host") {
    HCCL_INFO(Init, "host backend: HCCL_BACKEND=host");
    return nullptr;
  }
  if (path.empty()) {
    std::string vendor = choice == "cuda" || choice == "hip" ? choice : vendorInUse();
    if (vendor.empty()) {
      HCCL_INFO(Init, "host backend: the process uses no GPU runtime (set HCCL_BACKEND=cuda|hip to force one)");
      return nullptr;
    }
    path = directoryOfThisLibrary() + "libhccl-" + vendor + ".so";
  }
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    HCCL_INFO(Init, "host backend: no device plugin (%s)", dlerror());
    return nullptr;
  }
  auto get = reinterpret_cast<hcclDeviceRuntimeGetFn>(dlsym(handle, HCCL_DEVICE_RUNTIME_SYMBOL));
  const hcclDeviceRuntime_v3* rt = get != nullptr ? get(HCCL_DEVICE_RUNTIME_VERSION) : nullptr;
  if (rt == nullptr) {
    HCCL_INFO(Init, "host backend: %s offers no device runtime table version %d", path.c_str(),
              HCCL_DEVICE_RUNTIME_VERSION);
    return nullptr;
  }
  if (int rc = rt->init(); rc != 0) {
    HCCL_INFO(Init, "host backend: %s plugin has no usable driver or device: %s", rt->name,
              rt->errorText(rc));
    return nullptr;
  }
  HCCL_INFO(Init, "device plugin %s loaded (%s)", rt->name, path.c_str());
  return rt;
}

const hcclDeviceRuntime_v3* runtime(const BackendChoice& choice) {
  static const hcclDeviceRuntime_v3* rt = loadRuntime(choice);
  return rt;
}

// One backend per device, shared by every communicator of the process (never freed: the vendor
// runtime may be torn down before static destructors run).
Backend& deviceBackend(const hcclDeviceRuntime_v3* rt, int device) {
  static std::mutex mutex;
  static auto* backends = new std::map<int, DeviceBackend*>();
  std::lock_guard<std::mutex> lock(mutex);
  DeviceBackend*& b = (*backends)[device];
  if (b == nullptr) b = new DeviceBackend(rt, device);
  return *b;
}

Backend& currentDeviceBackend(const BackendChoice& choice) {
  const hcclDeviceRuntime_v3* rt = runtime(choice);
  int device = -1;
  if (rt == nullptr || rt->getDevice(&device) != 0 || device < 0) return hostBackend();
  return deviceBackend(rt, device);
}

}  // namespace

Backend& backendForNewComm(const BackendChoice& choice) { return currentDeviceBackend(choice); }

Backend& backendForMemory(const BackendChoice& choice) { return currentDeviceBackend(choice); }

Status backendForDevice(const BackendChoice& choice, int device, Backend** out) {
  const hcclDeviceRuntime_v3* rt = runtime(choice);
  *out = &hostBackend();
  if (rt == nullptr) return Status::Success;
  int count = 0;
  if (rt->deviceCount(&count) != 0 || device < 0 || device >= count)
    return reject(Status::InvalidArgument, "device %d does not exist (%s has %d)", device, rt->name, count);
  *out = &deviceBackend(rt, device);
  return Status::Success;
}

Backend& backendOwning(const BackendChoice& choice, void* ptr) {
  Backend& b = currentDeviceBackend(choice);
  DeviceBackend* device = b.asDevice();
  return device != nullptr && device->isDeviceMemory(ptr) ? b : hostBackend();
}

}  // namespace hccl
