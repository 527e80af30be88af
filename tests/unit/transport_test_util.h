// Shared by the transport conformance tests (transport_*_test.cc): connected pairs of every
// transport in one process, a Link wrapper that can hold a reader back mid-frame, messages with
// guarded buffers, and bounded polling loops. Both ends of a pair live in one thread: Links and
// Messengers never block, so a test drives them by calling each side in turn.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "core/config.h"
#include "transport/messenger.h"
#include "transport/net/net_link.h"
#include "transport/net/net_plugin.h"
#include "transport/shm/doorbell.h"
#include "transport/shm/shm_link.h"
#include "transport/socket.h"
#include "transport/tcp/tcp_link.h"

namespace hccl {

// gtest prints a Status by name.
static inline void PrintTo(Status s, std::ostream* os) { *os << statusName(s); }

namespace transport_test {

constexpr double kDeadlineSeconds = 10;  // no loop in these tests waits longer
constexpr size_t KiB = 1024;
constexpr size_t MiB = 1024 * 1024;

// ShmSingleCopy: shared memory whose granted messages the receiver reads from the sender's
// buffer (process_vm_readv) instead of through the ring. NetPlugin: a NetLink over the test NCCL
// net plugin (tests/plugins).
enum class Kind { Tcp, Shm, ShmSingleCopy, NetPlugin };

inline const char* kindText(Kind kind) {
  switch (kind) {
    case Kind::Tcp: return "tcp";
    case Kind::Shm: return "shm";
    case Kind::ShmSingleCopy: return "shm_single_copy";
    case Kind::NetPlugin: return "net_plugin";
  }
  return "?";
}
inline void PrintTo(Kind kind, std::ostream* os) { *os << kindText(kind); }
inline std::string kindName(const testing::TestParamInfo<Kind>& info) { return kindText(info.param); }

inline Status connectedSockets(Socket* a, Socket* b) {
  Socket listener;
  SocketAddress addr;
  addr.family = AF_INET;
  const uint8_t loopback[4] = {127, 0, 0, 1};
  memcpy(addr.addr, loopback, sizeof(loopback));
  HCCL_TRY(listener.listen(&addr));
  Deadline deadline = deadlineIn(kDeadlineSeconds);
  HCCL_TRY(a->connect(addr, deadline));
  return listener.accept(b, deadline);
}

// Two shared-memory Links joined to each other; each side offers single copy or not.
inline Status makeShmLinks(size_t capacity, bool singleCopyA, bool singleCopyB, LinkPtr* a, LinkPtr* b) {
  Socket sa, sb;
  HCCL_TRY(connectedSockets(&sa, &sb));
  static std::atomic<int> serial{0};
  std::string name = "/hccl-test-" + std::to_string(getpid()) + "-" + std::to_string(serial++);
  Deadline deadline = deadlineIn(kDeadlineSeconds);
  std::unique_ptr<ShmLink> la, lb;
  // Each side's doorbell, kept for the process's life (a communicator owns its own).
  static std::vector<std::unique_ptr<Doorbell>> bells;
  bells.push_back(std::make_unique<Doorbell>());
  HCCL_TRY(bells.back()->create(name + "-bell-a"));
  Doorbell& bellA = *bells.back();
  bells.push_back(std::make_unique<Doorbell>());
  HCCL_TRY(bells.back()->create(name + "-bell-b"));
  Doorbell& bellB = *bells.back();
  // The three set-up rounds, interleaved: each round's message is small, so no send waits.
  HCCL_TRY(ShmLink::begin(std::move(sa), name + "-a", bellA.name(), capacity, singleCopyA, deadline, &la));
  HCCL_TRY(ShmLink::begin(std::move(sb), name + "-b", bellB.name(), capacity, singleCopyB, deadline, &lb));
  HCCL_TRY(la->attach(deadline));
  HCCL_TRY(lb->attach(deadline));
  HCCL_TRY(la->finish(deadline));
  HCCL_TRY(lb->finish(deadline));
  bellA.unlink();
  bellB.unlink();
  *a = std::move(la);
  *b = std::move(lb);
  return Status::Success;
}

// Two NetLinks over the test plugin, opened at once from two threads (each end's open waits for
// the other's).
inline Status makeNetLinks(LinkPtr* a, LinkPtr* b) {
  static std::shared_ptr<net::NetTransport> plugin = [] {
    std::unique_ptr<net::NetTransport> t;
    return failed(net::openNetPlugin(std::string(HCCL_TEST_NET_PLUGIN_DIR) + "/libnccl-net-hccltest10.so", &t))
               ? nullptr
               : std::shared_ptr<net::NetTransport>(std::move(t));
  }();
  if (!plugin) return Status::SystemError;
  Socket sa, sb;
  HCCL_TRY(connectedSockets(&sa, &sb));
  const Deadline deadline = deadlineIn(kDeadlineSeconds);
  std::unique_ptr<net::NetLink> la, lb;
  Status sideB = Status::Success;
  // Every granted message goes direct; the stream carries the rest.
  std::thread other([&] { sideB = net::NetLink::open(plugin, 0, std::move(sb), 1, deadline, &lb); });
  const Status sideA = net::NetLink::open(plugin, 0, std::move(sa), 1, deadline, &la);
  other.join();
  HCCL_TRY(sideA);
  HCCL_TRY(sideB);
  *a = std::move(la);
  *b = std::move(lb);
  return Status::Success;
}

// Two Links joined to each other. `capacity`: the shm ring each way, or TCP's staging buffer.
inline Status makeLinks(Kind kind, size_t capacity, LinkPtr* a, LinkPtr* b) {
  if (kind == Kind::NetPlugin) return makeNetLinks(a, b);
  if (kind != Kind::Tcp) {
    const bool singleCopy = kind == Kind::ShmSingleCopy;
    return makeShmLinks(capacity, singleCopy, singleCopy, a, b);
  }
  Socket sa, sb;
  HCCL_TRY(connectedSockets(&sa, &sb));
  *a = std::make_unique<TcpLink>(std::move(sa), capacity);
  *b = std::make_unique<TcpLink>(std::move(sb), capacity);
  return Status::Success;
}

// Forwards to a real Link, but lets a test cap how many more bytes its owner may read: how a
// test stops a Messenger in the middle of a frame on any transport.
class GatedLink final : public Link {
 public:
  static constexpr size_t kUnlimited = SIZE_MAX;
  explicit GatedLink(LinkPtr inner) : inner_(std::move(inner)) {}

