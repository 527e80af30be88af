#include "transport/shm/shm_link.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "base/error.h"

namespace hccl {
namespace {

// The setup messages on the control socket: a ring's and a doorbell's name, the process, and
// where a peer may read a known word to try single copy, each way; then an acknowledgement
// (kAcked, plus kCanRead when that read worked).
struct RingName {
  char ring[64];
  char doorbell[64];
  int32_t pid;
  int32_t singleCopy;
  uint64_t probe;  // the address of kProbe
};
constexpr uint64_t kProbe = 0x68636d612d726561ull;
constexpr uint8_t kAcked = 1, kCanRead = 2;

// Lets processes of the same user read this one's memory (process_vm_readv) where the Yama
// security module would allow only ancestors; once per process, for single copy.
void allowPeerReads() {
  static const bool once = [] {
    prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);  // EINVAL without Yama: nothing to do
    return true;
  }();
  (void)once;
}

Status readAt(int pid, void* dst, uint64_t address, size_t bytes) {
  while (bytes > 0) {
    iovec local{dst, bytes};
    iovec remote{reinterpret_cast<void*>(address), bytes};
    const ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n <= 0) return fail(Status::RemoteError, "shm: reading rank process %d's memory: %s", pid,
                            n < 0 ? strerror(errno) : "nothing read");
    dst = static_cast<char*>(dst) + n;
    address += static_cast<uint64_t>(n);
    bytes -= static_cast<size_t>(n);
  }
  return Status::Success;
}

bool ours(const char* name) { return strncmp(name, "/hccl-", 6) == 0; }

}  // namespace

Status ShmLink::begin(Socket control, const std::string& ringName, const std::string& doorbellName,
                      size_t capacity, bool singleCopy, Deadline deadline, std::unique_ptr<ShmLink>* out) {
  std::unique_ptr<ShmLink> link(new ShmLink);
  link->control_ = std::move(control);
  link->singleCopy_ = singleCopy;
  if (singleCopy) allowPeerReads();
  HCCL_TRY(link->rx_.create(ringName, (capacity + 4095) / 4096 * 4096));
  RingName mine{};
  snprintf(mine.ring, sizeof(mine.ring), "%s", ringName.c_str());
  snprintf(mine.doorbell, sizeof(mine.doorbell), "%s", doorbellName.c_str());
  static const uint64_t probe = kProbe;
  mine.pid = getpid();
  mine.singleCopy = singleCopy;
  mine.probe = reinterpret_cast<uintptr_t>(&probe);
  HCCL_TRY(link->control_.sendAll(&mine, sizeof(mine), deadline));
  *out = std::move(link);
  return Status::Success;
}

