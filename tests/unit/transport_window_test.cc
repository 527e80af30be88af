// Windows (transport.h) and the messenger's transits over them: a copy engine that works
// asynchronously moves a request's bytes between its buffer and the shared-memory ring. The
// engine here is a stand-in for a GPU's DMA that lands each copy only after being asked about it
// a few times, and fills the ring space it was handed with garbage until then. So a link that
// showed the peer reserved bytes before they were filled, or let the peer reuse taken bytes
// before their copy landed, delivers wrong bytes here every time.
#include <gtest/gtest.h>

#include <deque>
#include <vector>

#include "transport_test_util.h"

namespace hccl {
namespace transport_test {
namespace {

constexpr size_t kEager = 64 * KiB;
constexpr size_t kFrame = Messenger::kMaxFrame;

class LazyCopier final : public AsyncCopier {
 public:
  static constexpr int kPollsPerCopy = 3;
  static constexpr unsigned char kUnlanded = 0xee;

  Status start(void* dst, const void* src, size_t bytes, Direction d, uint64_t* ticket) override {
    Lane& l = lane(d);
    if (d == Direction::ToHost) memset(dst, kUnlanded, bytes);  // the ring before the DMA lands
    l.pending.push_back({dst, src, bytes, ++l.started, kPollsPerCopy});
    *ticket = l.started;
    ++started;
    return Status::Success;
  }
  Status done(uint64_t ticket, Direction d, bool* complete) override {
    Lane& l = lane(d);
    if (!l.pending.empty() && --l.pending.front().pollsLeft <= 0) land(l);
    *complete = ticket <= l.landed;
    return Status::Success;
  }
  Status wait(uint64_t ticket, Direction d) override {
    Lane& l = lane(d);
    while (l.landed < ticket) land(l);
    return Status::Success;
  }
  Status copyNow(void* dst, const void* src, size_t bytes) override {
    memcpy(dst, src, bytes);
    ++immediate;
    return Status::Success;
  }

  size_t unlanded() const { return lanes_[0].pending.size() + lanes_[1].pending.size(); }

  int started = 0, immediate = 0;

