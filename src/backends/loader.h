// Chooses each communicator's backend at run time. A process that uses a GPU runtime (its
// libcudart/libcuda or libamdhip64 is already loaded) gets the vendor plugin, libhccl-cuda.so or
// libhccl-hip.so, found next to libnccl.so.2; HCCL_BACKEND=cuda|hip|host forces a choice and
// HCCL_BACKEND_PLUGIN names a plugin file. Whatever fails (no plugin, no driver, no device)
// falls back to the host backend with an INFO line saying why. No vendor header here.
#pragma once

#include <string>

#include "backends/backend.h"
#include "base/status.h"

namespace hccl {

// Which backend the process uses, as HCCL_BACKEND and HCCL_BACKEND_PLUGIN say. The first call
// that loads a plugin decides for the whole process (the vendor runtime is loaded once).
struct BackendChoice {
  std::string name = "auto";  // auto, cuda, hip or host
  std::string pluginPath;     // empty: libhccl-<vendor>.so beside libnccl.so.2
};

// The backend for a communicator created now on this thread: the device the thread has
// selected in the vendor runtime, or the host.
Backend& backendForNewComm(const BackendChoice& choice);
// The backend of device `device` (ncclCommInitAll's devlist); the host when the process uses no
// GPU runtime. InvalidArgument for a device that does not exist.
Status backendForDevice(const BackendChoice& choice, int device, Backend** out);
// Where ncclMemAlloc allocates: the current device when the process uses one, else the host.
Backend& backendForMemory(const BackendChoice& choice);
// The backend that must release memory ncclMemAlloc returned.
Backend& backendOwning(const BackendChoice& choice, void* ptr);

}  // namespace hccl
