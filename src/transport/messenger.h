// Tagged messages over any Link, written once for every transport.
//
// Protocol. Large messages are receiver-granted: the sender announces the tag, the receiver sends
// a clear-to-send frame (CTS: tag, bytes) when its receive is posted, and only then does the
// sender stream the data, in DATA frames of at most kMaxFrame bytes; every such byte has a posted destination, so no ordering
// of operations across ranks can deadlock and no memory grows. Messages of at most eagerBytes
// go at once (saving the grant's round trip) against a credit window: a receiver that has not
// posted the receive yet keeps the message aside, and returns the credit (CREDIT frame) once the
// message is delivered, so at most `eagerWindow` bytes per peer are ever held that way.
// Payloads are padded to 8 bytes so a shared-memory ring never splits an element, which lets a
// receive reduce straight out of the link's buffer.
//
// Single copy. Where the link lets the peer read our memory (Link::peerCanReadUs: shared memory
// between processes), a granted message of at least singleCopyBytes crosses no link: the sender
// answers the grant with the buffer's address (REMOTE frame), the receiver reads it straight into
// its destination (or, reducing, a chunk at a time into a bounce buffer it reduces from) and says
// so (REMOTE_DONE), which completes the send. Every byte is copied once instead of twice.
//
// Direct messages. Where the link's transport moves messages itself (Link::directMinBytes:
// network links), a granted message that large moves from the sender's buffer straight into the
// receiver's, with no copy here. The receiver grants it only once the sender's announcement has
// arrived (so the sender can start it at once): it starts its direct receive, then sends the
// grant (CTS_DIRECT); the sender starts its direct send as each such grant arrives, so both ends
// start them in the same order, which is how the link pairs them. A reducing receive takes the
// message into scratch memory and reduces from there; while scratch is spent it is granted the
// ordinary way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "backends/backend.h"
#include "base/datatype.h"
#include "transport/transport.h"

namespace hccl {

// One posted send or receive. Owned by the caller; must stay put until done.
struct Request {
  enum class Kind : uint8_t { Send, Recv };
  Kind kind = Kind::Send;
  uint64_t tag = 0;
  char* buffer = nullptr;  // source of a send, destination of a receive
  size_t bytes = 0;
  // A reducing receive stores dst = reduceSource op incoming instead of copying.
  const char* reduceSource = nullptr;
  DataType type = DataType::Uint8;
  ReduceOp op = ReduceOp::Sum;
  Backend* backend = nullptr;

  size_t progressed = 0;  // bytes sent or received so far
  bool granted = false;   // send: the peer's CTS arrived; recv: our CTS was queued
  bool done = false;
  void* direct = nullptr;  // the link's direct message moving it (Link::startDirect)
};

class Messenger {
 public:
  static constexpr size_t kMaxFrame = size_t{1} << 20;

  // Messages of at most eagerBytes (capped at kMaxFrame: an eager message is one frame) go
  // without a grant, eagerWindow bytes at a time.
  Messenger(LinkPtr link, int peer, size_t eagerBytes, size_t eagerWindow, size_t singleCopyBytes = 0);

  void postSend(Request* request);
  void postRecv(Request* request);
  // Moves whatever bytes can move now without blocking. *moved tells whether anything did.
  Status progress(bool* moved);
  // Whether requests are still pending here.
  bool busy() const {
    return !sends_.empty() || !recvs_.empty() || !lent_.empty() || !directSends_.empty() || ctrlSent_ < ctrlOut_.size() ||
           link_->sending();
  }
  // Forgets pending requests (after a failure); the link stays.
  void dropRequests();

  Link& link() { return *link_; }
  int peer() const { return peer_; }

 private:
  struct FrameHeader {
    uint32_t type;
    uint32_t reserved;
    uint64_t tag;
    uint64_t bytes;
  };
  static_assert(sizeof(FrameHeader) == 24);
  enum FrameType : uint32_t {
    kCts = 0x43545331,       // receiver -> sender: send this tag now (bytes expected)
    kAnnounce = 0x414e4e31,  // sender -> receiver: this tag will wait for a grant
    kData = 0x44415431,      // a frame of a granted message
    kEager = 0x45414731,     // a whole eager message
    kCredit = 0x43524431,    // receiver -> sender: eager bytes delivered
    kRemote = 0x524d5431,    // sender -> receiver: read this granted message at the address that follows
    kRemoteDone = 0x52444e31,  // receiver -> sender: read it; the buffer is the sender's again
    kCtsDirect = 0x43545344,   // receiver -> sender: start this tag as a direct message now
  };
  // A message that arrived eagerly before its receive was posted.
  struct Unexpected {
    uint64_t tag;
    std::vector<char> payload;
  };