  size_t readBudget = kUnlimited;

  const char* name() const override { return inner_->name(); }
  Status write(const void* data, size_t bytes, size_t* done) override {
    return inner_->write(data, bytes, done);
  }
  Status read(void* dst, size_t bytes, size_t* done) override {
    *done = 0;
    size_t n = std::min(bytes, readBudget);
    if (n == 0 && bytes > 0) return Status::Success;
    HCCL_TRY(inner_->read(dst, n, done));
    charge(*done);
    return Status::Success;
  }
  Status peek(size_t minBytes, size_t maxBytes, const void** data, size_t* avail) override {
    *avail = 0;
    if (readBudget < minBytes) return Status::Success;
    return inner_->peek(minBytes, std::min(maxBytes, readBudget), data, avail);
  }
  void consume(size_t bytes) override {
    charge(bytes);
    inner_->consume(bytes);
  }
  Status checkAlive() override { return inner_->checkAlive(); }
  void shutdown() override { inner_->shutdown(); }
  int waitFd() const override { return inner_->waitFd(); }
  bool peerCanReadUs() const override { return inner_->peerCanReadUs(); }
  bool canReadPeer() const override { return inner_->canReadPeer(); }
  Status readPeer(void* dst, uint64_t address, size_t bytes) override {
    return inner_->readPeer(dst, address, bytes);
  }

