// Messenger conformance over every transport: tagged messages both ways matched in any order,
// eager (<= eagerBytes) and granted (> eagerBytes) messages, messages split into frames,
// receives posted before and after their data arrived (and while it is being read), zero-byte
// messages, reduce-on-receive, and the eager credit window. Every wait is bounded.
#include <gtest/gtest.h>

#include <numeric>
#include <random>
#include <vector>

#include "backends/backend.h"
#include "transport_test_util.h"

namespace hccl {
namespace transport_test {
namespace {

constexpr size_t kEager = 64 * KiB;  // the communicator's default eager limit
constexpr size_t kFrame = Messenger::kMaxFrame;

class TransportMessenger : public testing::TestWithParam<Kind> {
 protected:
  void connect(size_t capacity, size_t eagerBytes = kEager, size_t eagerWindow = 0) {
    ASSERT_EQ(Status::Success, makeEndpoints(GetParam(), capacity, eagerBytes, &e_, eagerWindow));
  }
  // Pumps until both ends are idle; fails the test on an error or a stall.
  void finish() {
    Outcome o = pump(e_, [&] { return idle(e_); });
    ASSERT_FALSE(o.failed() || o.timedOut) << o;
    EXPECT_FALSE(e_.a->busy());
    EXPECT_FALSE(e_.b->busy());
  }
  Endpoints e_;
};

INSTANTIATE_TEST_SUITE_P(, TransportMessenger, testing::Values(Kind::Tcp, Kind::Shm, Kind::ShmSingleCopy, Kind::NetPlugin),
                         kindName);

std::vector<size_t> shuffledOrder(size_t n, std::mt19937_64& rng) {
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  return order;
}

TEST_P(TransportMessenger, ManyMessagesBothWaysInAnyOrder) {
  const std::vector<size_t> sizes = {0,          1,      7,          8,      13,         4096,
                                     kEager - 1, kEager, kEager + 1, 200000, kFrame - 8, kFrame,
                                     kFrame + 1, 3 * kFrame + 17, 5,     kEager / 2, 0};
  for (size_t capacity : {64 * KiB, 4 * MiB}) {
    SCOPED_TRACE("capacity " + std::to_string(capacity));
    connect(capacity);
    std::mt19937_64 rng(capacity);
    std::vector<MessagePtr> ab, ba;  // a -> b and b -> a; each direction has its own tag space
    for (size_t i = 0; i < sizes.size(); ++i) {
      ab.push_back(makeMessage((uint64_t{i} << 32) | 3, sizes[i], rng()));
      ba.push_back(makeMessage((uint64_t{i} << 32) | 3, sizes[sizes.size() - 1 - i], rng()));
    }
    std::vector<size_t> orderAB = shuffledOrder(ab.size(), rng), orderBA = shuffledOrder(ba.size(), rng);
    const size_t half = sizes.size() / 2;
    // Half the receives before any send, the sends in order, the rest of the receives later.
    for (size_t k = 0; k < half; ++k) {
      e_.b->postRecv(&ab[orderAB[k]]->recv);
      e_.a->postRecv(&ba[orderBA[k]]->recv);
    }
    for (size_t i = 0; i < sizes.size(); ++i) {
      e_.a->postSend(&ab[i]->send);
      e_.b->postSend(&ba[i]->send);
    }
    Outcome o = pumpRounds(e_, 300);
    ASSERT_FALSE(o.failed()) << o;
    for (size_t k = half; k < sizes.size(); ++k) {
      e_.b->postRecv(&ab[orderAB[k]]->recv);
      e_.a->postRecv(&ba[orderBA[k]]->recv);
    }
    ASSERT_NO_FATAL_FAILURE(finish());
    for (auto& m : ab) expectDelivered(*m);
    for (auto& m : ba) expectDelivered(*m);
  }
}

TEST_P(TransportMessenger, ReceivePostedBeforeSend) {
  connect(1 * MiB);
  std::vector<MessagePtr> msgs;
  for (size_t bytes : {size_t{100}, kEager, 3 * kFrame})
    msgs.push_back(makeMessage(msgs.size() + 1, bytes, bytes));
  for (auto& m : msgs) e_.b->postRecv(&m->recv);
  ASSERT_FALSE(pumpRounds(e_, 100).failed());
  for (auto& m : msgs) e_.a->postSend(&m->send);
  ASSERT_NO_FATAL_FAILURE(finish());
  for (auto& m : msgs) expectDelivered(*m);
}

// Eager messages that arrive before their receive are kept aside; posting the receive then
// completes it at once, in any order.
TEST_P(TransportMessenger, UnexpectedEagerMessagesWaitForTheirReceive) {
  connect(1 * MiB);
  std::vector<MessagePtr> msgs;
  for (size_t bytes : {size_t{100}, size_t{0}, kEager, size_t{1}, size_t{4097}})
    msgs.push_back(makeMessage(msgs.size() + 1, bytes, bytes + 1));
  // A receive posted for the last message keeps b reading, so the others arrive unexpected.
  MessagePtr last = makeMessage(99, 8, 99);
  e_.b->postRecv(&last->recv);
  for (auto& m : msgs) e_.a->postSend(&m->send);
  e_.a->postSend(&last->send);
  Outcome o = pump(e_, [&] { return last->recv.done; });
  ASSERT_FALSE(o.failed() || o.timedOut) << o;
  for (size_t i : {2, 0, 4, 1, 3}) {
    e_.b->postRecv(&msgs[i]->recv);
    EXPECT_TRUE(msgs[i]->recv.done) << "message " << i << " was not delivered when its receive was posted";
  }
  ASSERT_NO_FATAL_FAILURE(finish());
  for (auto& m : msgs) expectDelivered(*m);
  expectDelivered(*last);
}

// A granted message moves nothing until its receive is posted.
TEST_P(TransportMessenger, GrantedMessageWaitsForItsReceive) {
  connect(1 * MiB);
  MessagePtr m = makeMessage(5, 300 * KiB, 5);
  e_.a->postSend(&m->send);
  Outcome o = pumpRounds(e_, 2000);
  ASSERT_FALSE(o.failed()) << o;
  EXPECT_FALSE(m->send.done);
  EXPECT_EQ(m->send.progressed, 0u);
  EXPECT_TRUE(e_.a->busy());
  e_.b->postRecv(&m->recv);
  ASSERT_NO_FATAL_FAILURE(finish());
  expectDelivered(*m);
}

// The receive of an eager message is posted while the receiver is in the middle of keeping it
// aside: stopped after part of the header, after the header, mid-payload, in the padding, and
// right after the frame.
TEST_P(TransportMessenger, ReceivePostedWhileEagerMessageIsBeingRead) {
  const size_t bytes = 60001;  // 7 bytes of padding
  for (size_t cut : {size_t{10}, size_t{24}, size_t{24 + 1000}, 24 + bytes + 3, 24 + bytes + 7}) {
    SCOPED_TRACE("receiver stopped after " + std::to_string(cut) + " bytes");
    connect(16 * KiB);
    MessagePtr m = makeMessage(7, bytes, cut);
    MessagePtr last = makeMessage(8, 16, cut + 1);
    e_.b->postRecv(&last->recv);  // keeps b reading
    e_.gateB->readBudget = cut;
    e_.a->postSend(&m->send);
    e_.a->postSend(&last->send);
    Outcome o = pump(e_, [&] { return e_.gateB->readBudget == 0; });
    ASSERT_FALSE(o.failed() || o.timedOut) << o;
    e_.b->postRecv(&m->recv);
    e_.gateB->readBudget = GatedLink::kUnlimited;
    ASSERT_NO_FATAL_FAILURE(finish());
    expectDelivered(*m);
    expectDelivered(*last);
  }
}

// The same race without a gate: a ring smaller than the message leaves the receiver mid-frame.
TEST_P(TransportMessenger, ReceivePostedWhileEagerMessageStreamsThroughSmallRing) {
  connect(16 * KiB);
  MessagePtr m = makeMessage(7, 60000, 1);
  MessagePtr last = makeMessage(8, 16, 2);
  e_.b->postRecv(&last->recv);
  e_.a->postSend(&m->send);
  e_.a->postSend(&last->send);
  ASSERT_FALSE(pumpRounds(e_, 1).failed());
  if (GetParam() == Kind::Shm || GetParam() == Kind::ShmSingleCopy)
    EXPECT_FALSE(m->send.done) << "the 16 KiB ring should not hold the message";
  e_.b->postRecv(&m->recv);
  ASSERT_NO_FATAL_FAILURE(finish());
  expectDelivered(*m);
  expectDelivered(*last);
}

TEST_P(TransportMessenger, ZeroByteMessages) {
  connect(64 * KiB);
  std::vector<MessagePtr> msgs;
  for (int i = 0; i < 6; ++i) msgs.push_back(makeMessage(100 + i, 0, i));
  MessagePtr last = makeMessage(200, 0, 9);
  // 0 and 1 are received before they are sent; 2..5 arrive unexpected.
  e_.b->postRecv(&msgs[0]->recv);
  e_.b->postRecv(&msgs[1]->recv);
  e_.b->postRecv(&last->recv);
  for (auto& m : msgs) e_.a->postSend(&m->send);
  e_.a->postSend(&last->send);
  Outcome o = pump(e_, [&] { return last->recv.done; });
  ASSERT_FALSE(o.failed() || o.timedOut) << o;
  for (int i : {5, 3, 2, 4}) {
    e_.b->postRecv(&msgs[i]->recv);
    EXPECT_TRUE(msgs[i]->recv.done);
  }
  // And the other way, interleaved with a non-empty message.
  MessagePtr back0 = makeMessage(1, 0, 1), back1 = makeMessage(2, 3 * KiB, 2), back2 = makeMessage(3, 0, 3);
  e_.a->postRecv(&back2->recv);
  for (Message* m : {back0.get(), back1.get(), back2.get()}) e_.b->postSend(&m->send);
  e_.a->postRecv(&back1->recv);
  e_.a->postRecv(&back0->recv);
  ASSERT_NO_FATAL_FAILURE(finish());
  for (auto& m : msgs) expectDelivered(*m);
  for (Message* m : {last.get(), back0.get(), back1.get(), back2.get()}) expectDelivered(*m);
}

// Messages that share a tag are matched in the order they were sent.
TEST_P(TransportMessenger, SameTagMatchesInOrder) {
  connect(256 * KiB);
  std::vector<MessagePtr> eagerOnes, grantedOnes;
  for (int i = 0; i < 3; ++i) {
    eagerOnes.push_back(makeMessage(5, 1000, 10 + i));
    grantedOnes.push_back(makeMessage(6, 100 * KiB, 20 + i));
  }
  for (int i = 0; i < 3; ++i) {
    e_.b->postRecv(&grantedOnes[i]->recv);
    e_.a->postSend(&eagerOnes[i]->send);
    e_.a->postSend(&grantedOnes[i]->send);
  }
  ASSERT_FALSE(pumpRounds(e_, 200).failed());
  for (int i = 0; i < 3; ++i) e_.b->postRecv(&eagerOnes[i]->recv);
  ASSERT_NO_FATAL_FAILURE(finish());
  for (auto& m : eagerOnes) expectDelivered(*m);
  for (auto& m : grantedOnes) expectDelivered(*m);
}

// A message larger than the eager limit goes in frames of at most kMaxFrame; a limit above
// kMaxFrame (HCCL_EAGER_BYTES accepts up to 16 MiB) must still deliver eager messages whole.
TEST_P(TransportMessenger, EagerLimitAboveFrameSize) {
  connect(4 * MiB, 2 * MiB);
  MessagePtr m = makeMessage(1, kFrame + kFrame / 2, 1);
  e_.b->postRecv(&m->recv);
  e_.a->postSend(&m->send);
  ASSERT_NO_FATAL_FAILURE(finish());
  expectDelivered(*m);
}

// ---- reduce-on-receive ----

// Small integers, so float sums are exact whatever the order of operations.
std::vector<char> values(DataType type, size_t count, std::mt19937_64& rng) {
  std::vector<char> out(count * dataTypeSize(type));
  for (size_t i = 0; i < count; ++i) {
    int v = static_cast<int>(rng() % 2001) - 1000;
    char* p = out.data() + i * dataTypeSize(type);
    if (type == DataType::Float32) {
      float f = static_cast<float>(v);
      memcpy(p, &f, sizeof(f));
    } else if (type == DataType::Float64) {
      double d = v;
      memcpy(p, &d, sizeof(d));
    } else {
      int32_t x = v;
      memcpy(p, &x, sizeof(x));
    }
  }
  return out;
}

double element(DataType type, const char* p) {
  if (type == DataType::Float32) {
    float f;
    memcpy(&f, p, sizeof(f));
    return f;
  }
  if (type == DataType::Float64) {
    double d;
    memcpy(&d, p, sizeof(d));
    return d;
  }
  int32_t x;
  memcpy(&x, p, sizeof(x));
  return x;
}

struct ReduceMessage {
  DataType type;
  size_t count;
  std::vector<char> incoming, local, dst;  // dst = local + incoming
  Request send, recv;
};

std::unique_ptr<ReduceMessage> makeReduce(uint64_t tag, DataType type, size_t count, bool inPlace,
                                          std::mt19937_64& rng) {
  auto m = std::make_unique<ReduceMessage>();
  m->type = type;
  m->count = count;
  m->incoming = values(type, count, rng);
  m->local = values(type, count, rng);
  m->dst = inPlace ? m->local : randomBytes(m->local.size(), rng());
  m->send.kind = Request::Kind::Send;
  m->send.tag = tag;
  m->send.buffer = m->incoming.data();
  m->send.bytes = m->incoming.size();
  m->recv.kind = Request::Kind::Recv;
  m->recv.tag = tag;
  m->recv.buffer = m->dst.data();
  m->recv.bytes = m->dst.size();
  m->recv.reduceSource = inPlace ? m->dst.data() : m->local.data();
  m->recv.type = type;
  m->recv.op = ReduceOp::Sum;
  m->recv.backend = &hostBackend();
  return m;
}

void expectReduced(const ReduceMessage& m) {
  size_t elem = dataTypeSize(m.type);
  ASSERT_TRUE(m.recv.done) << "type " << static_cast<int>(m.type) << " count " << m.count;
  size_t wrong = 0, firstWrong = 0;
  for (size_t i = 0; i < m.count; ++i) {
    double want = element(m.type, &m.local[i * elem]) + element(m.type, &m.incoming[i * elem]);
    if (element(m.type, &m.dst[i * elem]) != want && wrong++ == 0) firstWrong = i;
  }
  EXPECT_EQ(wrong, 0u) << "type " << static_cast<int>(m.type) << " count " << m.count
                       << ": first wrong element " << firstWrong;
}

// Float and int32 sums with odd element counts: eager, the largest eager, granted, and several
// frames; in place (reduceSource == buffer) and from a distinct source; the receive posted
// before the data, or after eager data arrived (reduced from the kept-aside copy).
TEST_P(TransportMessenger, ReduceOnReceive) {
  const DataType types[] = {DataType::Float32, DataType::Int32, DataType::Float64};
  for (bool inPlace : {true, false}) {
    for (bool unexpected : {false, true}) {
      SCOPED_TRACE(std::string(inPlace ? "in place" : "distinct source") +
                   (unexpected ? ", posted after eager data arrived" : ", posted before"));
      connect(64 * KiB);  // a small ring: reductions read across its wrap-around
      std::mt19937_64 rng(inPlace * 2 + unexpected);
      std::vector<std::unique_ptr<ReduceMessage>> msgs;
      for (size_t countKind = 0; countKind < 5; ++countKind) {
        for (DataType type : types) {
          size_t elem = dataTypeSize(type);
          const size_t counts[] = {1, 3, 1001, kEager / elem - 1, 2 * kFrame / elem + 3};
          msgs.push_back(makeReduce(msgs.size() + 1, type, counts[countKind], inPlace, rng));
        }
      }
      MessagePtr last = makeMessage(1000, 8, 1);
      if (!unexpected)
        for (auto& m : msgs) e_.b->postRecv(&m->recv);
      e_.b->postRecv(&last->recv);
      for (auto& m : msgs) e_.a->postSend(&m->send);
      e_.a->postSend(&last->send);
      if (unexpected) {
        // Every eager message fits the credit window, so all have arrived before `last`.
        Outcome o = pump(e_, [&] { return last->recv.done; });
        ASSERT_FALSE(o.failed() || o.timedOut) << o;
        for (auto& m : msgs) {
          e_.b->postRecv(&m->recv);
          if (m->recv.bytes <= kEager) EXPECT_TRUE(m->recv.done) << "arrived eager message not delivered at post";
        }
      }
      ASSERT_NO_FATAL_FAILURE(finish());
      expectDelivered(*last);
      for (auto& m : msgs) expectReduced(*m);
    }
  }
}

// A link that hands over bytes in odd-sized pieces (as TCP may): a reducing receive must never
// reduce part of an element.
TEST_P(TransportMessenger, ReduceNeverSplitsAnElement) {
  connect(64 * KiB);
  std::mt19937_64 rng(3);
  std::vector<std::unique_ptr<ReduceMessage>> msgs;
  msgs.push_back(makeReduce(1, DataType::Float32, 1001, true, rng));
  msgs.push_back(makeReduce(2, DataType::Float64, 3001, false, rng));
  msgs.push_back(makeReduce(3, DataType::Int32, 20001, true, rng));  // granted
  for (auto& m : msgs) e_.b->postRecv(&m->recv);
  for (auto& m : msgs) e_.a->postSend(&m->send);
  Outcome o;
  Deadline deadline = deadlineIn(kDeadlineSeconds);
  while (!idle(e_) && !o.failed() && Clock::now() < deadline) {
    e_.gateB->readBudget = 1 + rng() % 13;
    progressBoth(e_, &o);
  }
  ASSERT_FALSE(o.failed()) << o;
  ASSERT_TRUE(idle(e_)) << "stalled";
  for (auto& m : msgs) expectReduced(*m);
}

// ---- the eager credit window ----

// More eager bytes than the window, sent before the peer posts any receive: the sender stalls
// within the window (without failing) and completes once the receives are posted.
TEST_P(TransportMessenger, EagerCreditWindowStallsTheSender) {
  const size_t eager = 4096;
  const size_t messages = 20;
  for (bool peerReads : {true, false}) {
    SCOPED_TRACE(peerReads ? "receiver reading (keeps messages aside)" : "receiver not reading");
    connect(64 * KiB, eager);
    const size_t cost = 24 + eager;  // frame header + payload
    const size_t fits = e_.eagerWindow / cost;
    ASSERT_LT(fits, messages);
    std::mt19937_64 rng(peerReads);
    for (int round = 0; round < 2; ++round) {
      SCOPED_TRACE("round " + std::to_string(round));
      std::vector<MessagePtr> msgs;
      for (size_t i = 0; i < messages; ++i) msgs.push_back(makeMessage(round * 100 + i, eager, rng()));
      MessagePtr probe = makeMessage(round * 100 + 99, 64 * KiB, rng());  // granted; keeps b reading
      if (peerReads) e_.b->postRecv(&probe->recv);
      for (auto& m : msgs) e_.a->postSend(&m->send);
      Outcome o = pumpRounds(e_, 3000);
      ASSERT_FALSE(o.failed()) << o;
      size_t sent = 0;
      for (auto& m : msgs) sent += m->send.done;
      EXPECT_GE(sent, 1u);
      EXPECT_LE(sent, fits) << "the sender went past its credit window of " << e_.eagerWindow << " bytes";
      EXPECT_TRUE(e_.a->busy());
      for (size_t i : shuffledOrder(msgs.size(), rng)) e_.b->postRecv(&msgs[i]->recv);
      if (!peerReads) e_.b->postRecv(&probe->recv);
      e_.a->postSend(&probe->send);
      ASSERT_NO_FATAL_FAILURE(finish());
      for (auto& m : msgs) expectDelivered(*m);
      expectDelivered(*probe);
    }
  }
}

}  // namespace
}  // namespace transport_test
}  // namespace hccl
