// NCCL's network plugins under hccl: a library that exports ncclNetPlugin_v10, _v9 or _v8 (the
// newest it has is used) becomes a NetTransport. Which library, as NCCL decides it from
// NCCL_NET_PLUGIN: unset, libnccl-net.so; "none", no plugin; a name, libnccl-net-<name>.so and
// then the name itself as a library (a path works too).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "transport/net/net_transport.h"

namespace hccl::net {

// The libraries tried for this NCCL_NET_PLUGIN value, in order (none for "none").
std::vector<std::string> netPluginCandidates(const std::string& setting);

// Loads and initialises the first candidate that opens and exports a table hccl knows.
// SystemError (with the reasons, for INFO logs) when none does; the plugin's own init
// failure is returned as its status.
Status openNetPlugin(const std::string& setting, std::unique_ptr<NetTransport>* out);

}  // namespace hccl::net