 private:
  void charge(size_t bytes) {
    if (readBudget != kUnlimited) readBudget -= std::min(bytes, readBudget);
  }
  LinkPtr inner_;
};

// Two Messengers joined by one Link pair, each over a GatedLink.
struct Endpoints {
  std::unique_ptr<Messenger> a, b;
  GatedLink* gateA = nullptr;  // what a's Messenger reads through
  GatedLink* gateB = nullptr;
  size_t eagerBytes = 0, eagerWindow = 0;
};

// The eager window is the communicator's (Config::eagerWindow) for these sizes unless given.
inline Status makeEndpoints(Kind kind, size_t capacity, size_t eagerBytes, Endpoints* out,
                            size_t eagerWindow = 0) {
  LinkPtr la, lb;
  HCCL_TRY(makeLinks(kind, capacity, &la, &lb));
  if (eagerWindow == 0) {
    Config config;
    config.bufferBytes = capacity;
    config.eagerBytes = eagerBytes;
    eagerWindow = config.eagerWindow();
  }
  auto ga = std::make_unique<GatedLink>(std::move(la));
  auto gb = std::make_unique<GatedLink>(std::move(lb));
  out->gateA = ga.get();
  out->gateB = gb.get();
  // Single copy for every granted message.
  const size_t singleCopyBytes = kind == Kind::ShmSingleCopy ? eagerBytes + 1 : 0;
  out->a = std::make_unique<Messenger>(std::move(ga), 1, eagerBytes, eagerWindow, singleCopyBytes);
  out->b = std::make_unique<Messenger>(std::move(gb), 0, eagerBytes, eagerWindow, singleCopyBytes);
  out->eagerBytes = eagerBytes;
  out->eagerWindow = eagerWindow;
  return Status::Success;
}

struct Outcome {
  Status a = Status::Success, b = Status::Success;
  bool timedOut = false;
  bool failed() const { return hccl::failed(a) || hccl::failed(b); }
};

inline std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  return os << "a=" << statusName(o.a) << " b=" << statusName(o.b) << (o.timedOut ? " (timed out)" : "");
}

inline void progressBoth(Endpoints& e, Outcome* o) {
  bool moved = false;
  if (e.a && !failed(o->a)) o->a = e.a->progress(&moved);
  if (e.b && !failed(o->b)) o->b = e.b->progress(&moved);
}

// Progresses both ends until `until()` holds, an end fails, or `seconds` pass.
inline Outcome pump(Endpoints& e, const std::function<bool()>& until, double seconds = kDeadlineSeconds) {
  Outcome o;
  Deadline deadline = deadlineIn(seconds);
  for (;;) {
    progressBoth(e, &o);
    if (o.failed() || until()) return o;
    if (Clock::now() > deadline) {
      o.timedOut = true;
      return o;
    }
  }
}

// Progresses both ends `rounds` times (fewer if one fails).
inline Outcome pumpRounds(Endpoints& e, int rounds) {
  Outcome o;
  for (int i = 0; i < rounds && !o.failed(); ++i) progressBoth(e, &o);
  return o;
}

inline bool idle(const Endpoints& e) { return (!e.a || !e.a->busy()) && (!e.b || !e.b->busy()); }

inline std::vector<char> randomBytes(size_t bytes, uint64_t seed) {
  std::vector<char> out(bytes);
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i < bytes; i += 8) {
    uint64_t v = rng();
    memcpy(out.data() + i, &v, std::min<size_t>(8, bytes - i));
  }
  return out;
}

// One message: its source, its destination (followed by guard bytes that must stay untouched),
// and the send and receive requests, which stay put while posted.
struct Message {
  static constexpr size_t kGuard = 64;
  static constexpr char kGuardByte = 0x5a;
  uint64_t tag = 0;
  size_t bytes = 0;
  std::vector<char> src, dst;
  Request send, recv;
};
using MessagePtr = std::unique_ptr<Message>;

// Send and receive sizes differ only to provoke mismatches.
inline MessagePtr makeMessage(uint64_t tag, size_t bytes, uint64_t seed, size_t recvBytes = SIZE_MAX) {
  if (recvBytes == SIZE_MAX) recvBytes = bytes;
  auto m = std::make_unique<Message>();
  m->tag = tag;
  m->bytes = bytes;
  m->src = randomBytes(bytes, seed);
  m->dst.assign(recvBytes + Message::kGuard, Message::kGuardByte);
  m->send.kind = Request::Kind::Send;
  m->send.tag = tag;
  m->send.buffer = bytes == 0 ? nullptr : m->src.data();
  m->send.bytes = bytes;
  m->recv.kind = Request::Kind::Recv;
  m->recv.tag = tag;
  m->recv.buffer = recvBytes == 0 ? nullptr : m->dst.data();
  m->recv.bytes = recvBytes;
  return m;
}

inline void expectDelivered(const Message& m) {
  SCOPED_TRACE("message tag " + std::to_string(m.tag) + ", " + std::to_string(m.bytes) + " bytes");
  EXPECT_TRUE(m.send.done);
  EXPECT_TRUE(m.recv.done);
  EXPECT_EQ(m.send.progressed, m.bytes);
  EXPECT_EQ(m.recv.progressed, m.bytes);
  if (m.bytes > 0) EXPECT_EQ(0, memcmp(m.src.data(), m.dst.data(), m.bytes)) << "payload differs";
  for (size_t i = m.dst.size() - Message::kGuard; i < m.dst.size(); ++i)
    if (m.dst[i] != Message::kGuardByte) {
      ADD_FAILURE() << "byte " << i << " past the receive buffer was written";
      break;
    }
}

// Writes all of `data` on `link` raw, progressing `reader` meanwhile so a small ring drains.
// Returns the reader's first failure, if any, else Success; Aborted on timeout.
inline Status writeRaw(Link& link, const void* data, size_t bytes, Messenger* reader) {
  const char* p = static_cast<const char*>(data);
  Deadline deadline = deadlineIn(kDeadlineSeconds);
  while (bytes > 0) {
    size_t done = 0;
    HCCL_TRY(link.write(p, bytes, &done));
    p += done;
    bytes -= done;
    bool moved = false;
    if (reader != nullptr) HCCL_TRY(reader->progress(&moved));
    if (Clock::now() > deadline) return Status::Aborted;
  }
  return Status::Success;
}

}  // namespace transport_test
}  // namespace hccl
