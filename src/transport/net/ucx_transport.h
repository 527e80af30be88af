// UCX as a network transport (NCCL_NET=UCX): UCP's tag API on one worker per communicator, so
// UCX picks the wire itself (InfiniBand, RoCE, TCP, shared memory; UCX_TLS and UCX_NET_DEVICES
// pass through). libucp.so.0 is opened at run time: libnccl.so.2 loads where UCX is absent.
//
// A listener's handle carries its worker address and a number that selects its messages among
// everything the worker receives (the top 32 bits of every tag). connect() makes an endpoint to
// that worker and sends it a hello with its own address; accept() takes the hello and makes an
// endpoint back, only so the receiver learns when the sender dies (UCX's peer error handling).
#pragma once

#include <memory>

#include "base/status.h"
#include "transport/net/net_transport.h"

namespace hccl::net {

// Whether this build has the UCX transport.
bool ucxBuilt();

// A fresh UCX context and worker; SystemError when libucp.so.0 is missing or will not start.
Status openUcxTransport(std::unique_ptr<NetTransport>* out);

}  // namespace hccl::net
