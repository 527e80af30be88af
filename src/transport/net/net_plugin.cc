#include "transport/net/net_plugin.h"

#include <dlfcn.h>

#include <climits>
#include <cstdarg>
#include <cstdio>
#include <vector>

#include "base/error.h"
#include "base/log.h"
#include "transport/net/nccl_net_abi.h"

namespace hccl::net {
namespace {

constexpr size_t kPluginHandleBytes = 128;  // NCCL_NET_HANDLE_MAXSIZE

Status statusOf(ncclResult_t r) {
  switch (r) {
    case ncclSuccess: return Status::Success;
    case ncclInProgress: return Status::InProgress;
    case ncclInvalidArgument: return Status::InvalidArgument;
    case ncclInvalidUsage: return Status::InvalidUsage;
    case ncclRemoteError: return Status::RemoteError;
    case ncclInternalError: return Status::InternalError;
    default: return Status::SystemError;
  }
}

// The plugin's log lines go to hccl's log, subsystem NET.
void pluginLogger(ncclNetLogLevel level, unsigned long, const char* file, int line, const char* fmt, ...) {
  LogLevel ours = LogLevel::Trace;
  if (level == kNcclLogNone) return;
  if (level == kNcclLogVersion) ours = LogLevel::Version;
  else if (level == kNcclLogWarn || level == kNcclLogAbort) ours = LogLevel::Warn;
  else if (level == kNcclLogInfo) ours = LogLevel::Info;
  if (!logEnabled(ours, kLogNet)) return;
  char text[1024];
  va_list args;
  va_start(args, fmt);
  vsnprintf(text, sizeof(text), fmt, args);
  va_end(args);
  logPrint(ours, kLogNet, file, line, "%s", text);
}

// Version 10 hands plugins a profiler callback; hccl records no network events.
ncclResult_t noProfiler(void** eventHandle, int, void*, int64_t, void*) {
  if (eventHandle != nullptr) *eventHandle = nullptr;
  return ncclSuccess;
}

// The calls whose signatures every supported version shares.
struct SharedCalls {
  ncclResult_t (*devices)(int*);
  ncclResult_t (*listen)(int, void*, void**);
  ncclResult_t (*accept)(void*, void**, ncclNetDeviceHandle_abi**);
  ncclResult_t (*regMr)(void*, void*, size_t, int, void**);
  ncclResult_t (*deregMr)(void*, void*);
  ncclResult_t (*iflush)(void*, int, void**, int*, void**, void**);
  ncclResult_t (*test)(void*, int*, int*);
  ncclResult_t (*closeSend)(void*);
  ncclResult_t (*closeRecv)(void*);
  ncclResult_t (*closeListen)(void*);
};

template <class Table>
SharedCalls sharedCallsOf(const Table& t) {
  return {t.devices, t.listen, t.accept, t.regMr, t.deregMr, t.iflush, t.test, t.closeSend, t.closeRecv, t.closeListen};
}

template <class Properties>
void copyCommonProperties(const Properties& p, NetDevice* out) {
  out->name = p.name != nullptr ? p.name : "";
  out->pciPath = p.pciPath != nullptr ? p.pciPath : "";
  out->gbps = p.speed > 0 ? p.speed / 1000.0 : 0;
  out->latencyUs = p.latency > 0 ? p.latency : 0;
  out->memoryKinds = 0;
  if (p.ptrSupport & kNcclNetPtrHost) out->memoryKinds |= kHostMemory;
  if (p.ptrSupport & kNcclNetPtrCuda) out->memoryKinds |= kCudaMemory;
  out->maxComms = p.maxComms > 0 ? p.maxComms : 0;
  out->regIsGlobal = p.regIsGlobal != 0;
}

class PluginTransport final : public NetTransport {
 public:
  PluginTransport(std::string library, const ncclNet_v10_abi* v10, const ncclNet_v9_abi* v9, const ncclNet_v8_abi* v8)
      : library_(std::move(library)), v10_(v10), v9_(v9), v8_(v8),
        calls_(v10 ? sharedCallsOf(*v10) : v9 ? sharedCallsOf(*v9) : sharedCallsOf(*v8)) {
    const char* name = v10 ? v10->name : v9 ? v9->name : v8->name;
    name_ = name != nullptr ? name : "unnamed";
  }

  int version() const { return v10_ ? 10 : v9_ ? 9 : 8; }

