// A Link between two processes on one host: one shared-memory ring each way. The TCP socket
// that set it up stays open only to learn when the peer dies.
//
// A write of whole 8-byte words, at most kLineWriteBytes, that starts 8-byte aligned in the stream
// goes into the ring's cache lines (shm_ring.h) when they have room, any other into its bytes.
// Each line names how many ring bytes precede it, so the reader takes both in the order they were
// written; lines split the stream only at 8-byte boundaries, so a view never splits an element.
#pragma once

#include <memory>

#include "transport/shm/doorbell.h"
#include "transport/shm/shm_ring.h"
#include "transport/socket.h"
#include "transport/transport.h"

namespace hccl {

class ShmLink final : public Link {
 public:
  // Set-up runs in three rounds so a rank can do each round for all its peers before waiting
  // on any of them: begin() creates our receive ring and announces its name and our doorbell's,
  // attach() maps the peer's ring and doorbell and acknowledges, finish() waits for the
  // acknowledgement and drops the ring's name.
  // singleCopy: whether to offer and use reads of the peer's memory (process_vm_readv), which
  // attach() then tries once.
  static Status begin(Socket control, const std::string& ringName, const std::string& doorbellName,
                      size_t capacity, bool singleCopy, Deadline deadline, std::unique_ptr<ShmLink>* out);
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
  bool ringsDoorbell() const override { return true; }
  bool peerCanReadUs() const override { return peerCanReadUs_; }
  bool canReadPeer() const override { return canReadPeer_; }
  Status readPeer(void* dst, uint64_t address, size_t bytes) override;

 private:
  ShmLink() = default;
  // Two lines: an 8 B or 64 B message with its frame header. Longer writes go faster as ring
  // bytes: a reader takes lines one by one as they land, while the writer is still writing the
  // next (512 B through 12 lines took 1.5x as long as through the ring).
  static constexpr size_t kLineWriteBytes = 2 * ShmLine::kBytes;
  static constexpr uint64_t kLinesPerRelease = 32;

  // The next contiguous bytes of the stream (a line's rest, or ring bytes), *avail = 0 if none;
  // the ring's head is read again when fewer than `wanted` ring bytes are known.
  Status view(size_t wanted, const char** data, size_t* avail);
  bool writeLines(const void* data, size_t bytes);

  Socket control_;
  ShmRing rx_;  // ours: the peer writes, we read
  ShmRing tx_;  // the peer's: we write, it reads
  Doorbell peerBell_;  // rung after we write into tx_ or free room in rx_
  bool singleCopy_ = false;
  int peerPid_ = 0;
  bool canReadPeer_ = false, peerCanReadUs_ = false;
  uint64_t txHead_ = 0, txTailSeen_ = 0;  // cached counters avoid touching the peer's line
  uint64_t txLineHead_ = 0, txLineTailSeen_ = 0;
  uint64_t txStreamBytes_ = 0;  // ring and line bytes: lines start only at multiples of 8
  uint64_t rxTail_ = 0, rxHeadSeen_ = 0;
  uint64_t rxLineTail_ = 0;
  size_t rxLineOffset_ = 0;  // bytes of the current line already read
  bool viewIsLine_ = false;  // what the last view() showed (consume() releases that)
};

}  // namespace hccl
