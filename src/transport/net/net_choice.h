// Which network carries a communicator's messages to the peers shared memory does not reach.
// NCCL_NET (HCCL_NET wins) names it: "Socket" (hccl's own TCP links), "UCX" (a UCX worker of the
// communicator's own, ucx_transport.h) or a plugin's name; unset,
// the NCCL net plugin NCCL_NET_PLUGIN names (by default libnccl-net.so) when one loads, else
// Socket. A plugin is opened once per process and shared by its communicators.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "transport/net/net_transport.h"

namespace hccl::net {

// *out: the transport, or null for hccl's sockets. InvalidUsage when NCCL_NET names a network
// that is not there (the error says which are).
Status chooseNet(const std::string& netName, const std::string& pluginSetting, std::shared_ptr<NetTransport>* out);

}  // namespace hccl::net