  Status init() {
    const ncclResult_t r = v10_  ? v10_->init(pluginLogger, noProfiler)
                           : v9_ ? v9_->init(pluginLogger)
                                 : v8_->init(pluginLogger);
    HCCL_TRY(check(r, "init"));
    int n = 0;
    HCCL_TRY(check(calls_.devices(&n), "devices"));
    if (n < 0) return fail(Status::RemoteError, "net plugin %s reports %d devices", name_.c_str(), n);
    devices_ = n;
    return Status::Success;
  }

  const char* name() const override { return name_.c_str(); }
  int deviceCount() const override { return devices_; }

  Status device(int index, NetDevice* out) override {
    HCCL_TRY(checkDevice(index));
    *out = NetDevice{};
    if (v8_ != nullptr) {
      ncclNetProperties_v8_abi p{};
      HCCL_TRY(check(v8_->getProperties(index, &p), "getProperties"));
      copyCommonProperties(p, out);
      return Status::Success;
    }
    ncclNetProperties_v9_abi p{};
    HCCL_TRY(check(v10_ ? v10_->getProperties(index, &p) : v9_->getProperties(index, &p), "getProperties"));
    copyCommonProperties(p, out);
    out->forceFlush = p.forceFlush != 0;
    return Status::Success;
  }

  Status listen(int device, ConnectHandle* handle, void** listenComm) override {
    HCCL_TRY(checkDevice(device));
    *listenComm = nullptr;
    handle->bytes.assign(kPluginHandleBytes, 0);
    return check(calls_.listen(device, handle->bytes.data(), listenComm), "listen");
  }

  Status connect(int device, ConnectHandle* handle, void** sendComm) override {
    HCCL_TRY(checkDevice(device));
    *sendComm = nullptr;
    if (handle->bytes.size() != kPluginHandleBytes)
      return fail(Status::RemoteError, "net plugin %s: a %zu-byte handle where NCCL's are %zu", name_.c_str(),
                  handle->bytes.size(), kPluginHandleBytes);
    ncclNetDeviceHandle_abi* offload = nullptr;  // no device offload asked for
    if (v10_ != nullptr) {
      ncclNetCommConfig_v10_abi config{-1};
      return check(v10_->connect(device, &config, handle->bytes.data(), sendComm, &offload), "connect");
    }
    return check(v9_ ? v9_->connect(device, handle->bytes.data(), sendComm, &offload)
                     : v8_->connect(device, handle->bytes.data(), sendComm, &offload),
                 "connect");
  }

  Status accept(void* listenComm, void** recvComm) override {
    *recvComm = nullptr;
    ncclNetDeviceHandle_abi* offload = nullptr;
    return check(calls_.accept(listenComm, recvComm, &offload), "accept");
  }

  Status registerMemory(void* comm, void* data, size_t bytes, MemoryKind kind, void** region) override {
    if (kind == kHipMemory)
      return fail(Status::InvalidUsage, "net plugin %s: NCCL plugins cannot register HIP memory", name_.c_str());
    return check(calls_.regMr(comm, data, bytes, kind == kCudaMemory ? kNcclNetPtrCuda : kNcclNetPtrHost, region),
                 "regMr");
  }

  Status deregisterMemory(void* comm, void* region) override { return check(calls_.deregMr(comm, region), "deregMr"); }

  Status send(void* sendComm, void* data, size_t bytes, uint32_t tag, void* region, void** request) override {
    *request = nullptr;
    const int t = static_cast<int>(tag);
    if (v10_ != nullptr) return check(v10_->isend(sendComm, data, bytes, t, region, nullptr, request), "isend");
    if (v9_ != nullptr) return check(v9_->isend(sendComm, data, bytes, t, region, request), "isend");
    HCCL_TRY(fitsInt(bytes, "isend"));
    return check(v8_->isend(sendComm, data, static_cast<int>(bytes), t, region, request), "isend");
  }

  Status recv(void* recvComm, void* data, size_t bytes, uint32_t tag, void* region, void** request) override {
    *request = nullptr;
    int t = static_cast<int>(tag);
    if (v10_ != nullptr || v9_ != nullptr) {
      size_t size = bytes;
      return check(v10_ ? v10_->irecv(recvComm, 1, &data, &size, &t, &region, nullptr, request)
                        : v9_->irecv(recvComm, 1, &data, &size, &t, &region, request),
                   "irecv");
    }
    HCCL_TRY(fitsInt(bytes, "irecv"));
    int size = static_cast<int>(bytes);
    return check(v8_->irecv(recvComm, 1, &data, &size, &t, &region, request), "irecv");
  }

