// A Link over a network transport (net_transport.h): the byte stream cut into messages of at
// most kChunkBytes, sent from and received into registered staging slots, kSlots in flight each
// way, tags counting up so every transport's in-order matching holds. This carries everything a
// Messenger sends (its frames, eager data and granted data alike) with one copy on each side;
// granted messages moving straight between the users' buffers is the next step.
#pragma once

#include <cstdint>
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
  // accept without blocking either side, register the slots, post the receives.
  static Status open(std::shared_ptr<NetTransport> transport, int device, Socket control, Deadline deadline,
                     std::unique_ptr<NetLink>* out);
  ~NetLink() override;

  const char* name() const override { return name_.c_str(); }
  Status write(const void* data, size_t bytes, size_t* done) override;
  Status read(void* dst, size_t bytes, size_t* done) override;
  Status peek(size_t minBytes, size_t maxBytes, const void** data, size_t* avail) override;
  void consume(size_t bytes) override;
  Status checkAlive() override;
  void shutdown() override { control_.shutdown(); }
  int waitFd() const override { return -1; }
  bool sending() const override { return sendsDone_ < sendsPosted_; }
  Status push(bool* moved) override;

 private:
  struct Slot {
    std::vector<char> bytes;
    void* region = nullptr;
    void* request = nullptr;  // in flight
    size_t filled = 0;        // a receive's message size, once it arrived
    size_t consumed = 0;
    bool arrived = false;
  };
  NetLink() = default;
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
  std::vector<Slot> sends_, recvs_;
  uint64_t sendsPosted_ = 0, sendsDone_ = 0;     // slot i % kSlots holds send i
  uint64_t recvsPosted_ = 0, recvsConsumed_ = 0;  // likewise receives
  Status failure_ = Status::Success;             // sticky: the transport reported the link broken
};

}  // namespace hccl::net
