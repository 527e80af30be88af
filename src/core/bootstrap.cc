#include "core/bootstrap.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <thread>

#include "base/error.h"
#include "base/log.h"

namespace hccl {
namespace {

constexpr uint64_t kIdMagic = 0x3130444943434868ull;     // "hCCID01"
constexpr uint64_t kHelloMagic = 0x3130484c45434368ull;  // rank -> root
constexpr uint64_t kPeerMagic = 0x3130524545504368ull;   // rank -> rank
constexpr int kMaxRanks = 1 << 20;

// The first message on every connection.
struct Hello {
  uint64_t magic;
  uint8_t secret[kSecretBytes];
  int32_t nranks;
  int32_t rank;   // sender
  int32_t target; // receiver's rank (rank -> rank only)
  int32_t reserved;
  PeerInfo info;  // rank -> root only
};

Hello makeHello(uint64_t magic, const UniqueIdContent& id, int nranks, int rank) {
  Hello hello{};
  hello.magic = magic;
  memcpy(hello.secret, id.secret, kSecretBytes);
  hello.nranks = nranks;
  hello.rank = rank;
  return hello;
}

bool secretsEqual(const uint8_t* a, const uint8_t* b) {
  uint8_t diff = 0;  // constant time: no early exit to time
  for (size_t i = 0; i < kSecretBytes; ++i) diff |= a[i] ^ b[i];
  return diff == 0;
}

// The root server: collects every rank's PeerInfo, then sends the full table to all.
void serveRoot(Socket listener, UniqueIdContent id, double timeoutSeconds) {
  Deadline deadline = deadlineIn(timeoutSeconds);
  int nranks = -1;
  std::vector<Socket> members;
  std::vector<PeerInfo> table;
  int joined = 0;
  while (nranks < 0 || joined < nranks) {
    Socket s;
    if (failed(listener.accept(&s, deadline))) {
      HCCL_WARN("bootstrap root: %d of %d ranks joined before the timeout; giving up", joined, nranks);
      return;  // members' sockets close, and every waiting rank sees the failure
    }
    Hello hello{};
    if (failed(s.recvAll(&hello, sizeof(hello), deadlineIn(5)))) continue;
    if (hello.magic != kHelloMagic || !secretsEqual(hello.secret, id.secret)) {
      HCCL_WARN("bootstrap root: dropped a connection that did not present the id's secret");
      continue;
    }
    if (hello.nranks < 1 || hello.nranks > kMaxRanks || (nranks >= 0 && hello.nranks != nranks) ||
        hello.rank < 0 || hello.rank >= hello.nranks ||
        (nranks >= 0 && members[hello.rank].isOpen())) {
      HCCL_WARN("bootstrap root: rank %d of %d is invalid or a duplicate; dropped", hello.rank, hello.nranks);
      continue;
    }
    if (nranks < 0) {
      nranks = hello.nranks;
      members.resize(nranks);
      table.resize(nranks);
    }
    hello.info.rank = hello.rank;
    hello.info.hostname[sizeof(hello.info.hostname) - 1] = '\0';
    table[hello.rank] = hello.info;
    members[hello.rank] = std::move(s);
    ++joined;
  }
  for (int r = 0; r < nranks; ++r)
    members[r].sendAll(table.data(), table.size() * sizeof(PeerInfo), deadline);
  HCCL_INFO(Bootstrap, "bootstrap root served %d ranks", nranks);
}

}  // namespace

Status createUniqueId(uint8_t id[kUniqueIdBytes], const SocketSettings& sockets, double timeoutSeconds) {
  UniqueIdContent content{};
  content.magic = kIdMagic;
  if (getrandom(content.secret, kSecretBytes, 0) != static_cast<ssize_t>(kSecretBytes))
    return fail(Status::SystemError, "getrandom failed: %s", strerror(errno));
  std::string ifname;
  HCCL_TRY(findLocalAddress(sockets, &content.root, &ifname));
  Socket listener;
  HCCL_TRY(listener.listen(&content.root));
  HCCL_INFO(Bootstrap, "bootstrap root listening on %s (%s)", content.root.str().c_str(), ifname.c_str());
  std::thread(serveRoot, std::move(listener), content, timeoutSeconds).detach();
  memset(id, 0, kUniqueIdBytes);
  memcpy(id, &content, sizeof(content));
  return Status::Success;
}

Status parseUniqueId(const uint8_t id[kUniqueIdBytes], UniqueIdContent* out) {
  memcpy(out, id, sizeof(*out));
  if (out->magic != kIdMagic || !out->root.valid())
    return reject(Status::InvalidArgument, "the ncclUniqueId was not made by ncclGetUniqueId");
  return Status::Success;
}

uint64_t localHostHash() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  std::string identity = host;
  std::ifstream bootId("/proc/sys/kernel/random/boot_id");
  std::string line;
  if (std::getline(bootId, line)) identity += line;
  struct stat ns;
  if (stat("/proc/self/ns/net", &ns) == 0) identity += std::to_string(ns.st_ino);
  return std::hash<std::string>{}(identity);
}