  Status flush(void* recvComm, void* data, size_t bytes, void* region, void** request) override {
    *request = nullptr;
    HCCL_TRY(fitsInt(bytes, "iflush"));
    int size = static_cast<int>(bytes);
    return check(calls_.iflush(recvComm, 1, &data, &size, &region, request), "iflush");
  }

  Status test(void* request, bool* done, size_t* bytes) override {
    int finished = 0, size = 0;
    HCCL_TRY(check(calls_.test(request, &finished, &size), "test"));
    *done = finished != 0;
    if (*done && size < 0)
      return fail(Status::RemoteError, "net plugin %s: a request moved %d bytes", name_.c_str(), size);
    if (bytes != nullptr) *bytes = *done ? static_cast<size_t>(size) : 0;
    return Status::Success;
  }

  Status closeSend(void* comm) override { return check(calls_.closeSend(comm), "closeSend"); }
  Status closeRecv(void* comm) override { return check(calls_.closeRecv(comm), "closeRecv"); }
  Status closeListen(void* comm) override { return check(calls_.closeListen(comm), "closeListen"); }

 private:
  Status check(ncclResult_t r, const char* call) const {
    const Status s = statusOf(r);
    if (!failed(s)) return Status::Success;
    return fail(s, "net plugin %s (%s): %s failed (%d)", name_.c_str(), library_.c_str(), call, static_cast<int>(r));
  }
  Status checkDevice(int index) const {
    if (index < 0 || index >= devices_)
      return fail(Status::InvalidArgument, "net plugin %s: no device %d (it has %d)", name_.c_str(), index, devices_);
    return Status::Success;
  }
  Status fitsInt(size_t bytes, const char* call) const {
    if (bytes <= static_cast<size_t>(INT_MAX)) return Status::Success;
    return fail(Status::InvalidArgument, "net plugin %s (v%d): %s of %zu bytes is more than its API can say",
                name_.c_str(), version(), call, bytes);
  }

  std::string library_;
  std::string name_;
  const ncclNet_v10_abi* v10_;
  const ncclNet_v9_abi* v9_;
  const ncclNet_v8_abi* v8_;
  SharedCalls calls_;
  int devices_ = 0;
};

}  // namespace

std::vector<std::string> netPluginCandidates(const std::string& setting) {
  if (setting == "none") return {};
  if (setting.empty()) return {"libnccl-net.so"};
  return {"libnccl-net-" + setting + ".so", setting};
}

Status openNetPlugin(const std::string& setting, std::unique_ptr<NetTransport>* out) {
  std::string reasons;
  for (const std::string& library : netPluginCandidates(setting)) {
    // Never closed: plugins start threads and keep state for the life of the process.
    void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = dlerror();
      reasons += (reasons.empty() ? "" : "; ") + library + ": " + (why != nullptr ? why : "cannot open");
      continue;
    }
    auto* v10 = static_cast<const ncclNet_v10_abi*>(dlsym(handle, "ncclNetPlugin_v10"));
    auto* v9 = v10 ? nullptr : static_cast<const ncclNet_v9_abi*>(dlsym(handle, "ncclNetPlugin_v9"));
    auto* v8 = v10 || v9 ? nullptr : static_cast<const ncclNet_v8_abi*>(dlsym(handle, "ncclNetPlugin_v8"));
    if (v10 == nullptr && v9 == nullptr && v8 == nullptr) {
      reasons += (reasons.empty() ? "" : "; ") + library + ": exports no ncclNetPlugin_v10, _v9 or _v8";
      dlclose(handle);
      continue;
    }
    auto plugin = std::make_unique<PluginTransport>(library, v10, v9, v8);
    HCCL_TRY(plugin->init());
    HCCL_INFO(Net, "NET/Plugin: loaded %s (%s, ncclNetPlugin_v%d, %d devices)", plugin->name(), library.c_str(),
              plugin->version(), plugin->deviceCount());
    *out = std::move(plugin);
    return Status::Success;
  }
  if (reasons.empty()) reasons = "NCCL_NET_PLUGIN=none";
  return fail(Status::SystemError, "no NCCL net plugin: %s", reasons.c_str());
}

}  // namespace hccl::net
