#include "transport/net/net_choice.h"

#include <strings.h>

#include <map>
#include <mutex>

#include "base/error.h"
#include "base/log.h"
#include "transport/net/net_plugin.h"
#include "transport/net/ucx_transport.h"

namespace hccl::net {
namespace {

// The plugin of each NCCL_NET_PLUGIN value, or why it did not load; opened once per process.
struct OpenedPlugin {
  std::shared_ptr<NetTransport> transport;
  std::string why;
};

const OpenedPlugin& pluginFor(const std::string& setting) {
  static std::mutex mutex;
  static std::map<std::string, OpenedPlugin> opened;
  std::lock_guard<std::mutex> lock(mutex);
  auto found = opened.find(setting);
  if (found != opened.end()) return found->second;
  OpenedPlugin entry;
  std::unique_ptr<NetTransport> plugin;
  if (failed(openNetPlugin(setting, &plugin))) {
    entry.why = threadLastError();
    clearThreadLastError();  // no plugin is no error: the caller goes on with sockets
  } else {
    entry.transport = std::move(plugin);
  }
  return opened.emplace(setting, std::move(entry)).first->second;
}

}  // namespace

Status chooseNet(const std::string& netName, const std::string& pluginSetting, std::shared_ptr<NetTransport>* out) {
  out->reset();
  if (strcasecmp(netName.c_str(), "Socket") == 0) {
    HCCL_INFO(Net, "NET/Socket: Using hccl's sockets (NCCL_NET=%s)", netName.c_str());
    return Status::Success;
  }
  if (strcasecmp(netName.c_str(), "UCX") == 0) {
    std::unique_ptr<NetTransport> ucx;
    if (failed(openUcxTransport(&ucx)))
      return reject(Status::InvalidUsage, "NCCL_NET=UCX: %s", threadLastError().c_str());
    HCCL_INFO(Net, "NET/UCX: Using UCX (one worker for this communicator)");
    *out = std::move(ucx);
    return Status::Success;
  }
  const OpenedPlugin& plugin = pluginFor(pluginSetting);
  if (netName.empty()) {
    *out = plugin.transport;
    if (*out) HCCL_INFO(Net, "NET/Plugin: Using %s", (*out)->name());
    else HCCL_INFO(Net, "NET/Socket: Using hccl's sockets (%s)", plugin.why.c_str());
    return Status::Success;
  }
  if (plugin.transport && strcasecmp(netName.c_str(), plugin.transport->name()) == 0) {
    *out = plugin.transport;
    HCCL_INFO(Net, "NET/Plugin: Using %s (NCCL_NET=%s)", (*out)->name(), netName.c_str());
    return Status::Success;
  }
  std::string available = ucxBuilt() ? "Socket, UCX" : "Socket";
  if (plugin.transport) available += std::string(", ") + plugin.transport->name();
  return reject(Status::InvalidUsage, "NCCL_NET=%s: no such network here (available: %s%s%s)", netName.c_str(),
                available.c_str(), plugin.why.empty() ? "" : "; ", plugin.why.c_str());
}

}  // namespace hccl::net
