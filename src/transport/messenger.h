// Tagged messages over any Link, written once for every transport.
//
// Protocol: the receiver grants each message with a clear-to-send frame (CTS: tag, bytes) when
// its receive is posted; the sender streams the data only after that, in DATA frames of at most
// kMaxFrame bytes. Every byte on the wire therefore has a posted destination: a receiver never
// buffers unexpected data, so memory stays bounded and no interleaving of operations across
// ranks can deadlock. Payloads are padded to 8 bytes so a shared-memory ring never splits an
// element, which lets a receive reduce straight out of the link's buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "backends/backend.h"
#include "core/datatype.h"
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
};

class Messenger {
 public:
  static constexpr size_t kMaxFrame = size_t{1} << 20;

  Messenger(LinkPtr link, int peer);

  void postSend(Request* request);
  void postRecv(Request* request);
  // Moves whatever bytes can move now without blocking. *moved tells whether anything did.
  Status progress(bool* moved);
  // Whether requests are still pending here.
  bool busy() const { return !sends_.empty() || !recvs_.empty() || ctrlSent_ < ctrlOut_.size(); }
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
  enum FrameType : uint32_t { kCts = 0x43545331, kData = 0x44415431 };

  Status progressWrite(bool* moved);
  Status progressRead(bool* moved);
  Status onHeader();
  Status readPayload(bool* moved);
  Request* findSend(uint64_t tag);

  LinkPtr link_;
  int peer_;

  // Sending side.
  std::vector<Request*> sends_;                          // posted, not yet fully written, in order
  std::vector<std::pair<uint64_t, uint64_t>> earlyCts_;  // grants that arrived before the send
  std::vector<char> ctrlOut_;                            // queued CTS frames
  size_t ctrlSent_ = 0;
  Request* sending_ = nullptr;  // the request whose frame is being written
  FrameHeader headerOut_{};
  size_t headerOutLeft_ = 0, payloadOutLeft_ = 0, padOutLeft_ = 0;

  // Receiving side.
  std::vector<Request*> recvs_;  // posted, not yet complete
  FrameHeader headerIn_{};
  size_t headerInGot_ = 0;
  Request* receiving_ = nullptr;
  size_t payloadInLeft_ = 0, padInLeft_ = 0;
};

}  // namespace hccl
