// A communicator's settings: the environment, read once at creation, merged with the
// ncclConfig_t the user passed. Nothing below src/core reads the environment.
#pragma once

#include <cstddef>
#include <string>

#include "algorithms/planner.h"
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
  size_t recursiveDoublingMaxBytes = size_t{64} << 10;  // AllReduce switches to ring above
  Algorithm allReduceAlgorithm = Algorithm::Auto;  // NCCL_ALGO (parseAlgorithm's names)
  Fp8Encoding fp8Encoding = Fp8Encoding::Ocp;      // of this rank's fp8 buffers (HCCL_FP8_FORMAT)

  // The eager credit window per peer: a quarter of the staging, at least four eager messages.
  size_t eagerWindow() const;
  std::string commName;
  std::string netName;
  SocketSettings sockets;                          // NCCL_SOCKET_IFNAME, NCCL_SOCKET_FAMILY
  std::string topologyFile;                        // HCCL_TOPO_FILE: used instead of discovery
  std::string topologyDumpFile;                    // HCCL_TOPO_DUMP_FILE: rank 0 writes the topology

  // The environment's values (HCCL_* over NCCL_*); API fields are applied on top.
  static Config fromEnvironment();
};

}  // namespace hccl