Status bootstrap(const UniqueIdContent& id, int rank, int nranks, PeerInfo self, const SocketSettings& sockets,
                 double timeoutSeconds, BootstrapResult* out) {
  Deadline deadline = deadlineIn(timeoutSeconds);
  // Our listener, on the same address family as the root.
  std::string ifname;
  HCCL_TRY(findLocalAddress(sockets, &self.listenAddress, &ifname));
  Socket listener;
  HCCL_TRY(listener.listen(&self.listenAddress));

  Socket root;
  HCCL_TRY(root.connect(id.root, deadline));
  Hello hello = makeHello(kHelloMagic, id, nranks, rank);
  hello.info = self;
  HCCL_TRY(root.sendAll(&hello, sizeof(hello), deadline));
  out->peers.resize(nranks);
  if (failed(root.recvAll(out->peers.data(), nranks * sizeof(PeerInfo), deadline)))
    return fail(Status::RemoteError,
                "bootstrap: the root at %s did not send the rank table (did all %d ranks call "
                "ncclCommInitRank with this id?)", id.root.str().c_str(), nranks);
  for (int r = 0; r < nranks; ++r)
    if (out->peers[r].rank != r || !out->peers[r].listenAddress.valid())
      return fail(Status::RemoteError, "bootstrap: corrupt rank table entry %d", r);

  // Full mesh: connect to lower ranks (their listeners queue us), then accept higher ones.
  out->connections.resize(nranks);
  for (int peer = 0; peer < rank; ++peer) {
    Socket s;
    HCCL_TRY(s.connect(out->peers[peer].listenAddress, deadline));
    Hello mine = makeHello(kPeerMagic, id, nranks, rank);
    mine.target = peer;
    HCCL_TRY(s.sendAll(&mine, sizeof(mine), deadline));
    out->connections[peer] = std::move(s);
  }
  for (int accepted = 0; accepted < nranks - 1 - rank;) {
    Socket s;
    HCCL_TRY(listener.accept(&s, deadline));
    Hello theirs{};
    if (failed(s.recvAll(&theirs, sizeof(theirs), deadline))) continue;
    if (theirs.magic != kPeerMagic || !secretsEqual(theirs.secret, id.secret) ||
        theirs.nranks != nranks || theirs.target != rank || theirs.rank <= rank ||
        theirs.rank >= nranks || out->connections[theirs.rank].isOpen()) {
      HCCL_WARN("bootstrap: dropped a peer connection that failed authentication");
      continue;
    }
    out->connections[theirs.rank] = std::move(s);
    ++accepted;
  }
  HCCL_INFO(Bootstrap, "rank %d/%d connected to all peers via %s", rank, nranks, ifname.c_str());
  return Status::Success;
}

}  // namespace hccl
