#include "transport/shm/shm_link.h"

#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "base/error.h"

namespace hccl {
namespace {

// The setup messages on the control socket: a ring's and a doorbell's name each way, then an
// acknowledgement.
struct RingName {
  char ring[64];
  char doorbell[64];
};

bool ours(const char* name) { return strncmp(name, "/hccl-", 6) == 0; }

}  // namespace

Status ShmLink::begin(Socket control, const std::string& ringName, const std::string& doorbellName,
                      size_t capacity, Deadline deadline, std::unique_ptr<ShmLink>* out) {
  std::unique_ptr<ShmLink> link(new ShmLink);
  link->control_ = std::move(control);
  HCCL_TRY(link->rx_.create(ringName, (capacity + 4095) / 4096 * 4096));
  RingName mine{};
  snprintf(mine.ring, sizeof(mine.ring), "%s", ringName.c_str());
  snprintf(mine.doorbell, sizeof(mine.doorbell), "%s", doorbellName.c_str());
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
  uint8_t ack = 1;
  return control_.sendAll(&ack, 1, deadline);
}

Status ShmLink::finish(Deadline deadline) {
  uint8_t ack = 0;
  HCCL_TRY(control_.recvAll(&ack, 1, deadline));
  rx_.unlink();  // both sides have mapped it: nothing is left behind in /dev/shm
  return Status::Success;
}

Status ShmLink::write(const void* data, size_t bytes, size_t* done) {
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
    h->head.store(txHead_, std::memory_order_release);
    peerBell_.ring();
  }
  *done = n;
  return Status::Success;
}

Status ShmLink::read(void* dst, size_t bytes, size_t* done) {
  ShmRingHeader* h = rx_.header();
  size_t cap = rx_.capacity();
  if (rxHeadSeen_ - rxTail_ < bytes) rxHeadSeen_ = h->head.load(std::memory_order_acquire);
  size_t n = std::min(bytes, static_cast<size_t>(rxHeadSeen_ - rxTail_));
  size_t offset = static_cast<size_t>(rxTail_ % cap);
  size_t first = std::min(n, cap - offset);
  memcpy(dst, rx_.data() + offset, first);
  if (n > first) memcpy(static_cast<char*>(dst) + first, rx_.data(), n - first);
  if (n > 0) consume(n);
  *done = n;
  return Status::Success;
}

Status ShmLink::peek(size_t minBytes, size_t maxBytes, const void** data, size_t* avail) {
  size_t cap = rx_.capacity();
  if (rxHeadSeen_ - rxTail_ < maxBytes)
    rxHeadSeen_ = rx_.header()->head.load(std::memory_order_acquire);
  size_t offset = static_cast<size_t>(rxTail_ % cap);
  size_t contiguous = std::min(static_cast<size_t>(rxHeadSeen_ - rxTail_), cap - offset);
  if (contiguous < minBytes) {
    *avail = 0;
    return Status::Success;
  }
  *data = rx_.data() + offset;
  *avail = std::min(contiguous, maxBytes);
  return Status::Success;
}

void ShmLink::consume(size_t bytes) {
  rxTail_ += bytes;
  rx_.header()->tail.store(rxTail_, std::memory_order_release);
  peerBell_.ring();
}

Status ShmLink::checkAlive() {
  if (peerClosed(control_.fd()))
    return fail(Status::RemoteError, "shm: peer process closed its link (exited or aborted)");
  return Status::Success;
}

}  // namespace hccl
