#include "transport/messenger.h"

#include <algorithm>
#include <cstring>

#include "base/error.h"

namespace hccl {
namespace {

constexpr size_t kMaxEarlyCts = size_t{1} << 16;  // bounds what a misbehaving peer can make us hold
constexpr size_t kSmallFrameBytes = 4096;         // eager messages copied whole into one write
// A single-copy read moves at most this much per progress call, so other links move meanwhile;
// a reducing one reads this much into its bounce buffer (small enough to stay in the cache).
constexpr size_t kRemoteChunk = size_t{1} << 20;
constexpr size_t kBounceBytes = size_t{256} << 10;
// What reducing direct receives may hold at once for one peer; beyond it they are granted the
// ordinary way (the bytes then cross the link's staging).
constexpr size_t kMaxScratchBytes = size_t{64} << 20;

size_t padTo8(size_t bytes) { return (8 - bytes % 8) % 8; }

}  // namespace

Messenger::Messenger(LinkPtr link, int peer, size_t eagerBytes, size_t eagerWindow, size_t singleCopyBytes)
    : link_(std::move(link)), peer_(peer), eagerBytes_(std::min(eagerBytes, kMaxFrame)),
      eagerWindow_(eagerWindow), singleCopyBytes_(singleCopyBytes), eagerCredits_(eagerWindow) {}

void Messenger::queueControl(uint32_t type, uint64_t tag, uint64_t bytes) {
  FrameHeader frame{type, 0, tag, bytes};
  const char* p = reinterpret_cast<const char*>(&frame);
  ctrlOut_.insert(ctrlOut_.end(), p, p + sizeof(frame));
}

void Messenger::returnCredit(size_t bytes) {
  creditsToReturn_ += bytes;
  // Batched: a quarter of the window is never enough to stall a sender that is not also
  // waiting for us to post receives (the window is at least four eager messages).
  if (creditsToReturn_ >= eagerWindow_ / 4) {
    queueControl(kCredit, 0, creditsToReturn_);
    creditsToReturn_ = 0;
  }
}

void Messenger::postSend(Request* request) {
  request->progressed = 0;
  request->done = false;
  request->granted = false;
  request->direct = nullptr;
  if (!eager(request)) {
    for (auto it = earlyCts_.begin(); it != earlyCts_.end(); ++it) {
      if (it->first != request->tag) continue;
      request->granted = true;
      // A size mismatch is reported when the frame would be written.
      if (it->second != request->bytes) request->progressed = SIZE_MAX;
      earlyCts_.erase(it);
      break;
    }
    // Tells the receiver this message waits for a grant, so a receive that expects an eager
    // message of that tag fails at once instead of both sides waiting on each other.
    queueControl(kAnnounce, request->tag, request->bytes);
  }
  sends_.push_back(request);
}

std::vector<Request*>::iterator Messenger::findRecv(uint64_t tag) {
  return std::find_if(recvs_.begin(), recvs_.end(), [&](Request* r) { return r->tag == tag; });
}

bool Messenger::takeAnnouncement(uint64_t tag) {
  auto it = std::find(announced_.begin(), announced_.end(), tag);
  if (it == announced_.end()) return false;
  announced_.erase(it);
  return true;
}

void Messenger::postRecv(Request* request) {
  request->progressed = 0;
  request->done = false;
  request->granted = true;
  request->direct = nullptr;
  const bool announced = std::find(announced_.begin(), announced_.end(), request->tag) != announced_.end();
  const bool stashed = std::any_of(unexpected_.begin(), unexpected_.end(),
                                   [&](const Unexpected& u) { return u.tag == request->tag; });
  if (eager(request) ? announced : stashed) {  // the sender chose the other protocol: sizes differ
    mismatch_ = true;
    recvs_.push_back(request);
    return;
  }
  if (!eager(request)) {
    recvs_.push_back(request);
    if (directCandidate(request)) {  // granted by progress() once the sender has announced it
      request->granted = false;
      ++awaitingGrant_;
      return;
    }
    if (announced) takeAnnouncement(request->tag);
    queueControl(kCts, request->tag, request->bytes);
    return;
  }
  for (auto it = unexpected_.begin(); it != unexpected_.end(); ++it) {
    if (it->tag != request->tag) continue;
    Unexpected message = std::move(*it);
    unexpected_.erase(it);
    unexpectedBytes_ -= message.payload.size();
    // A failure here (size mismatch) leaves the request pending; progress() reports it.
    if (message.payload.size() != request->bytes || failed(deliver(request, message.payload.data()))) {
      mismatch_ = true;
      recvs_.push_back(request);
      return;
    }
    returnCredit(eagerCost(message.payload.size()));
    return;
  }
  recvs_.push_back(request);
}

Status Messenger::deliver(Request* r, const char* payload) {
  if (r->bytes > 0) {
    if (r->reduceSource == nullptr)
      memcpy(r->buffer, payload, r->bytes);
    else
      HCCL_TRY(r->backend->reduce(r->buffer, r->reduceSource, payload, r->bytes / dataTypeSize(r->type),
                                  r->type, r->op));
  }
  r->progressed = r->bytes;
  r->done = true;
  return Status::Success;
}

void Messenger::dropRequests() {
  if (!directSends_.empty() || directRecvs_ > 0) link_->abandonDirect();
  directSends_.clear();
  directRecvs_ = 0;
  awaitingGrant_ = 0;
  for (auto& [request, buffer] : scratchLent_) scratchFree_.push_back(std::move(buffer));
  scratchLent_.clear();
  sends_.clear();
  recvs_.clear();
  lent_.clear();
  remote_ = nullptr;
  sending_ = receiving_ = nullptr;
  stashing_ = false;
  headerOutLeft_ = payloadOutLeft_ = padOutLeft_ = 0;
  headerInGot_ = payloadInLeft_ = padInLeft_ = 0;
  broken_ = true;  // the stream stopped mid-frame: it cannot be resynchronised
}

Request* Messenger::findSend(uint64_t tag) {
  for (Request* r : sends_)
    if (r->tag == tag && !r->granted && !eager(r)) return r;
  return nullptr;
}

Status Messenger::progress(bool* moved) {
  if (broken_) return fail(Status::RemoteError, "the link to rank %d was shut after a failure", peer_);
  if (mismatch_)
    return fail(Status::InvalidUsage,
                "rank %d sent a message whose size differs from the matching receive; send/recv "
                "pairs must use the same count and datatype", peer_);
  if (link_->sending()) HCCL_TRY(link_->push(moved));
  HCCL_TRY(progressWrite(moved));
  HCCL_TRY(progressRead(moved));
  if (awaitingGrant_ > 0 && !announced_.empty()) HCCL_TRY(grantAnnounced(moved));
  if (!directSends_.empty() || directRecvs_ > 0) HCCL_TRY(progressDirect(moved));
  return Status::Success;
}

Status Messenger::grantAnnounced(bool* moved) {
  for (Request* r : recvs_) {
    if (awaitingGrant_ == 0) break;
    if (r->granted || !takeAnnouncement(r->tag)) continue;
    --awaitingGrant_;
    HCCL_TRY(grantDirect(r));
    *moved = true;
  }
  return Status::Success;
}

Status Messenger::grantDirect(Request* r) {
  r->granted = true;
  char* into = r->buffer;
  if (r->reduceSource != nullptr && (into = takeScratch(r)) == nullptr) {
    queueControl(kCts, r->tag, r->bytes);  // no scratch to spare: the ordinary way
    return Status::Success;
  }
  HCCL_TRY(link_->startDirect(true, into, r->bytes, &r->direct));
  ++directRecvs_;
  queueControl(kCtsDirect, r->tag, r->bytes);
  return Status::Success;
}

Status Messenger::startDirectSend(uint64_t tag, uint64_t bytes) {
  Request* r = findSend(tag);
  if (r == nullptr || !directCandidate(r))
    return fail(Status::RemoteError, "rank %d granted a direct message (tag 0x%llx) this rank did not announce",
                peer_, static_cast<unsigned long long>(tag));
  if (bytes != r->bytes)
    return fail(Status::InvalidUsage,
                "rank %d expects a different number of bytes than this rank sends (%zu); matching send/recv "
                "calls must use the same count and datatype", peer_, r->bytes);
  HCCL_TRY(link_->startDirect(false, r->buffer, r->bytes, &r->direct));
  r->granted = true;
  r->progressed = r->bytes;
  sends_.erase(std::find(sends_.begin(), sends_.end(), r));
  directSends_.push_back(r);
  return Status::Success;
}

Status Messenger::progressDirect(bool* moved) {
  for (size_t i = 0; i < directSends_.size();) {
    Request* r = directSends_[i];
    bool done = false;
    HCCL_TRY(link_->testDirect(r->direct, &done));
    if (!done) {
      ++i;
      continue;
    }
    r->direct = nullptr;
    r->done = true;
    directSends_.erase(directSends_.begin() + static_cast<ptrdiff_t>(i));
    *moved = true;
  }
  for (auto it = recvs_.begin(); directRecvs_ > 0 && it != recvs_.end();) {
    Request* r = *it;
    bool done = false;
    if (r->direct != nullptr) HCCL_TRY(link_->testDirect(r->direct, &done));
    if (!done) {
      ++it;
      continue;
    }
    r->direct = nullptr;
    --directRecvs_;
    if (r->reduceSource != nullptr) {
      auto lent = std::find_if(scratchLent_.begin(), scratchLent_.end(), [&](const auto& e) { return e.first == r; });
      HCCL_TRY(r->backend->reduce(r->buffer, r->reduceSource, lent->second.data(), r->bytes / dataTypeSize(r->type),
                                  r->type, r->op));
      scratchFree_.push_back(std::move(lent->second));
      scratchLent_.erase(lent);
    }
    r->progressed = r->bytes;
    r->done = true;
    it = recvs_.erase(it);
    *moved = true;
  }
  return Status::Success;
}

char* Messenger::takeScratch(const Request* r) {
  auto fits = std::find_if(scratchFree_.begin(), scratchFree_.end(),
                           [&](const std::vector<char>& b) { return b.size() >= r->bytes; });
  std::vector<char> buffer;
  if (fits != scratchFree_.end()) {
    buffer = std::move(*fits);
    scratchFree_.erase(fits);
  } else {
    // Free buffers too small for this one make room for it.
    while (scratchHeld_ + r->bytes > kMaxScratchBytes && !scratchFree_.empty()) {
      scratchHeld_ -= scratchFree_.back().size();
      scratchFree_.pop_back();
    }
    if (scratchHeld_ + r->bytes > kMaxScratchBytes) return nullptr;
    buffer.resize(r->bytes);
    scratchHeld_ += r->bytes;
  }
  char* p = buffer.data();
  scratchLent_.emplace_back(r, std::move(buffer));
  return p;
}

bool Messenger::expectsInput() const {
  return !recvs_.empty() || !lent_.empty() ||
         std::any_of(sends_.begin(), sends_.end(), [](const Request* r) { return !r->granted; });
}

Status Messenger::progressWrite(bool* moved) {
  for (;;) {
    size_t done = 0;
    if (headerOutLeft_ > 0) {
      const char* h = reinterpret_cast<const char*>(&headerOut_) + sizeof(headerOut_) - headerOutLeft_;
      HCCL_TRY(link_->write(h, headerOutLeft_, &done));
      headerOutLeft_ -= done;
    } else if (payloadOutLeft_ > 0) {
      HCCL_TRY(link_->write(sending_->buffer + sending_->progressed, payloadOutLeft_, &done));
      sending_->progressed += done;
      payloadOutLeft_ -= done;
    } else if (padOutLeft_ > 0) {
      static const char kZeros[8] = {};
      HCCL_TRY(link_->write(kZeros, padOutLeft_, &done));
      padOutLeft_ -= done;
    } else if (sending_ != nullptr) {
      // Frame finished.
      if (sending_->progressed == sending_->bytes) {
        sending_->done = true;
        sends_.erase(std::find(sends_.begin(), sends_.end(), sending_));
      }
      sending_ = nullptr;
      continue;
    } else if (ctrlSent_ < ctrlOut_.size()) {
      HCCL_TRY(link_->write(ctrlOut_.data() + ctrlSent_, ctrlOut_.size() - ctrlSent_, &done));
      ctrlSent_ += done;
      if (ctrlSent_ == ctrlOut_.size()) {
        ctrlOut_.clear();
        ctrlSent_ = 0;
      }
    } else {
      // Start the next frame: the oldest send that is granted, or eager with credit to spare.
      Request* r = nullptr;
      for (Request* candidate : sends_) {
        if (eager(candidate) && eagerCredits_ >= eagerCost(candidate->bytes)) {
          eagerCredits_ -= eagerCost(candidate->bytes);
          candidate->granted = true;
        }
        if (candidate->granted) {
          r = candidate;
          break;
        }
      }
      if (r == nullptr) return Status::Success;
      if (r->progressed > r->bytes)
        return fail(Status::InvalidUsage,
                    "rank %d expects a different number of bytes than this rank sends (%zu); "
                    "matching send/recv calls must use the same count and datatype",
                    peer_, r->bytes);
      if (eager(r) && r->bytes <= kSmallFrameBytes) {
        // A small message goes out as one contiguous write with the control frames: one
        // store of the ring's head instead of three, and the request is done at once.
        queueControl(kEager, r->tag, r->bytes);
        ctrlOut_.insert(ctrlOut_.end(), r->buffer, r->buffer + r->bytes);
        ctrlOut_.resize(ctrlOut_.size() + padTo8(r->bytes));
        r->progressed = r->bytes;
        r->done = true;
        sends_.erase(std::find(sends_.begin(), sends_.end(), r));
        *moved = true;
        continue;
      }
      if (!eager(r) && r->progressed == 0 && singleCopy(r)) {
        // The peer reads the message itself: only the buffer's address crosses the link.
        queueControl(kRemote, r->tag, r->bytes);
        const uint64_t address = reinterpret_cast<uintptr_t>(r->buffer);
        const char* a = reinterpret_cast<const char*>(&address);
        ctrlOut_.insert(ctrlOut_.end(), a, a + sizeof(address));
        r->progressed = r->bytes;
        lent_.push_back(r);
        sends_.erase(std::find(sends_.begin(), sends_.end(), r));
        *moved = true;
        continue;
      }
      size_t frame = std::min(r->bytes - r->progressed, kMaxFrame);
      headerOut_ = FrameHeader{eager(r) ? kEager : kData, 0, r->tag, frame};
      headerOutLeft_ = sizeof(headerOut_);
      payloadOutLeft_ = frame;
      padOutLeft_ = padTo8(frame);
      sending_ = r;
      continue;
    }
    if (done == 0) return Status::Success;
    *moved = true;
  }
}

Status Messenger::onHeader() {
  const FrameHeader& h = headerIn_;
  switch (h.type) {
    case kCts: {
      Request* r = findSend(h.tag);
      if (r == nullptr) {
        if (earlyCts_.size() >= kMaxEarlyCts)
          return fail(Status::RemoteError, "rank %d sent too many unmatched grants", peer_);
        earlyCts_.emplace_back(h.tag, h.bytes);
        return Status::Success;
      }
      r->granted = true;
      if (h.bytes != r->bytes) r->progressed = SIZE_MAX;  // reported when the send would start
      return Status::Success;
    }
    case kAnnounce: {
      auto it = findRecv(h.tag);
      if (it != recvs_.end() && (eager(*it) || (*it)->granted)) {
        if (eager(*it)) mismatch_ = true;  // reported by progress()
        return Status::Success;
      }
      if (announced_.size() >= kMaxEarlyCts)
        return fail(Status::RemoteError, "rank %d announced too many unmatched messages", peer_);
      announced_.push_back(h.tag);
      return Status::Success;
    }
    case kRemoteDone: return remoteDone(h.tag);
    case kCtsDirect: return startDirectSend(h.tag, h.bytes);
    case kRemote: {
      auto it = findRecv(h.tag);
      if (it == recvs_.end() || eager(*it) || !(*it)->granted || (*it)->direct != nullptr || h.bytes != (*it)->bytes ||
          (*it)->progressed != 0 || h.bytes == 0 ||
          ((*it)->reduceSource != nullptr && h.bytes % dataTypeSize((*it)->type) != 0) || !link_->canReadPeer())
        return fail(Status::RemoteError, "rank %d offered a %llu-byte message to read that no receive here can take",
                    peer_, static_cast<unsigned long long>(h.bytes));
      remote_ = *it;
      remoteAddressGot_ = 0;
      return Status::Success;
    }
    case kCredit:
      if (h.bytes > eagerWindow_ - eagerCredits_)
        return fail(Status::RemoteError, "rank %d returned more eager credit than it was given", peer_);
      eagerCredits_ += h.bytes;
      return Status::Success;
    case kData:
    case kEager:
      break;
    default:
      return fail(Status::RemoteError, "rank %d sent a corrupt frame (type 0x%x)", peer_, h.type);
  }
  const bool isEager = h.type == kEager;
  if (isEager && h.bytes > eagerBytes_)
    return fail(Status::RemoteError, "rank %d sent a %llu-byte eager message; the limit is %zu", peer_,
                static_cast<unsigned long long>(h.bytes), eagerBytes_);
  auto it = findRecv(h.tag);
  if (it == recvs_.end()) {
    if (!isEager)
      return fail(Status::RemoteError, "rank %d sent data nobody asked for (tag 0x%llx)", peer_,
                  static_cast<unsigned long long>(h.tag));
    // Its receive is not posted yet: keep it aside; the credit window bounds how much.
    if (unexpectedBytes_ + h.bytes > eagerWindow_)
      return fail(Status::RemoteError, "rank %d overran its eager credit", peer_);
    stashing_ = true;
    stash_.tag = h.tag;
    stash_.payload.resize(h.bytes);
    payloadInLeft_ = h.bytes;
    padInLeft_ = padTo8(h.bytes);
    return Status::Success;
  }
  Request* r = *it;
  if (!r->granted || r->direct != nullptr)
    return fail(Status::RemoteError, "rank %d sent data for a message granted as a direct one (tag 0x%llx)", peer_,
                static_cast<unsigned long long>(h.tag));
  size_t elem = dataTypeSize(r->type);
  if ((isEager && h.bytes != r->bytes) || h.bytes > r->bytes - r->progressed || h.bytes > kMaxFrame ||
      (r->reduceSource != nullptr && h.bytes % elem != 0))
    return fail(Status::RemoteError,
                "rank %d sent a %llu-byte message where %zu bytes were expected (send/recv pairs must "
                "use the same count and datatype)", peer_, static_cast<unsigned long long>(h.bytes),
                r->bytes - r->progressed);
  receiving_ = r;
  payloadInLeft_ = h.bytes;
  padInLeft_ = padTo8(h.bytes);
  frameCost_ = isEager ? eagerCost(h.bytes) : 0;
  return Status::Success;
}

// A kept-aside message is complete. Its receive may have been posted while it arrived.
Status Messenger::finishStash() {
  auto it = findRecv(stash_.tag);
  if (it == recvs_.end()) {
    unexpectedBytes_ += stash_.payload.size();
    unexpected_.push_back(std::move(stash_));
    stash_ = Unexpected{};
    return Status::Success;
  }
  Request* r = *it;
  recvs_.erase(it);
  if (stash_.payload.size() != r->bytes) {
    mismatch_ = true;
    return Status::Success;
  }
  HCCL_TRY(deliver(r, stash_.payload.data()));
  returnCredit(eagerCost(stash_.payload.size()));
  stash_ = Unexpected{};
  return Status::Success;
}

Status Messenger::readPayload(bool* moved) {
  size_t done = 0;
  if (stashing_) {
    char* dst = stash_.payload.data() + (stash_.payload.size() - payloadInLeft_);
    HCCL_TRY(link_->read(dst, payloadInLeft_, &done));
  } else if (receiving_->reduceSource == nullptr) {
    HCCL_TRY(link_->read(receiving_->buffer + receiving_->progressed, payloadInLeft_, &done));
  } else {
    Request* r = receiving_;
    size_t elem = dataTypeSize(r->type);
    const void* in = nullptr;
    size_t avail = 0;
    HCCL_TRY(link_->peek(elem, payloadInLeft_, &in, &avail));
    done = avail - avail % elem;
    if (done > 0) {
      size_t offset = r->progressed;
      HCCL_TRY(r->backend->reduce(r->buffer + offset, r->reduceSource + offset, in, done / elem,
                                  r->type, r->op));
      link_->consume(done);
    }
  }
  if (done > 0) *moved = true;
  if (!stashing_) receiving_->progressed += done;
  payloadInLeft_ -= done;
  return Status::Success;
}

Status Messenger::remoteDone(uint64_t tag) {
  auto it = std::find_if(lent_.begin(), lent_.end(), [&](Request* r) { return r->tag == tag; });
  if (it == lent_.end())
    return fail(Status::RemoteError, "rank %d finished reading a message this rank never lent it", peer_);
  (*it)->done = true;
  lent_.erase(it);
  return Status::Success;
}

Status Messenger::readRemote(bool* moved) {
  Request* r = remote_;
  const size_t left = r->bytes - r->progressed;
  if (r->reduceSource == nullptr) {
    const size_t n = std::min(left, kRemoteChunk);
    HCCL_TRY(link_->readPeer(r->buffer + r->progressed, remoteAddress_ + r->progressed, n));
    r->progressed += n;
  } else {
    const size_t elem = dataTypeSize(r->type);
    if (bounce_.empty()) bounce_.resize(kBounceBytes);
    const size_t n = std::min(left, kBounceBytes / elem * elem);
    HCCL_TRY(link_->readPeer(bounce_.data(), remoteAddress_ + r->progressed, n));
    HCCL_TRY(r->backend->reduce(r->buffer + r->progressed, r->reduceSource + r->progressed, bounce_.data(), n / elem,
                                r->type, r->op));
    r->progressed += n;
  }
  if (r->progressed == r->bytes) {
    r->done = true;
    recvs_.erase(std::find(recvs_.begin(), recvs_.end(), r));
    queueControl(kRemoteDone, r->tag, r->bytes);
    remote_ = nullptr;
  }
  *moved = true;
  return Status::Success;
}

Status Messenger::progressRead(bool* moved) {
  for (;;) {
    size_t done = 0;
    if (remote_ != nullptr) {
      if (remoteAddressGot_ < sizeof(remoteAddress_)) {
        char* a = reinterpret_cast<char*>(&remoteAddress_);
        HCCL_TRY(link_->read(a + remoteAddressGot_, sizeof(remoteAddress_) - remoteAddressGot_, &done));
        remoteAddressGot_ += done;
        if (done == 0) return Status::Success;
        *moved = true;
        continue;
      }
      // One chunk per call: the other links move between chunks.
      return readRemote(moved);
    }
    if ((receiving_ != nullptr || stashing_) && payloadInLeft_ > 0) {
      bool progressed = false;
      HCCL_TRY(readPayload(&progressed));
      if (!progressed) return Status::Success;
      *moved = true;
      continue;
    }
    if (padInLeft_ > 0) {
      char sink[8];
      HCCL_TRY(link_->read(sink, padInLeft_, &done));
      padInLeft_ -= done;
      if (done == 0) return Status::Success;
      *moved = true;
      continue;
    }
    if (stashing_) {
      stashing_ = false;
      HCCL_TRY(finishStash());
      continue;
    }
    if (receiving_ != nullptr) {
      if (receiving_->progressed == receiving_->bytes) {
        receiving_->done = true;
        recvs_.erase(std::find(recvs_.begin(), recvs_.end(), receiving_));
      }
      receiving_ = nullptr;
      if (frameCost_ > 0) returnCredit(frameCost_);
      frameCost_ = 0;
      continue;
    }
    // Read a new frame only when waiting for one: a peer that has finished may close its side,
    // and that is no error unless we still need something from it.
    if (headerInGot_ == 0 && !expectsInput()) return Status::Success;
    char* h = reinterpret_cast<char*>(&headerIn_);
    HCCL_TRY(link_->read(h + headerInGot_, sizeof(headerIn_) - headerInGot_, &done));
    if (done == 0) return Status::Success;
    *moved = true;
    headerInGot_ += done;
    if (headerInGot_ < sizeof(headerIn_)) continue;
    headerInGot_ = 0;
    HCCL_TRY(onHeader());
  }
}

}  // namespace hccl
