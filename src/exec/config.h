// A communicator's settings, as plain data: every layer below src/core reads what it needs from
// here (or from a part of it passed down) instead of the environment. core/config.h fills it
// from the environment, once per communicator (and for the calls that have none), and the API
// applies ncclConfig_t on top.
#pragma once

#include <cstddef>
#include <string>

#include "algorithms/planner.h"
#include "backends/loader.h"
#include "base/fp8_encoding.h"
#include "transport/socket.h"

namespace hccl {

struct Config {
  bool blocking = true;
  size_t bufferBytes = size_t{4} << 20;  // per-peer staging (shm ring size)
  double timeoutSeconds = 600;           // bound on every wait
  bool shmDisable = false;
  size_t sliceBytes = size_t{512} << 10; // pipelining granularity of chained schedules
  size_t eagerBytes = size_t{64} << 10;  // messages sent without waiting for a grant
  size_t singleCopyBytes = 0;  // HCCL_SINGLE_COPY_BYTES: shm peers read messages this large themselves (0: never)
  size_t netDirectBytes = size_t{256} << 10;  // HCCL_NET_DIRECT_BYTES: network messages this large skip staging
  size_t recursiveDoublingMaxBytes = size_t{64} << 10;  // AllReduce switches to ring above
  Algorithm allReduceAlgorithm = Algorithm::Auto;  // NCCL_ALGO (parseAlgorithm's names)
  Fp8Encoding fp8Encoding = Fp8Encoding::Ocp;      // of this rank's fp8 buffers (HCCL_FP8_FORMAT)
  std::string commName;
  std::string netName;             // NCCL_NET or ncclConfig_t.netName: "Socket", a plugin's name, or ""
  SocketSettings sockets;          // NCCL_SOCKET_IFNAME, NCCL_SOCKET_FAMILY
  std::string netPlugin;           // NCCL_NET_PLUGIN: which plugin library ("" libnccl-net.so, "none")
  BackendChoice backend;           // HCCL_BACKEND, HCCL_BACKEND_PLUGIN
  std::string topologyFile;        // HCCL_TOPO_FILE: used instead of discovery
  std::string topologyDumpFile;    // HCCL_TOPO_DUMP_FILE: rank 0 writes the topology there
  // GPU ranks (src/device).
  size_t devicePieceBytes = size_t{4} << 20;  // HCCL_DEVICE_PIECE_BYTES: equal on every rank
  bool deviceDirect = true;                   // HCCL_DEVICE_DIRECT: same-node GPUs go device to device

  // The eager credit window per peer: a quarter of the staging, at least four eager messages.
  size_t eagerWindow() const {
    const size_t minimum = 4 * (eagerBytes + 64);
    return bufferBytes / 4 > minimum ? bufferBytes / 4 : minimum;
  }
};

}  // namespace hccl