 private:
  struct Copy {
    void* dst;
    const void* src;
    size_t bytes;
    uint64_t ticket;
    int pollsLeft;
  };
  struct Lane {
    std::deque<Copy> pending;
    uint64_t started = 0, landed = 0;
  };
  Lane& lane(Direction d) { return lanes_[d == Direction::ToHost ? 0 : 1]; }
  static void land(Lane& l) {
    const Copy c = l.pending.front();
    l.pending.pop_front();
    memcpy(c.dst, c.src, c.bytes);
    l.landed = c.ticket;
  }
  Lane lanes_[2];
};

TEST(ShmWindow, ReservedBytesAndWhatFollowsReachThePeerOnlyOnceFilled) {
  LinkPtr a, b;
  ASSERT_EQ(Status::Success, makeLinks(Kind::Shm, 64 * KiB, &a, &b));
  ASSERT_EQ(a->windowRegions().size(), 2u);
  void* at = nullptr;
  size_t avail = 0, done = 0;
  ASSERT_EQ(Status::Success, a->reserve(100, &at, &avail));
  ASSERT_EQ(avail, 100u);
  const char after[24] = "written after the space";
  ASSERT_EQ(Status::Success, a->write(after, sizeof(after), &done));
  ASSERT_EQ(done, sizeof(after));
  char got[124] = {};
  ASSERT_EQ(Status::Success, b->read(got, sizeof(got), &done));
  EXPECT_EQ(done, 0u) << "the peer saw bytes behind an unfilled reservation";
  memset(at, 'r', 100);
  a->filled(60);
  ASSERT_EQ(Status::Success, b->read(got, sizeof(got), &done));
  EXPECT_EQ(done, 60u);
  a->filled(40);
  ASSERT_EQ(Status::Success, b->read(got + 60, sizeof(got) - 60, &done));
  ASSERT_EQ(done, 64u);
  EXPECT_EQ(std::string(got, 100), std::string(100, 'r'));
  EXPECT_EQ(memcmp(got + 100, after, sizeof(after)), 0);
}

TEST(ShmWindow, TakenBytesStayOursUntilReleased) {
  const size_t cap = 64 * KiB;
  LinkPtr a, b;
  ASSERT_EQ(Status::Success, makeLinks(Kind::Shm, cap, &a, &b));
  std::vector<char> data = randomBytes(cap, 7);
  size_t done = 0;
  ASSERT_EQ(Status::Success, a->write(data.data(), cap, &done));
  ASSERT_EQ(done, cap);
  const void* at = nullptr;
  size_t avail = 0;
  ASSERT_EQ(Status::Success, b->take(4096, &at, &avail));
  ASSERT_EQ(avail, 4096u);
  std::vector<char> rest(cap - 4096);
  ASSERT_EQ(Status::Success, b->read(rest.data(), rest.size(), &done));
  ASSERT_EQ(done, rest.size());
  EXPECT_EQ(memcmp(rest.data(), data.data() + 4096, rest.size()), 0);
  ASSERT_EQ(Status::Success, a->write(data.data(), cap, &done));
  EXPECT_EQ(done, 0u) << "the writer reused space that is still taken";
  EXPECT_EQ(memcmp(at, data.data(), 4096), 0);
  b->release(4096);
  ASSERT_EQ(Status::Success, a->write(data.data(), cap, &done));
  EXPECT_EQ(done, cap);
}

class MessengerTransits : public testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(Status::Success, makeEndpoints(Kind::Shm, 64 * KiB, kEager, &e_)); }
  void finish() {
    Outcome o = pump(e_, [&] { return idle(e_); });
    ASSERT_FALSE(o.failed() || o.timedOut) << o;
  }
  Endpoints e_;
  LazyCopier copierA_, copierB_;
};

// Device-memory messages both ways, among host-memory ones, through a ring far smaller than
// they are: every byte delivered, and the engines did the copying.
TEST_F(MessengerTransits, DeviceMessagesAmongHostMessages) {
  const std::vector<size_t> sizes = {0, 1, 13, 4096, kEager, kEager + 1, 200000, 3 * kFrame + 17};
  std::vector<MessagePtr> ab, ba;
  for (size_t i = 0; i < sizes.size(); ++i) {
    ab.push_back(makeMessage(2 * i, sizes[i], i));
    ab.push_back(makeMessage(2 * i + 1, 5000, 100 + i));  // host memory: no engine
    ba.push_back(makeMessage(i, sizes[sizes.size() - 1 - i], 200 + i));
    ab[2 * i]->send.copier = &copierA_;  // a's send buffer and b's receive buffer are "device"
    ab[2 * i]->recv.copier = &copierB_;
    ba[i]->recv.copier = &copierA_;      // and the other way only the receiver's
  }
  for (auto& m : ab) e_.b->postRecv(&m->recv);
  for (auto& m : ab) e_.a->postSend(&m->send);
  for (auto& m : ba) e_.b->postSend(&m->send);
  for (auto& m : ba) e_.a->postRecv(&m->recv);
  ASSERT_NO_FATAL_FAILURE(finish());
  for (auto& m : ab) expectDelivered(*m);
  for (auto& m : ba) expectDelivered(*m);
  EXPECT_GT(copierA_.started, 10);
  EXPECT_GT(copierB_.started, 10);
}

// A send is done only once its last copy has landed: until then its buffer is still being read.
TEST_F(MessengerTransits, SendIsDoneWhenItsLastCopyLands) {
  MessagePtr m = makeMessage(1, 30000, 1);
  m->send.copier = &copierA_;
  e_.b->postRecv(&m->recv);
  e_.a->postSend(&m->send);
  bool moved = false;
  for (int i = 0; i < LazyCopier::kPollsPerCopy - 1; ++i) ASSERT_EQ(Status::Success, e_.a->progress(&moved));
  EXPECT_FALSE(m->send.done) << "done before the engine read the buffer";
  EXPECT_TRUE(e_.a->busy());
  ASSERT_NO_FATAL_FAILURE(finish());
  expectDelivered(*m);
}

// A request is done only when the messenger is through with it: its last copy has landed and
// its frame has ended (padding included). Here the padding waits: the receiver reads just up to
// it, or the sender's ring is full just before it. Done earlier, the executor would reuse the
// request while the messenger still holds it.
TEST_F(MessengerTransits, DoneOnlyOnceTheFrameHasEnded) {
  auto check = [&](Message& m, size_t budget) {
    SCOPED_TRACE("reader budget " + std::to_string(budget));
    e_.gateB->readBudget = budget;
    e_.b->postRecv(&m.recv);
    e_.a->postSend(&m.send);
    for (int i = 0; i < 200; ++i) {
      bool moved = false;
      ASSERT_EQ(Status::Success, e_.a->progress(&moved));
      ASSERT_EQ(Status::Success, e_.b->progress(&moved));
      ASSERT_FALSE(m.send.done && e_.a->busy()) << "send done while its frame is still being written";
      ASSERT_FALSE(m.recv.done && e_.b->busy()) << "receive done while its frame is still being read";
    }
    e_.gateB->readBudget = GatedLink::kUnlimited;
    ASSERT_NO_FATAL_FAILURE(finish());
    expectDelivered(m);
  };
  // The receiver reads the header and the payload of a 5001-byte eager message, not its padding.
  MessagePtr in = makeMessage(1, 5001, 1);
  in->recv.copier = &copierB_;
  ASSERT_NO_FATAL_FAILURE(check(*in, 24 + 5001));
  // A 70001-byte granted message into the 64 KiB ring: the announcement and the header (48 bytes)
  // come first, so with the receiver 4513 to 4519 bytes in, the payload fits and the padding not.
  for (size_t budget = 4513; budget <= 4519; budget += 3) {
    ASSERT_EQ(Status::Success, makeEndpoints(Kind::Shm, 64 * KiB, kEager, &e_));
    MessagePtr out = makeMessage(2, 70001, 2);
    out->send.copier = &copierA_;
    ASSERT_NO_FATAL_FAILURE(check(*out, budget));
  }
}

// An eager message that arrived before its receive was kept aside in host memory; the receive
// posted later copies it into the device buffer at once.
TEST_F(MessengerTransits, MessageKeptAsideIsCopiedIntoDeviceMemory) {
  MessagePtr early = makeMessage(1, 1000, 1), last = makeMessage(2, 8, 2);
  early->recv.copier = &copierB_;
  e_.b->postRecv(&last->recv);  // keeps b reading, so `early` arrives unexpected
  e_.a->postSend(&early->send);
  e_.a->postSend(&last->send);
  Outcome o = pump(e_, [&] { return last->recv.done; });
  ASSERT_FALSE(o.failed() || o.timedOut) << o;
  e_.b->postRecv(&early->recv);
  EXPECT_TRUE(early->recv.done);
  EXPECT_EQ(copierB_.immediate, 1);
  ASSERT_NO_FATAL_FAILURE(finish());
  expectDelivered(*early);
  expectDelivered(*last);
}

// After a failure, dropping the requests first lets the copies under way finish.
TEST_F(MessengerTransits, DropWaitsForCopiesUnderWay) {
  MessagePtr m = makeMessage(1, 200000, 3);
  m->send.copier = &copierA_;
  e_.b->postRecv(&m->recv);
  e_.a->postSend(&m->send);
  bool moved = false;
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(Status::Success, e_.a->progress(&moved));
    ASSERT_EQ(Status::Success, e_.b->progress(&moved));
  }
  ASSERT_TRUE(e_.a->busy());
  e_.a->dropRequests();
  EXPECT_FALSE(e_.a->busy());
  EXPECT_EQ(copierA_.unlanded(), 0u) << "copies started before the drop had not landed";
}

}  // namespace
}  // namespace transport_test
}  // namespace hccl
