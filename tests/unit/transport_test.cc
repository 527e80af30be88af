// The Link contract every transport meets (transport.h): bytes arrive in order and intact
// through wrap-around and back-pressure; peek never shows fewer than minBytes; consume frees
// space; an empty read is no error; a peer that shuts down or goes away is noticed, and the
// bytes it wrote before that still arrive. Messenger conformance is in transport_messenger_test.cc,
// failures in transport_error_test.cc.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <random>
#include <vector>

#include "transport/shm/shm_ring.h"
#include "transport_test_util.h"

namespace hccl {
namespace transport_test {
namespace {

class TransportLink : public testing::TestWithParam<Kind> {
 protected:
  void connect(size_t capacity) { ASSERT_EQ(Status::Success, makeLinks(GetParam(), capacity, &a_, &b_)); }
  LinkPtr a_, b_;
};

// One direction of a stream test: the bytes to send, what arrived, and where each side is.
struct Direction {
  Link* from = nullptr;
  Link* to = nullptr;
  std::vector<char> data;
  size_t written = 0, received = 0, pieceLeft = 0;
};

// Moves `total` bytes each way at once, written in pieces of random size (half up to 256 B, which
// shared memory may carry in its cache lines, half up to `maxPiece`; a multiple of `align`) and
// read at random with read() or with peek()/consume(), checking every byte as it arrives. With
// align 8 every peek asks for at least 8 bytes and consumes multiples of 8, the pattern a
// reducing receive relies on.
void streamBothWays(Link& a, Link& b, size_t total, size_t align, uint64_t seed, size_t maxPiece = 3 * MiB) {
  std::mt19937_64 rng(seed);
  Direction dirs[2];
  dirs[0].from = &a, dirs[0].to = &b, dirs[0].data = randomBytes(total, seed + 1);
  dirs[1].from = &b, dirs[1].to = &a, dirs[1].data = randomBytes(total, seed + 2);
  std::vector<char> scratch(3 * MiB);
  auto randomSize = [&](size_t limit) { return 1 + static_cast<size_t>(rng() % limit); };
  Deadline deadline = deadlineIn(kDeadlineSeconds);
  while (dirs[0].received < total || dirs[1].received < total) {
    ASSERT_LT(Clock::now(), deadline) << "stream stalled: a->b " << dirs[0].received << " and b->a "
                                      << dirs[1].received << " of " << total << " bytes";
    for (Direction& d : dirs) {
      if (d.pieceLeft == 0 && d.written < total)
        d.pieceLeft = std::min(total - d.written,
                               (randomSize(rng() % 2 ? 256 : maxPiece) + align - 1) / align * align);
      if (d.pieceLeft > 0) {
        size_t done = 0;
        ASSERT_EQ(Status::Success, d.from->write(d.data.data() + d.written, d.pieceLeft, &done));
        ASSERT_LE(done, d.pieceLeft);
        d.written += done;
        d.pieceLeft -= done;
      }
      if (rng() % 2 == 0) {
        size_t done = 0;
        ASSERT_EQ(Status::Success, d.to->read(scratch.data(), randomSize(scratch.size()), &done));
        ASSERT_LE(d.received + done, d.written) << "read more than was written";
        ASSERT_EQ(0, memcmp(scratch.data(), d.data.data() + d.received, done))
            << "read() returned wrong bytes at offset " << d.received;
        d.received += done;
      } else {
        size_t minBytes = align == 8 ? 8 : randomSize(8);
        size_t maxBytes = std::max(minBytes, randomSize(3 * MiB));
        const void* view = nullptr;
        size_t avail = 0;
        ASSERT_EQ(Status::Success, d.to->peek(minBytes, maxBytes, &view, &avail));
        if (avail == 0) continue;
        ASSERT_GE(avail, minBytes) << "peek returned fewer than minBytes";
        ASSERT_LE(avail, maxBytes) << "peek returned more than maxBytes";
        ASSERT_LE(d.received + avail, d.written) << "peek showed more than was written";
        ASSERT_EQ(0, memcmp(view, d.data.data() + d.received, avail))
            << "peek() showed wrong bytes at offset " << d.received;
        size_t take = align == 8 ? avail / 8 * 8 : randomSize(avail);
        d.to->consume(take);
        d.received += take;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(, TransportLink, testing::Values(Kind::Tcp, Kind::Shm, Kind::NetPlugin), kindName);

TEST_P(TransportLink, NothingToReadIsNoError) {
  connect(64 * KiB);
  char buf[64];
  size_t done = 99;
  EXPECT_EQ(Status::Success, b_->read(buf, sizeof(buf), &done));
  EXPECT_EQ(done, 0u);
  const void* view = nullptr;
  size_t avail = 99;
  EXPECT_EQ(Status::Success, b_->peek(1, 64, &view, &avail));
  EXPECT_EQ(avail, 0u);
  avail = 99;
  EXPECT_EQ(Status::Success, b_->peek(8, 64, &view, &avail));
  EXPECT_EQ(avail, 0u);
  done = 99;
  EXPECT_EQ(Status::Success, a_->write(buf, 0, &done));
  EXPECT_EQ(done, 0u);
  EXPECT_EQ(Status::Success, a_->checkAlive());
  EXPECT_EQ(Status::Success, b_->checkAlive());
}

TEST_P(TransportLink, PeekWaitsForMinBytes) {
  connect(64 * KiB);
  const char bytes[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  size_t done = 0;
  ASSERT_EQ(Status::Success, a_->write(bytes, 5, &done));
  ASSERT_EQ(done, 5u);
  const void* view = nullptr;
  size_t avail = 0;
  Deadline deadline = deadlineIn(kDeadlineSeconds);
  while (avail == 0 && Clock::now() < deadline) ASSERT_EQ(Status::Success, b_->peek(1, 64, &view, &avail));
  ASSERT_EQ(avail, 5u);
  // Fewer than minBytes have arrived: nothing is shown.
  ASSERT_EQ(Status::Success, b_->peek(8, 64, &view, &avail));
  EXPECT_EQ(avail, 0u);
  // A network link keeps each write a message of its own, so only byte streams join these two
  // unaligned pieces (the contract asks no more than 8-byte-aligned pieces never split).
  if (GetParam() == Kind::NetPlugin) return;
  ASSERT_EQ(Status::Success, a_->write(bytes + 5, 3, &done));
  ASSERT_EQ(done, 3u);
  avail = 0;
  while (avail == 0 && Clock::now() < deadline) ASSERT_EQ(Status::Success, b_->peek(8, 64, &view, &avail));
  ASSERT_EQ(avail, 8u);
  EXPECT_EQ(0, memcmp(view, bytes, 8));
  // maxBytes caps the view.
  ASSERT_EQ(Status::Success, b_->peek(1, 3, &view, &avail));
  EXPECT_EQ(avail, 3u);
  b_->consume(8);
  ASSERT_EQ(Status::Success, b_->peek(1, 64, &view, &avail));
  EXPECT_EQ(avail, 0u);
}

TEST_P(TransportLink, StreamIsOrderedAndIntact) {
  for (size_t capacity : {64 * KiB, 1 * MiB}) {
    SCOPED_TRACE("capacity " + std::to_string(capacity));
    connect(capacity);
    ASSERT_NO_FATAL_FAILURE(streamBothWays(*a_, *b_, 16 * MiB, 1, capacity));
  }
}

TEST_P(TransportLink, AlignedStreamPeeksWholeElements) {
  for (size_t capacity : {64 * KiB, 1 * MiB}) {
    SCOPED_TRACE("capacity " + std::to_string(capacity));
    connect(capacity);
    ASSERT_NO_FATAL_FAILURE(streamBothWays(*a_, *b_, 16 * MiB, 8, capacity + 7));
  }
}

// Many small writes between large ones: on shared memory the small ones go through the ring's
// lines and must still arrive in the order written.
TEST_P(TransportLink, SmallAndLargeWritesInterleave) {
  for (size_t align : {size_t{8}, size_t{1}}) {
    SCOPED_TRACE("align " + std::to_string(align));
    connect(64 * KiB);
    ASSERT_NO_FATAL_FAILURE(streamBothWays(*a_, *b_, 4 * MiB, align, 3 + align, 64 * KiB));
  }
}

TEST_P(TransportLink, ConsumeFreesSpace) {
  const size_t capacity = 64 * KiB;
  connect(capacity);
  std::vector<char> chunk = randomBytes(capacity, 7);
  // Fill until the stream pushes back.
  size_t written = 0;
  int refused = 0;
  Deadline deadline = deadlineIn(kDeadlineSeconds);
  while (refused < 100) {
    ASSERT_LT(Clock::now(), deadline);
    ASSERT_LT(written, 1024 * MiB) << "the link accepts without bound";
    size_t done = 0;
    ASSERT_EQ(Status::Success, a_->write(chunk.data(), chunk.size(), &done));
    written += done;
    refused = done == 0 ? refused + 1 : 0;
  }
  if (GetParam() == Kind::Shm) {
    EXPECT_EQ(written, capacity) << "a ring holds exactly its capacity";
    // Consuming 4 KiB through peek makes room for exactly 4 KiB.
    const void* view = nullptr;
    size_t avail = 0;
    ASSERT_EQ(Status::Success, b_->peek(1, 4096, &view, &avail));
    ASSERT_EQ(avail, 4096u);
    b_->consume(4096);
    size_t done = 0;
    ASSERT_EQ(Status::Success, a_->write(chunk.data(), chunk.size(), &done));
    EXPECT_EQ(done, 4096u);
    ASSERT_EQ(Status::Success, a_->write(chunk.data(), chunk.size(), &done));
    EXPECT_EQ(done, 0u);
    return;
  }
  // TCP: draining the far side through peek/consume lets the writer go on.
  size_t drained = 0, more = 0;
  while (more == 0) {
    ASSERT_LT(Clock::now(), deadline) << "consuming " << drained << " bytes freed no space";
    const void* view = nullptr;
    size_t avail = 0;
    ASSERT_EQ(Status::Success, b_->peek(1, 64 * KiB, &view, &avail));
    b_->consume(avail);
    drained += avail;
    ASSERT_EQ(Status::Success, a_->write(chunk.data(), chunk.size(), &more));
  }
}

TEST_P(TransportLink, ShutdownIsSeenByPeer) {
  connect(64 * KiB);
  a_->shutdown();
  Deadline deadline = deadlineIn(kDeadlineSeconds);
  while (!failed(b_->checkAlive())) ASSERT_LT(Clock::now(), deadline) << "peer's shutdown not seen";
  EXPECT_EQ(Status::RemoteError, b_->checkAlive());
}

TEST_P(TransportLink, DestroyedPeerIsSeen) {
  connect(64 * KiB);
  a_.reset();
  Deadline deadline = deadlineIn(kDeadlineSeconds);
  while (!failed(b_->checkAlive())) ASSERT_LT(Clock::now(), deadline) << "peer's exit not seen";
  EXPECT_EQ(Status::RemoteError, b_->checkAlive());
}

// A peer that writes its last bytes and exits: they still arrive (the executor drains a link
// before it declares the peer lost).
TEST_P(TransportLink, BytesWrittenBeforeCloseStillArrive) {
  connect(1 * MiB);
  const size_t total = 300 * KiB;
  std::vector<char> data = randomBytes(total, 11);
  size_t written = 0;
  Deadline deadline = deadlineIn(kDeadlineSeconds);
  std::vector<char> got(total);
  size_t received = 0;
  // Written, and gone from the writer's hands (Link::sending: a network link needs calls until
  // then, and the reader may have to make room).
  while (written < total || a_->sending()) {
    ASSERT_LT(Clock::now(), deadline);
    size_t done = 0;
    ASSERT_EQ(Status::Success, a_->write(data.data() + written, total - written, &done));
    written += done;
    ASSERT_EQ(Status::Success, b_->read(got.data() + received, total - received, &done));
    received += done;
  }
  a_.reset();
  while (received < total) {
    ASSERT_LT(Clock::now(), deadline) << "only " << received << " of " << total << " bytes arrived";
    size_t done = 0;
    ASSERT_EQ(Status::Success, b_->read(got.data() + received, total - received, &done));
    received += done;
  }
  EXPECT_EQ(0, memcmp(data.data(), got.data(), total));
}

// A ring larger than /dev/shm is refused when it is made (not a SIGBUS when a call first
// touches the missing page), and leaves no name behind.
TEST(ShmRingSetup, NoRoomInDevShmIsAnErrorAtCreation) {
  const std::string name = "/hccl-test-huge-" + std::to_string(getpid());
  {
    ShmRing ring;
    EXPECT_EQ(Status::SystemError, ring.create(name, size_t{1} << 50));
  }
  const int fd = shm_open(name.c_str(), O_RDONLY, 0);
  EXPECT_LT(fd, 0) << name << " was left in /dev/shm";
  if (fd >= 0) {
    close(fd);
    shm_unlink(name.c_str());
  }
}

// ---- the ring's cache lines (shared memory only) ----

// A small write still goes when the ring's bytes are full (it takes a line), and arrives after
// them.
TEST(ShmLines, SmallWriteArrivesAfterTheBytesBeforeIt) {
  LinkPtr a, b;
  ASSERT_EQ(Status::Success, makeShmLinks(64 * KiB, false, false, &a, &b));
  const std::vector<char> bulk = randomBytes(64 * KiB, 1), small = randomBytes(16, 2);
  size_t done = 0;
  ASSERT_EQ(Status::Success, a->write(bulk.data(), bulk.size(), &done));
  ASSERT_EQ(done, bulk.size());
  ASSERT_EQ(Status::Success, a->write(bulk.data(), 4096, &done));
  EXPECT_EQ(done, 0u) << "the ring's bytes should be full (a write this large never takes lines)";
  ASSERT_EQ(Status::Success, a->write(small.data(), small.size(), &done));
  ASSERT_EQ(done, small.size()) << "a small write should take a line";
  std::vector<char> got(bulk.size() + small.size());
  ASSERT_EQ(Status::Success, b->read(got.data(), got.size(), &done));
  ASSERT_EQ(done, got.size());
  EXPECT_TRUE(std::equal(bulk.begin(), bulk.end(), got.begin()));
  EXPECT_TRUE(std::equal(small.begin(), small.end(), got.begin() + bulk.size()));
}

// What a peer writes into a line is checked before it is used: a line that claims more bytes
// than it holds, or bytes the ring already delivered, is a RemoteError.
TEST(ShmLines, CorruptLinesAreRemoteErrors) {
  struct Case {
    const char* name;
    uint32_t bytes;
    uint64_t ringBytesBefore;
  };
  for (const Case& c : {Case{"empty line", 0, 0}, Case{"more bytes than a line holds", 49, 0},
                        Case{"after bytes beyond the ring", 8, uint64_t{1} << 40}}) {
    SCOPED_TRACE(c.name);
    Socket sa, sb;
    ASSERT_EQ(Status::Success, connectedSockets(&sa, &sb));
    const std::string name = "/hccl-test-lines-" + std::to_string(getpid());
    Doorbell bellA, bellB;
    ASSERT_EQ(Status::Success, bellA.create(name + "-bell-a"));
    ASSERT_EQ(Status::Success, bellB.create(name + "-bell-b"));
    Deadline deadline = deadlineIn(kDeadlineSeconds);
    std::unique_ptr<ShmLink> la, lb;
    ASSERT_EQ(Status::Success, ShmLink::begin(std::move(sa), name + "-a", bellA.name(), 64 * KiB, false, deadline, &la));
    ASSERT_EQ(Status::Success, ShmLink::begin(std::move(sb), name + "-b", bellB.name(), 64 * KiB, false, deadline, &lb));
    ASSERT_EQ(Status::Success, la->attach(deadline));
    ASSERT_EQ(Status::Success, lb->attach(deadline));
    ShmRing intoA;  // a's receive ring, as a hostile peer would write it
    ASSERT_EQ(Status::Success, intoA.open(name + "-a"));
    ASSERT_EQ(Status::Success, la->finish(deadline));
    ASSERT_EQ(Status::Success, lb->finish(deadline));
    ShmLine& line = intoA.lines()[0];
    line.bytes = c.bytes;
    line.ringBytesBefore = c.ringBytesBefore;
    line.stamp.store(1, std::memory_order_release);
    char buf[64];
    size_t done = 0;
    EXPECT_EQ(Status::RemoteError, la->read(buf, sizeof(buf), &done));
    const void* view = nullptr;
    size_t avail = 0;
    EXPECT_EQ(Status::RemoteError, la->peek(1, 64, &view, &avail));
  }
}

// ---- single copy (shared memory only) ----

// Reading the peer's memory is used only where both sides offer it and the probe read worked;
// then a read lands the peer's bytes, and a bad address is an error, not a crash.
TEST(ShmSingleCopy, UsedOnlyWhereBothSidesOfferIt) {
  for (auto [offerA, offerB] : {std::pair{true, true}, {true, false}, {false, true}, {false, false}}) {
    SCOPED_TRACE(std::string("a offers ") + (offerA ? "yes" : "no") + ", b offers " + (offerB ? "yes" : "no"));
    LinkPtr a, b;
    ASSERT_EQ(Status::Success, makeShmLinks(64 * KiB, offerA, offerB, &a, &b));
    const bool both = offerA && offerB;
    EXPECT_EQ(a->canReadPeer(), both);
    EXPECT_EQ(b->canReadPeer(), both);
    EXPECT_EQ(a->peerCanReadUs(), both);
    EXPECT_EQ(b->peerCanReadUs(), both);
    const std::vector<char> theirs = randomBytes(3 * MiB + 5, 11);
    std::vector<char> mine(theirs.size(), 0);
    const Status read = a->readPeer(mine.data(), reinterpret_cast<uintptr_t>(theirs.data()), theirs.size());
    if (!both) {
      EXPECT_TRUE(failed(read));
      continue;
    }
    ASSERT_EQ(Status::Success, read);
    EXPECT_EQ(mine, theirs);
    EXPECT_EQ(Status::RemoteError, a->readPeer(mine.data(), 16, 4096)) << "an unmapped address reads nothing";
  }
}

}  // namespace
}  // namespace transport_test
}  // namespace hccl
