// Bootstrap: how ranks find each other. ncclGetUniqueId starts a one-shot root server and packs
// its address and a random secret into the id. Each rank reports its own listening address to
// the root, receives everyone's, and connects to every peer; every connection proves it knows
// the secret before anything else is read from it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "transport/socket.h"

namespace hccl {

constexpr size_t kUniqueIdBytes = 128;
constexpr size_t kSecretBytes = 32;

// The contents of an ncclUniqueId.
struct UniqueIdContent {
  uint64_t magic;
  uint8_t secret[kSecretBytes];
  SocketAddress root;
};
static_assert(sizeof(UniqueIdContent) <= kUniqueIdBytes, "must fit in ncclUniqueId");

// What every rank learns about every other at init.
struct PeerInfo {
  int32_t rank;
  int32_t pid;
  uint64_t hostHash;  // equal for ranks that can share memory
  SocketAddress listenAddress;
  int32_t backendKind;
  int32_t deviceIndex;
  uint64_t eagerBytes;   // both ends of a link use the smaller of their settings
  uint64_t eagerWindow;
  uint64_t cpus[16];  // the CPUs this rank may run on: bit i of word i / 64 for CPU i < 1024
  char hostname[64];
};

// Fills `id` and starts the root server thread, which serves one communicator's creation and
// exits (or gives up after `timeoutSeconds`).
Status createUniqueId(uint8_t id[kUniqueIdBytes], const SocketSettings& sockets, double timeoutSeconds);
Status parseUniqueId(const uint8_t id[kUniqueIdBytes], UniqueIdContent* out);

// This machine's identity for "same host" decisions: host name, boot id and network namespace.
uint64_t localHostHash();

struct BootstrapResult {
  std::vector<PeerInfo> peers;     // indexed by rank
  std::vector<Socket> connections;  // indexed by rank; empty at our own rank
};

// Runs this rank's side of the bootstrap: exchange PeerInfo through the root, then a connected,
// authenticated socket to every peer.
Status bootstrap(const UniqueIdContent& id, int rank, int nranks, PeerInfo self, const SocketSettings& sockets,
                 double timeoutSeconds, BootstrapResult* out);

}  // namespace hccl