  Status progressWrite(bool* moved);
  Status progressRead(bool* moved);
  Status onHeader();
  Status readPayload(bool* moved);
  bool singleCopy(const Request* r) const {
    return singleCopyBytes_ > 0 && r->bytes >= singleCopyBytes_ && link_->peerCanReadUs();
  }
  Status readRemote(bool* moved);  // the next chunk of the message being read from the peer
  Status remoteDone(uint64_t tag);
  bool directCandidate(const Request* r) const {
    return link_->directMinBytes() > 0 && !eager(r) && r->bytes >= link_->directMinBytes();
  }
  Status grantAnnounced(bool* moved);    // grants the receives whose sender is ready
  Status grantDirect(Request* r);
  Status startDirectSend(uint64_t tag, uint64_t bytes);
  Status progressDirect(bool* moved);   // finishes direct messages that completed
  char* takeScratch(const Request* r);  // null: none to spare now
  Request* findSend(uint64_t tag);
  bool eager(const Request* r) const { return r->bytes <= eagerBytes_; }
  static size_t eagerCost(size_t bytes) { return sizeof(FrameHeader) + (bytes + 7) / 8 * 8; }
  void queueControl(uint32_t type, uint64_t tag, uint64_t bytes);
  Status deliver(Request* r, const char* payload);  // completes an eager receive from memory
  Status finishStash();
  bool expectsInput() const;
  bool takeAnnouncement(uint64_t tag);
  std::vector<Request*>::iterator findRecv(uint64_t tag);
  void returnCredit(size_t bytes);

  LinkPtr link_;
  int peer_;
  size_t eagerBytes_;
  size_t eagerWindow_;
  size_t singleCopyBytes_;      // 0: never
  size_t eagerCredits_;         // what we may still send eagerly
  size_t creditsToReturn_ = 0;  // delivered eager bytes the peer does not know about yet

  // Sending side.
  std::vector<Request*> sends_;                          // posted, not yet fully written, in order
  std::vector<std::pair<uint64_t, uint64_t>> earlyCts_;  // grants that arrived before the send
  std::vector<char> ctrlOut_;                            // queued CTS frames
  size_t ctrlSent_ = 0;
  std::vector<Request*> lent_;  // sends whose buffer the peer reads itself, until REMOTE_DONE
  std::vector<Request*> directSends_;  // sends the link moves itself, until it says they left
  Request* sending_ = nullptr;  // the request whose frame is being written
  FrameHeader headerOut_{};
  size_t headerOutLeft_ = 0, payloadOutLeft_ = 0, padOutLeft_ = 0;

  // Receiving side.
  std::vector<Request*> recvs_;  // posted, not yet complete
  FrameHeader headerIn_{};
  size_t headerInGot_ = 0;
  Request* receiving_ = nullptr;
  bool stashing_ = false;  // the frame being read is an eager message kept aside in stash_
  Unexpected stash_;
  size_t payloadInLeft_ = 0, padInLeft_ = 0, frameCost_ = 0;
  Request* remote_ = nullptr;   // the receive being read from the peer's memory
  uint64_t remoteAddress_ = 0;  // where its bytes start there (arrives after the REMOTE header)
  size_t remoteAddressGot_ = 0;
  std::vector<char> bounce_;    // what a reducing single-copy receive reads before it reduces
  std::vector<Unexpected> unexpected_;
  std::vector<uint64_t> announced_;  // granted sends announced before their receive was posted
  size_t awaitingGrant_ = 0;          // direct candidates among recvs_ not granted yet
  size_t directRecvs_ = 0;            // receives among recvs_ that the link moves itself
  // Reducing direct receives' scratch: buffers free for reuse, and those in use, by request.
  std::vector<std::vector<char>> scratchFree_;
  std::vector<std::pair<const Request*, std::vector<char>>> scratchLent_;
  size_t scratchHeld_ = 0;
  bool mismatch_ = false;  // the peer's message does not fit its receive
  bool broken_ = false;    // requests were dropped mid-stream
  size_t unexpectedBytes_ = 0;
};

}  // namespace hccl
