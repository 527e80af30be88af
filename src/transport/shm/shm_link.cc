#include "transport/shm/shm_link.h"

#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "base/error.h"

namespace hccl {
namespace {

// The setup messages on the control socket: a ring name each way, then an acknowledgement.
struct RingName {
  char text[64];
};

}  // namespace

Status ShmLink::begin(Socket control, const std::string& ringName, size_t capacity,
                      Deadline deadline, std::unique_ptr<ShmLink>* out) {
  std::unique_ptr<ShmLink> link(new ShmLink);
  link->control_ = std::move(control);
  HCCL_TRY(link->rx_.create(ringName, (capacity + 4095) / 4096 * 4096));
  RingName mine{};
  snprintf(mine.text, sizeof(mine.text), "%s", ringName.c_str());
  HCCL_TRY(link->control_.sendAll(&mine, sizeof(mine), deadline));
  *out = std::move(link);
  return Status::Success;
}

Status ShmLink::attach(Deadline deadline) {
  RingName theirs{};
  HCCL_TRY(control_.recvAll(&theirs, sizeof(theirs), deadline));
  theirs.text[sizeof(theirs.text) - 1] = '\0';
  if (strncmp(theirs.text, "/hccl-", 6) != 0)
    return fail(Status::RemoteError, "shm: peer sent a bad ring name");
  HCCL_TRY(tx_.open(theirs.text));
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
  const size_t cap = tx_.capacity();
  if (txHead_ - txTailSeen_ + bytes > cap) txTailSeen_ = tx_.header()->tail.load(std::memory_order_acquire);
  const size_t n = std::min(bytes, cap - static_cast<size_t>(txHead_ - txTailSeen_));
  const size_t offset = static_cast<size_t>(txHead_ % cap);
  const size_t first = std::min(n, cap - offset);
  memcpy(tx_.data() + offset, data, first);
  if (n > first) memcpy(tx_.data(), static_cast<const char*>(data) + first, n - first);
  txHead_ += n;
  publishHead();
  *done = n;
  return Status::Success;
}

void ShmLink::addSpan(std::deque<Span>& spans, uint64_t begin, size_t bytes) {
  if (!spans.empty() && spans.back().end == begin) spans.back().end += bytes;
  else spans.push_back({begin, begin + bytes});
}

void ShmLink::trimSpans(std::deque<Span>& spans, size_t bytes) {
  while (bytes > 0 && !spans.empty()) {
    Span& s = spans.front();
    const uint64_t n = std::min<uint64_t>(bytes, s.end - s.begin);
    s.begin += n;
    bytes -= n;
    if (s.begin == s.end) spans.pop_front();
  }
}

Status ShmLink::reserve(size_t maxBytes, void** at, size_t* avail) {
  const size_t cap = tx_.capacity();
  if (txHead_ - txTailSeen_ + maxBytes > cap) txTailSeen_ = tx_.header()->tail.load(std::memory_order_acquire);
  const size_t offset = static_cast<size_t>(txHead_ % cap);
  const size_t n = std::min({maxBytes, cap - static_cast<size_t>(txHead_ - txTailSeen_), cap - offset});
  *avail = n;
  if (n == 0) return Status::Success;
  *at = tx_.data() + offset;
  addSpan(unfilled_, txHead_, n);
  txHead_ += n;
  return Status::Success;
}

void ShmLink::filled(size_t bytes) {
  trimSpans(unfilled_, bytes);
  publishHead();
}

void ShmLink::publishHead() {
  const uint64_t visible = unfilled_.empty() ? txHead_ : unfilled_.front().begin;
  if (visible == txPublished_) return;
  txPublished_ = visible;
  tx_.header()->head.store(visible, std::memory_order_release);
}

Status ShmLink::read(void* dst, size_t bytes, size_t* done) {
  const size_t cap = rx_.capacity();
  if (rxHeadSeen_ - rxRead_ < bytes) rxHeadSeen_ = rx_.header()->head.load(std::memory_order_acquire);
  const size_t n = std::min(bytes, static_cast<size_t>(rxHeadSeen_ - rxRead_));
  const size_t offset = static_cast<size_t>(rxRead_ % cap);
  const size_t first = std::min(n, cap - offset);
  memcpy(dst, rx_.data() + offset, first);
  if (n > first) memcpy(static_cast<char*>(dst) + first, rx_.data(), n - first);
  if (n > 0) consume(n);
  *done = n;
  return Status::Success;
}

Status ShmLink::peek(size_t minBytes, size_t maxBytes, const void** data, size_t* avail) {
  const size_t cap = rx_.capacity();
  if (rxHeadSeen_ - rxRead_ < maxBytes) rxHeadSeen_ = rx_.header()->head.load(std::memory_order_acquire);
  const size_t offset = static_cast<size_t>(rxRead_ % cap);
  const size_t contiguous = std::min(static_cast<size_t>(rxHeadSeen_ - rxRead_), cap - offset);
  if (contiguous < minBytes) {
    *avail = 0;
    return Status::Success;
  }
  *data = rx_.data() + offset;
  *avail = std::min(contiguous, maxBytes);
  return Status::Success;
}

void ShmLink::consume(size_t bytes) {
  rxRead_ += bytes;
  publishTail();
}

Status ShmLink::take(size_t maxBytes, const void** at, size_t* avail) {
  HCCL_TRY(peek(1, maxBytes, at, avail));
  if (*avail == 0) return Status::Success;
  addSpan(held_, rxRead_, *avail);
  rxRead_ += *avail;
  return Status::Success;
}

void ShmLink::release(size_t bytes) {
  trimSpans(held_, bytes);
  publishTail();
}

void ShmLink::publishTail() {
  const uint64_t reusable = held_.empty() ? rxRead_ : held_.front().begin;
  if (reusable == rxReleased_) return;
  rxReleased_ = reusable;
  rx_.header()->tail.store(reusable, std::memory_order_release);
}

std::vector<Link::Region> ShmLink::windowRegions() const {
  return {{rx_.data(), rx_.capacity()}, {tx_.data(), tx_.capacity()}};
}

Status ShmLink::checkAlive() {
  if (peerClosed(control_.fd()))
    return fail(Status::RemoteError, "shm: peer process closed its link (exited or aborted)");
  return Status::Success;
}

}  // namespace hccl
