#include "transport/messenger.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"

namespace hccl {
namespace {

constexpr size_t kMaxEarlyCts = size_t{1} << 16;  // bounds what a misbehaving peer can make us hold

size_t padTo8(size_t bytes) { return (8 - bytes % 8) % 8; }

}  // namespace

Messenger::Messenger(LinkPtr link, int peer) : link_(std::move(link)), peer_(peer) {}

void Messenger::postSend(Request* request) {
  request->progressed = 0;
  request->done = false;
  request->granted = false;
  for (auto it = earlyCts_.begin(); it != earlyCts_.end(); ++it) {
    if (it->first == request->tag) {
      request->granted = true;
      // A size mismatch is reported when the frame would be written.
      if (it->second != request->bytes) request->progressed = SIZE_MAX;
      earlyCts_.erase(it);
      break;
    }
  }
  sends_.push_back(request);
}

void Messenger::postRecv(Request* request) {
  request->progressed = 0;
  request->done = false;
  request->granted = true;
  recvs_.push_back(request);
  FrameHeader cts{kCts, 0, request->tag, request->bytes};
  const char* p = reinterpret_cast<const char*>(&cts);
  ctrlOut_.insert(ctrlOut_.end(), p, p + sizeof(cts));
}

void Messenger::dropRequests() {
  sends_.clear();
  recvs_.clear();
  sending_ = receiving_ = nullptr;
}

Request* Messenger::findSend(uint64_t tag) {
  for (Request* r : sends_)
    if (r->tag == tag && !r->granted) return r;
  return nullptr;
}

Status Messenger::progress(bool* moved) {
  HCCL_TRY(progressWrite(moved));
  return progressRead(moved);
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
      // Start the next frame of the oldest granted send.
      auto it = std::find_if(sends_.begin(), sends_.end(), [](Request* r) { return r->granted; });
      if (it == sends_.end()) return Status::Success;
      Request* r = *it;
      if (r->progressed > r->bytes)
        return fail(Status::InvalidUsage,
                    "rank %d expects a different number of bytes than this rank sends (%zu); "
                    "matching send/recv calls must use the same count and datatype",
                    peer_, r->bytes);
      size_t frame = std::min(r->bytes - r->progressed, kMaxFrame);
      headerOut_ = FrameHeader{kData, 0, r->tag, frame};
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
  if (h.type == kCts) {
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
  if (h.type != kData)
    return fail(Status::RemoteError, "rank %d sent a corrupt frame (type 0x%x)", peer_, h.type);
  auto it = std::find_if(recvs_.begin(), recvs_.end(), [&](Request* r) { return r->tag == h.tag; });
  if (it == recvs_.end())
    return fail(Status::RemoteError, "rank %d sent data nobody asked for (tag 0x%llx)", peer_,
                static_cast<unsigned long long>(h.tag));
  Request* r = *it;
  size_t elem = dataTypeSize(r->type);
  if (h.bytes > r->bytes - r->progressed || h.bytes > kMaxFrame ||
      (r->reduceSource != nullptr && h.bytes % elem != 0))
    return fail(Status::RemoteError, "rank %d sent a %llu-byte frame where at most %zu fit", peer_,
                static_cast<unsigned long long>(h.bytes), r->bytes - r->progressed);
  receiving_ = r;
  payloadInLeft_ = h.bytes;
  padInLeft_ = padTo8(h.bytes);
  return Status::Success;
}

Status Messenger::readPayload(bool* moved) {
  Request* r = receiving_;
  size_t done = 0;
  if (r->reduceSource == nullptr) {
    HCCL_TRY(link_->read(r->buffer + r->progressed, payloadInLeft_, &done));
  } else {
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
  r->progressed += done;
  payloadInLeft_ -= done;
  return Status::Success;
}

Status Messenger::progressRead(bool* moved) {
  for (;;) {
    size_t done = 0;
    if (receiving_ != nullptr && payloadInLeft_ > 0) {
      bool before = *moved;
      *moved = false;
      HCCL_TRY(readPayload(moved));
      bool progressed = *moved;
      *moved = before || progressed;
      if (!progressed) return Status::Success;
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
    if (receiving_ != nullptr) {
      if (receiving_->progressed == receiving_->bytes) {
        receiving_->done = true;
        recvs_.erase(std::find(recvs_.begin(), recvs_.end(), receiving_));
      }
      receiving_ = nullptr;
      continue;
    }
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
