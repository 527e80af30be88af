// A Link between two processes on one host: one shared-memory ring each way. The TCP socket
// that set it up stays open only to learn when the peer dies.
#pragma once

#include <deque>
#include <memory>

#include "transport/shm/shm_ring.h"
#include "transport/socket.h"
#include "transport/transport.h"

namespace hccl {

class ShmLink final : public Link {
 public:
  // Set-up runs in three rounds so a rank can do each round for all its peers before waiting
  // on any of them: begin() creates our receive ring and announces its name, attach() maps the
  // peer's ring and acknowledges, finish() waits for the acknowledgement and drops the name.
  static Status begin(Socket control, const std::string& ringName, size_t capacity,
                      Deadline deadline, std::unique_ptr<ShmLink>* out);
  Status attach(Deadline deadline);
  Status finish(Deadline deadline);

  const char* name() const override { return "shm"; }
  Status write(const void* data, size_t bytes, size_t* done) override;
  Status read(void* dst, size_t bytes, size_t* done) override;
  Status peek(size_t minBytes, size_t maxBytes, const void** data, size_t* avail) override;
  void consume(size_t bytes) override;
  Status checkAlive() override;
  void shutdown() override { control_.shutdown(); }
  int waitFd() const override { return -1; }

  // Both rings are windows: a GPU's DMA engine can write the peer's ring and read ours.
  std::vector<Region> windowRegions() const override;
  Status reserve(size_t maxBytes, void** at, size_t* avail) override;
  void filled(size_t bytes) override;
  Status take(size_t maxBytes, const void** at, size_t* avail) override;
  void release(size_t bytes) override;

 private:
  struct Span {  // a range of stream positions
    uint64_t begin, end;
  };
  ShmLink() = default;
  // Spans in stream order: append `bytes` at `begin` (merged with the last when adjacent), or
  // drop the oldest `bytes`.
  static void addSpan(std::deque<Span>& spans, uint64_t begin, size_t bytes);
  static void trimSpans(std::deque<Span>& spans, size_t bytes);
  void publishHead();
  void publishTail();

  Socket control_;
  ShmRing rx_;  // ours: the peer writes, we read
  ShmRing tx_;  // the peer's: we write, it reads
  uint64_t txHead_ = 0, txTailSeen_ = 0;  // cached counters avoid touching the peer's line
  uint64_t rxRead_ = 0, rxHeadSeen_ = 0;
  uint64_t txPublished_ = 0, rxReleased_ = 0;
  std::deque<Span> unfilled_;  // reserved, not filled yet: the peer sees the ring up to the first
  std::deque<Span> held_;      // taken, not released yet: the peer may reuse up to the first
};

}  // namespace hccl