Status ShmLink::attach(Deadline deadline) {
  RingName theirs{};
  HCCL_TRY(control_.recvAll(&theirs, sizeof(theirs), deadline));
  theirs.ring[sizeof(theirs.ring) - 1] = '\0';
  theirs.doorbell[sizeof(theirs.doorbell) - 1] = '\0';
  if (!ours(theirs.ring) || !ours(theirs.doorbell))
    return fail(Status::RemoteError, "shm: peer sent a bad ring or doorbell name");
  HCCL_TRY(tx_.open(theirs.ring));
  HCCL_TRY(peerBell_.open(theirs.doorbell));
  // Single copy when both sides want it and one read of the peer's probe word works (it may
  // not: another pid namespace, ptrace restrictions, seccomp).
  peerPid_ = theirs.pid;
  uint64_t word = 0;
  iovec local{&word, sizeof(word)};
  iovec remote{reinterpret_cast<void*>(theirs.probe), sizeof(word)};
  canReadPeer_ = singleCopy_ && theirs.singleCopy && theirs.pid > 0 &&
                 process_vm_readv(theirs.pid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(sizeof(word)) &&
                 word == kProbe;
  uint8_t ack = kAcked | (canReadPeer_ ? kCanRead : 0);
  return control_.sendAll(&ack, 1, deadline);
}

Status ShmLink::finish(Deadline deadline) {
  uint8_t ack = 0;
  HCCL_TRY(control_.recvAll(&ack, 1, deadline));
  peerCanReadUs_ = (ack & kCanRead) != 0;
  rx_.unlink();  // both sides have mapped it: nothing is left behind in /dev/shm
  return Status::Success;
}

Status ShmLink::write(const void* data, size_t bytes, size_t* done) {
  if (bytes > 0 && bytes <= kLineWriteBytes && bytes % 8 == 0 && txStreamBytes_ % 8 == 0 &&
      writeLines(data, bytes)) {
    txStreamBytes_ += bytes;
    *done = bytes;
    return Status::Success;
  }
  ShmRingHeader* h = tx_.header();
  size_t cap = tx_.capacity();
  if (txHead_ - txTailSeen_ + bytes > cap) txTailSeen_ = h->tail.load(std::memory_order_acquire);
  size_t space = cap - static_cast<size_t>(txHead_ - txTailSeen_);
  size_t n = std::min(bytes, space);
  size_t offset = static_cast<size_t>(txHead_ % cap);
  size_t first = std::min(n, cap - offset);
  memcpy(tx_.data() + offset, data, first);
  if (n > first) memcpy(tx_.data(), static_cast<const char*>(data) + first, n - first);
  txHead_ += n;
  if (n > 0) {
    txStreamBytes_ += n;
    h->head.store(txHead_, std::memory_order_release);
    peerBell_.ring();
  }
  *done = n;
  return Status::Success;
}

bool ShmLink::writeLines(const void* data, size_t bytes) {
  const size_t lines = (bytes + ShmLine::kBytes - 1) / ShmLine::kBytes;
  if (txLineHead_ - txLineTailSeen_ + lines > ShmRing::kLineCount) {
    txLineTailSeen_ = tx_.header()->lineTail.load(std::memory_order_acquire);
    if (txLineHead_ - txLineTailSeen_ + lines > ShmRing::kLineCount) return false;
  }
  const char* from = static_cast<const char*>(data);
  for (size_t left = bytes; left > 0; ++txLineHead_) {
    ShmLine& line = tx_.lines()[txLineHead_ % ShmRing::kLineCount];
    const size_t n = std::min(left, ShmLine::kBytes);
    memcpy(line.data, from, n);
    line.ringBytesBefore = txHead_;
    line.bytes = static_cast<uint32_t>(n);
    line.stamp.store(static_cast<uint32_t>(txLineHead_ + 1), std::memory_order_release);
    from += n;
    left -= n;
  }
  peerBell_.ring();
  return true;
}

Status ShmLink::view(size_t wanted, const char** data, size_t* avail) {
  *avail = 0;
  const ShmLine& line = rx_.lines()[rxLineTail_ % ShmRing::kLineCount];
  const uint32_t stamp = static_cast<uint32_t>(rxLineTail_ + 1);
  bool lineReady = line.stamp.load(std::memory_order_acquire) == stamp;
  if (!lineReady && (rxHeadSeen_ <= rxTail_ || rxHeadSeen_ - rxTail_ < wanted)) {
    // The head first, then the line again: ring bytes written after a line are published after
    // it, so a line that precedes them cannot be missed.
    rxHeadSeen_ = rx_.header()->head.load(std::memory_order_acquire);
    lineReady = line.stamp.load(std::memory_order_acquire) == stamp;
  }
  const size_t cap = rx_.capacity();
  uint64_t ringEnd = std::max(rxHeadSeen_, rxTail_);
  if (lineReady) {
    // The writer is another process: check what it wrote before using it.
    if (line.bytes == 0 || line.bytes > ShmLine::kBytes || rxLineOffset_ >= line.bytes ||
        line.ringBytesBefore < rxTail_ || line.ringBytesBefore - rxTail_ > cap)
      return fail(Status::RemoteError, "shm: the peer wrote a corrupt line (%u bytes after ring byte %llu)",
                  line.bytes, static_cast<unsigned long long>(line.ringBytesBefore));
    if (line.ringBytesBefore == rxTail_) {
      *data = line.data + rxLineOffset_;
      *avail = line.bytes - rxLineOffset_;
      viewIsLine_ = true;
      return Status::Success;
    }
    ringEnd = line.ringBytesBefore;  // written before the line, so visible now
  }
  const size_t offset = static_cast<size_t>(rxTail_ % cap);
  *data = rx_.data() + offset;
  *avail = std::min(static_cast<size_t>(ringEnd - rxTail_), cap - offset);
  viewIsLine_ = false;
  return Status::Success;
}

Status ShmLink::read(void* dst, size_t bytes, size_t* done) {
  *done = 0;
  while (*done < bytes) {
    const char* data = nullptr;
    size_t avail = 0;
    HCCL_TRY(view(bytes - *done, &data, &avail));
    if (avail == 0) break;
    const size_t n = std::min(avail, bytes - *done);
    memcpy(static_cast<char*>(dst) + *done, data, n);
    consume(n);
    *done += n;
  }
  return Status::Success;
}

Status ShmLink::peek(size_t minBytes, size_t maxBytes, const void** data, size_t* avail) {
  const char* view = nullptr;
  HCCL_TRY(this->view(maxBytes, &view, avail));
  if (*avail < minBytes) {
    *avail = 0;
    return Status::Success;
  }
  *data = view;
  *avail = std::min(*avail, maxBytes);
  return Status::Success;
}

void ShmLink::consume(size_t bytes) {
  if (viewIsLine_) {
    rxLineOffset_ += bytes;
    if (rxLineOffset_ < rx_.lines()[rxLineTail_ % ShmRing::kLineCount].bytes) return;
    rxLineOffset_ = 0;
    // Freed lines are published now and then, and nobody is woken for them: a writer that finds
    // no free line writes into the ring's bytes instead of waiting.
    if (++rxLineTail_ % kLinesPerRelease == 0)
      rx_.header()->lineTail.store(rxLineTail_, std::memory_order_release);
    return;
  }
  rxTail_ += bytes;
  rx_.header()->tail.store(rxTail_, std::memory_order_release);
  peerBell_.ring();
}

Status ShmLink::readPeer(void* dst, uint64_t address, size_t bytes) {
  if (!canReadPeer_) return fail(Status::InternalError, "shm: single copy from a peer that does not allow it");
  return readAt(peerPid_, dst, address, bytes);
}

Status ShmLink::checkAlive() {
  if (peerClosed(control_.fd()))
    return fail(Status::RemoteError, "shm: peer process closed its link (exited or aborted)");
  return Status::Success;
}

}  // namespace hccl
