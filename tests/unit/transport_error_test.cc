// Failures every transport must turn into a Status, never a hang or a crash: send/recv size
// mismatches (granted, eager, and one side eager while the other is granted), a peer that shuts
// its link down or goes away, and corrupt or hostile frames written straight onto the raw link.
#include <gtest/gtest.h>

#include <vector>

#include "backends/backend.h"
#include "transport_test_util.h"

namespace hccl {
namespace transport_test {
namespace {

constexpr size_t kEager = 64 * KiB;
constexpr double kHangSeconds = 3;  // how long a mismatch may go unreported before we call it a hang

class TransportErrors : public testing::TestWithParam<Kind> {
 protected:
  void connect(size_t capacity, size_t eagerBytes = kEager) {
    e_ = Endpoints{};
    ASSERT_EQ(Status::Success, makeEndpoints(GetParam(), capacity, eagerBytes, &e_));
  }
  // Pumps until an end fails; the test fails if none does in time.
  Outcome expectFailure() {
    Outcome o = pump(e_, [] { return false; }, kHangSeconds);
    EXPECT_TRUE(o.failed()) << "no error reported: " << o << (idle(e_) ? " (both ends idle)" : " (hangs)");
    for (Status s : {o.a, o.b})
      if (failed(s)) EXPECT_TRUE(s == Status::InvalidUsage || s == Status::RemoteError) << statusName(s);
    return o;
  }
  // Lets a's eager message `m` arrive at b before b posts its receive: b reads it while waiting
  // for a later message.
  void deliverUnexpected(Message& m) {
    probe_ = makeMessage(0xfff, 8, 0xfff);
    e_.b->postRecv(&probe_->recv);
    e_.a->postSend(&m.send);
    e_.a->postSend(&probe_->send);
    Outcome o = pump(e_, [&] { return probe_->recv.done; });
    ASSERT_FALSE(o.failed() || o.timedOut) << o;
  }
  Endpoints e_;
  MessagePtr probe_;
};

INSTANTIATE_TEST_SUITE_P(, TransportErrors, testing::Values(Kind::Tcp, Kind::Shm, Kind::ShmSingleCopy, Kind::NetPlugin),
                         kindName);

// ---- size mismatches ----

TEST_P(TransportErrors, GrantedSizeMismatch) {
  struct Case {
    size_t send, recv;
    bool recvFirst;
  };
  for (Case c : {Case{200 * KiB, 300 * KiB, true}, Case{300 * KiB, 200 * KiB, true},
                 Case{200 * KiB, 300 * KiB, false}, Case{3 * MiB, 2 * MiB, false}}) {
    SCOPED_TRACE("send " + std::to_string(c.send) + " recv " + std::to_string(c.recv) +
                 (c.recvFirst ? ", receive first" : ", send first"));
    connect(1 * MiB);
    MessagePtr m = makeMessage(1, c.send, 1, c.recv);
    MessagePtr keeper = makeMessage(0xabc, 8, 0);  // never sent: keeps a reading
    if (c.recvFirst) {
      e_.a->postRecv(&keeper->recv);
      e_.b->postRecv(&m->recv);
      ASSERT_FALSE(pumpRounds(e_, 100).failed());  // the grant arrives before the send exists
      e_.a->postSend(&m->send);
    } else {
      e_.a->postSend(&m->send);
      e_.b->postRecv(&m->recv);
    }
    expectFailure();
  }
}

TEST_P(TransportErrors, EagerSizeMismatchReceivePostedFirst) {
  connect(1 * MiB);
  MessagePtr m = makeMessage(1, 100, 1, 200);
  e_.b->postRecv(&m->recv);
  e_.a->postSend(&m->send);
  expectFailure();
}

TEST_P(TransportErrors, EagerSizeMismatchDataArrivedFirst) {
  connect(1 * MiB);
  MessagePtr m = makeMessage(1, 100, 1, 200);
  ASSERT_NO_FATAL_FAILURE(deliverUnexpected(*m));
  e_.b->postRecv(&m->recv);
  expectFailure();
}

TEST_P(TransportErrors, EagerSizeMismatchWhileBeingRead) {
  connect(16 * KiB);
  MessagePtr m = makeMessage(1, 60000, 1, 50000);
  MessagePtr last = makeMessage(2, 8, 2);
  e_.b->postRecv(&last->recv);
  e_.gateB->readBudget = 24 + 1000;
  e_.a->postSend(&m->send);
  e_.a->postSend(&last->send);
  Outcome o = pump(e_, [&] { return e_.gateB->readBudget == 0; });
  ASSERT_FALSE(o.failed() || o.timedOut) << o;
  e_.b->postRecv(&m->recv);
  e_.gateB->readBudget = GatedLink::kUnlimited;
  expectFailure();
}

// The sender's size is eager and the receiver's is granted: the receiver grants, the sender
// never waits for a grant. Caught when the eager data meets the posted receive.
TEST_P(TransportErrors, EagerSendGrantedReceivePostedFirst) {
  connect(1 * MiB);
  MessagePtr m = makeMessage(1, 1000, 1, 100 * KiB);
  e_.b->postRecv(&m->recv);
  ASSERT_FALSE(pumpRounds(e_, 100).failed());
  e_.a->postSend(&m->send);
  expectFailure();
}

// The same, but the eager data arrived before the receive was posted.
TEST_P(TransportErrors, EagerSendGrantedReceiveDataArrivedFirst) {
  connect(1 * MiB);
  MessagePtr m = makeMessage(1, 1000, 1, 100 * KiB);
  ASSERT_NO_FATAL_FAILURE(deliverUnexpected(*m));
  e_.b->postRecv(&m->recv);
  expectFailure();
}

// The sender's size is granted and the receiver's eager: each waits for the other.
TEST_P(TransportErrors, GrantedSendEagerReceive) {
  connect(1 * MiB);
  MessagePtr m = makeMessage(1, 100 * KiB, 1, 1000);
  e_.a->postSend(&m->send);
  e_.b->postRecv(&m->recv);
  expectFailure();
}

// ---- a peer that goes away ----

TEST_P(TransportErrors, PeerShutdownOrExitIsReported) {
  for (bool destroy : {false, true}) {
    for (size_t bytes : {size_t{1000}, 300 * KiB}) {
      SCOPED_TRACE(std::string(destroy ? "peer destroyed" : "peer shut its link down") + ", waiting for " +
                   std::to_string(bytes) + " bytes");
      connect(1 * MiB);
      MessagePtr m = makeMessage(1, bytes, 1);
      e_.b->postRecv(&m->recv);
      ASSERT_FALSE(pumpRounds(e_, 100).failed());
      if (destroy)
        e_.a.reset();
      else
        e_.a->link().shutdown();
      // The executor's view: progress fails, or the idle liveness check does.
      Deadline deadline = deadlineIn(kDeadlineSeconds);
      bool noticed = false;
      while (!noticed && Clock::now() < deadline) {
        bool moved = false;
        Status s = e_.b->progress(&moved);
        if (failed(s)) {
          EXPECT_EQ(s, Status::RemoteError);
          noticed = true;
        } else if (failed(e_.b->link().checkAlive())) {
          noticed = true;
        }
      }
      EXPECT_TRUE(noticed) << "the peer's loss went unnoticed";
      EXPECT_FALSE(m->recv.done);
    }
  }
}

// A peer that sends its last message and exits: the message is still delivered.
TEST_P(TransportErrors, LastMessageBeforeExitIsDelivered) {
  connect(1 * MiB);
  MessagePtr m = makeMessage(1, 1000, 1);
  e_.a->postSend(&m->send);
  Outcome o = pump(e_, [&] { return m->send.done && !e_.a->busy(); });  // busy: still leaving a's link
  ASSERT_FALSE(o.failed() || o.timedOut) << o;
  e_.a.reset();
  e_.b->postRecv(&m->recv);
  o = pump(e_, [&] { return m->recv.done; });
  ASSERT_FALSE(o.failed() || o.timedOut) << o;
  expectDelivered(*m);
}

// Communicator::fail() drops a Messenger's requests, possibly in the middle of a frame. Using
// the Messenger afterwards may fail, but must not touch the forgotten requests (run in a child
// process, so a crash fails only this test).
TEST_P(TransportErrors, ProgressAfterDropRequestsDoesNotCrash) {
  const Kind kind = GetParam();
  auto body = [kind] {
    Endpoints e;
    if (failed(makeEndpoints(kind, 64 * KiB, kEager, &e))) exit(2);
    // Larger than a loopback socket's buffers, so a TCP send cannot finish in one go.
    MessagePtr m = makeMessage(1, 32 * MiB, 1);
    e.b->postRecv(&m->recv);
    e.a->postSend(&m->send);
    for (int i = 0; i < 100 && m->send.progressed == 0; ++i) pumpRounds(e, 1);
    if (m->send.progressed == 0 || m->send.done) exit(3);  // not mid-message: nothing tested
    e.a->dropRequests();
    e.b->dropRequests();
    m.reset();  // the forgotten requests are gone
    MessagePtr next = makeMessage(2, 100, 2);
    e.b->postRecv(&next->recv);
    e.a->postSend(&next->send);
    pump(e, [&] { return idle(e); }, 1);
    exit(0);
  };
  EXPECT_EXIT(body(), testing::ExitedWithCode(0), "");
}

// ---- corrupt and hostile frames ----

// The wire header (messenger.h, FrameHeader): 24 bytes in host byte order.
struct WireHeader {
  uint32_t type, reserved;
  uint64_t tag, bytes;
};
static_assert(sizeof(WireHeader) == 24);
constexpr uint32_t kWireCts = 0x43545331, kWireData = 0x44415431, kWireEager = 0x45414731,
                   kWireCredit = 0x43524431, kWireRemote = 0x524d5431, kWireRemoteDone = 0x52444e31;

std::vector<char> frames(std::initializer_list<WireHeader> headers, size_t payloadEach = 0) {
  std::vector<char> out;
  for (const WireHeader& h : headers) {
    const char* p = reinterpret_cast<const char*>(&h);
    out.insert(out.end(), p, p + sizeof(h));
    out.resize(out.size() + (payloadEach + 7) / 8 * 8, 0x11);
  }
  return out;
}

struct CorruptCase {
  const char* name;
  size_t eagerBytes;
  std::vector<char> bytes;  // written raw on a's link
  bool reducingReceive;     // b's posted receive (tag 7, 300 KiB) reduces floats
};

TEST_P(TransportErrors, CorruptFramesAreRemoteErrors) {
  std::vector<char> garbage = randomBytes(4096, 5);
  const uint32_t bad = 0xdeadbeef;
  memcpy(garbage.data(), &bad, sizeof(bad));
  std::vector<char> ctsFlood;
  for (uint64_t i = 0; i < 70000; ++i) {
    std::vector<char> f = frames({{kWireCts, 0, 1000 + i, 100 * KiB}});
    ctsFlood.insert(ctsFlood.end(), f.begin(), f.end());
  }
  const std::vector<CorruptCase> cases = {
      {"random bytes", kEager, garbage, false},
      {"unknown frame type", kEager, frames({{0x12345678, 0, 7, 16}}), false},
      {"eager frame above the eager limit", kEager, frames({{kWireEager, 0, 9, kEager + 8}}), false},
      {"eager frame claiming 2^62 bytes", kEager, frames({{kWireEager, 0, 9, uint64_t{1} << 62}}), false},
      {"data nobody asked for", kEager, frames({{kWireData, 0, 9, 16}}), false},
      {"data larger than its receive", kEager, frames({{kWireData, 0, 7, 400 * KiB}}), false},
      {"data frame above kMaxFrame", kEager, frames({{kWireData, 0, 7, 2 * MiB}}), false},
      {"data claiming 2^63 bytes", kEager, frames({{kWireData, 0, 7, uint64_t{1} << 63}}), false},
      {"credit never given", kEager, frames({{kWireCredit, 0, 0, 4096}}), false},
      {"partial element for a reducing receive", kEager, frames({{kWireData, 0, 7, 6}}, 6), true},
      {"flood of unmatched grants", kEager, ctsFlood, false},
      // A single-copy offer: the header, then the address (here 0x1111..., never mapped).
      {"remote read nobody asked for", kEager, frames({{kWireRemote, 0, 9, 300 * KiB}}, 8), false},
      {"remote read of another size", kEager, frames({{kWireRemote, 0, 7, 100 * KiB}}, 8), false},
      {"remote read at an unmapped address", kEager, frames({{kWireRemote, 0, 7, 300 * KiB}}, 8), false},
      {"reducing remote read at an unmapped address", kEager, frames({{kWireRemote, 0, 7, 300 * KiB}}, 8), true},
      {"remote read finished for nothing lent", kEager, frames({{kWireRemoteDone, 0, 7, 0}}), false},
      {"eager messages beyond the credit window", 4096,
       frames({{kWireEager, 0, 100, 4096}, {kWireEager, 0, 101, 4096}, {kWireEager, 0, 102, 4096},
               {kWireEager, 0, 103, 4096}, {kWireEager, 0, 104, 4096}, {kWireEager, 0, 105, 4096}},
              4096),
       false},
  };
  for (const CorruptCase& c : cases) {
    SCOPED_TRACE(c.name);
    connect(64 * KiB, c.eagerBytes);  // a small ring: the eager window is 4 messages of 4 KiB
    // b waits for a 300 KiB message, so it reads whatever comes.
    std::vector<float> dst(300 * KiB / sizeof(float), 1.0f);
    Request recv;
    recv.kind = Request::Kind::Recv;
    recv.tag = 7;
    recv.buffer = reinterpret_cast<char*>(dst.data());
    recv.bytes = 300 * KiB;
    if (c.reducingReceive) {
      recv.reduceSource = recv.buffer;
      recv.type = DataType::Float32;
      recv.backend = &hostBackend();
    }
    e_.b->postRecv(&recv);
    Status s = writeRaw(e_.a->link(), c.bytes.data(), c.bytes.size(), e_.b.get());
    Deadline deadline = deadlineIn(kHangSeconds);
    while (!failed(s) && Clock::now() < deadline) {
      bool moved = false;
      s = e_.b->progress(&moved);
    }
    EXPECT_EQ(s, Status::RemoteError);
    EXPECT_FALSE(recv.done);
  }
}

}  // namespace
}  // namespace transport_test
}  // namespace hccl
