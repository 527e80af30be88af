// A Link over a network transport (net_transport.h), on two connections each way.
//
// The stream: the byte stream cut into messages of at most kChunkBytes, sent from and received
// into registered staging slots, kSlots in flight each way, tags counting up so every transport's
// in-order matching holds. It carries a Messenger's frames and its small messages, with one copy
// on each side.
//
// The bulk connection: direct messages (Link::startDirect), each the transport's own message
// from the sender's buffer into the receiver's, registered for that message alone (a cached
// registration of user memory could outlive the memory; UCX caches its own, safely). Both ends
// post them in the order the Messenger starts them, which is the order of its grants.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "transport/net/net_transport.h"
#include "transport/socket.h"
#include "transport/transport.h"

namespace hccl::net {

class NetLink final : public Link {
 public:
  static constexpr size_t kChunkBytes = size_t{512} << 10;
  static constexpr size_t kSlots = 4;

  // Both directions with the rank at the other end of `control` (a connected socket, kept to
  // notice the peer's death): listen on `device`, trade handles over `control`, connect and
  // accept without blocking either side, register the slots, post the receives. Messages of at
  // least directMinBytes go direct (0: none; the larger of both ends' wins, 0 if either says 0).
  static Status open(std::shared_ptr<NetTransport> transport, int device, Socket control, size_t directMinBytes,
                     Deadline deadline, std::unique_ptr<NetLink>* out);
  ~NetLink() override;

  const char* name() const override { return name_.c_str(); }
  Status write(const void* data, size_t bytes, size_t* done) override;
  Status read(void* dst, size_t bytes, size_t* done) override;
  Status peek(size_t minBytes, size_t maxBytes, const void** data, size_t* avail) override;
  void consume(size_t bytes) override;
  Status checkAlive() override;
  void shutdown() override { control_.shutdown(); }
  int waitFd() const override { return transport_->waitFd(); }
  bool armWait() override { return transport_->armWait(); }
  bool sending() const override { return sendsDone_ < sendsPosted_; }
  Status push(bool* moved) override;
  size_t directMinBytes() const override { return directMinBytes_; }
  Status startDirect(bool receive, void* data, size_t bytes, void** op) override;
  Status testDirect(void* op, bool* done) override;
  void abandonDirect() override;

 private:
  struct Slot {
    std::vector<char> bytes;
    void* region = nullptr;
    void* request = nullptr;  // in flight
    size_t filled = 0;        // a receive's message size, once it arrived
    size_t consumed = 0;
    bool arrived = false;
  };
  struct DirectOp {
    bool receive;
    void* data;
    size_t bytes;
    void* region = nullptr;
    void* request = nullptr;  // null until the transport took it
  };
  NetLink() = default;
  Status postDirect();  // hands waiting direct messages to the transport, in order
  void releaseDirect(DirectOp* op);
  Status postReceive(Slot& slot);
  Status reapSends();
  Status arrived(Slot** slot);  // the oldest receive slot, once its message is there
  Status failWith(Status s);
  static uint32_t tagOf(uint64_t sequence) { return static_cast<uint32_t>(sequence & 0x3fffffff); }

  std::shared_ptr<NetTransport> transport_;
  std::string name_;
  Socket control_;
  void* sendComm_ = nullptr;
  void* recvComm_ = nullptr;
  void* bulkSend_ = nullptr;
  void* bulkRecv_ = nullptr;
  size_t directMinBytes_ = 0;
  std::vector<std::unique_ptr<DirectOp>> direct_;  // every direct message not yet done
  std::deque<DirectOp*> unpostedSends_, unpostedRecvs_;
  uint64_t bulkSent_ = 0, bulkReceived_ = 0;  // direct messages posted each way: their tags
  std::vector<Slot> sends_, recvs_;
  uint64_t sendsPosted_ = 0, sendsDone_ = 0;     // slot i % kSlots holds send i
  uint64_t recvsPosted_ = 0, recvsConsumed_ = 0;  // likewise receives
  Status failure_ = Status::Success;             // sticky: the transport reported the link broken
};

}  // namespace hccl::net
