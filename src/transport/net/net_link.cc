#include "transport/net/net_link.h"

#include <sched.h>

#include <algorithm>
#include <cstring>

#include "base/error.h"

namespace hccl::net {
namespace {

// Each end's handle to the other over the pair's socket: its size, then its bytes.
Status tradeHandles(Socket& control, const ConnectHandle& mine, ConnectHandle* theirs, Deadline deadline) {
  if (mine.bytes.size() > kMaxHandleBytes)
    return fail(Status::InternalError, "net: a %zu-byte connect handle", mine.bytes.size());
  const uint32_t size = static_cast<uint32_t>(mine.bytes.size());
  HCCL_TRY(control.sendAll(&size, sizeof(size), deadline));
  HCCL_TRY(control.sendAll(mine.bytes.data(), size, deadline));
  uint32_t theirSize = 0;
  HCCL_TRY(control.recvAll(&theirSize, sizeof(theirSize), deadline));
  if (theirSize > kMaxHandleBytes)
    return fail(Status::RemoteError, "net: the peer announced a %u-byte connect handle", theirSize);
  theirs->bytes.resize(theirSize);
  return control.recvAll(theirs->bytes.data(), theirSize, deadline);
}

// A small number both ends tell each other.
Status tradeValue(Socket& control, uint64_t mine, uint64_t* theirs, Deadline deadline) {
  HCCL_TRY(control.sendAll(&mine, sizeof(mine), deadline));
  return control.recvAll(theirs, sizeof(*theirs), deadline);
}

// One connection each way with the rank behind `control`: both ends listen, trade handles, then
// connect and accept at once; neither call blocks, so neither end waits on the other.
Status connectPair(NetTransport& t, int device, Socket& control, const std::string& name, Deadline deadline,
                   void** sendComm, void** recvComm) {
  ConnectHandle mine, theirs;
  void* listenComm = nullptr;
  HCCL_TRY(t.listen(device, &mine, &listenComm));
  Status s = tradeHandles(control, mine, &theirs, deadline);
  while (!failed(s) && (*sendComm == nullptr || *recvComm == nullptr)) {
    if (*sendComm == nullptr) s = t.connect(device, &theirs, sendComm);
    if (!failed(s) && *recvComm == nullptr) s = t.accept(listenComm, recvComm);
    if (failed(s) || (*sendComm != nullptr && *recvComm != nullptr)) break;
    if (socketWaitAborted()) s = fail(Status::Aborted, "%s: aborted while connecting", name.c_str());
    else if (Clock::now() > deadline || peerClosed(control.fd()))
      s = fail(Status::RemoteError, "%s: the peer did not connect (gone, or not in time)", name.c_str());
    else sched_yield();  // the peer may need this core to get there
  }
  const Status closed = t.closeListen(listenComm);
  HCCL_TRY(s);
  return closed;
}

}  // namespace

Status NetLink::open(std::shared_ptr<NetTransport> transport, int device, Socket control, size_t directMinBytes,
                     Deadline deadline, std::unique_ptr<NetLink>* out) {
  std::unique_ptr<NetLink> link(new NetLink);
  link->transport_ = std::move(transport);
  link->control_ = std::move(control);
  link->name_ = std::string("net/") + link->transport_->name();
  NetTransport& t = *link->transport_;
  HCCL_TRY(connectPair(t, device, link->control_, link->name_, deadline, &link->sendComm_, &link->recvComm_));
  uint64_t theirDirect = 0;
  HCCL_TRY(tradeValue(link->control_, directMinBytes, &theirDirect, deadline));
  if (directMinBytes > 0 && theirDirect > 0) {
    link->directMinBytes_ = std::max<size_t>(directMinBytes, theirDirect);
    HCCL_TRY(connectPair(t, device, link->control_, link->name_, deadline, &link->bulkSend_, &link->bulkRecv_));
  }
  link->sends_.resize(kSlots);
  link->recvs_.resize(kSlots);
  for (Slot& slot : link->sends_) {
    slot.bytes.resize(kChunkBytes);
    HCCL_TRY(t.registerMemory(link->sendComm_, slot.bytes.data(), kChunkBytes, kHostMemory, &slot.region));
  }
  for (Slot& slot : link->recvs_) {
    slot.bytes.resize(kChunkBytes);
    HCCL_TRY(t.registerMemory(link->recvComm_, slot.bytes.data(), kChunkBytes, kHostMemory, &slot.region));
    HCCL_TRY(link->postReceive(slot));
  }
  *out = std::move(link);
  return Status::Success;
}

NetLink::~NetLink() {
  if (!transport_) return;
  abandonDirect();
  // Requests still in flight die with their comms (a transport frees them on close).
  for (Slot& slot : sends_)
    if (slot.region != nullptr) transport_->deregisterMemory(sendComm_, slot.region);
  for (Slot& slot : recvs_)
    if (slot.region != nullptr) transport_->deregisterMemory(recvComm_, slot.region);
  if (sendComm_ != nullptr) transport_->closeSend(sendComm_);
  if (recvComm_ != nullptr) transport_->closeRecv(recvComm_);
}

Status NetLink::startDirect(bool receive, void* data, size_t bytes, void** op) {
  HCCL_TRY(failure_);
  if (bulkSend_ == nullptr)
    return fail(Status::InternalError, "%s: a direct message on a link without them", name_.c_str());
  auto d = std::make_unique<DirectOp>(DirectOp{receive, data, bytes});
  if (Status s = transport_->registerMemory(receive ? bulkRecv_ : bulkSend_, data, bytes, kHostMemory, &d->region);
      failed(s))
    return failWith(s);
  (receive ? unpostedRecvs_ : unpostedSends_).push_back(d.get());
  *op = d.get();
  direct_.push_back(std::move(d));
  return postDirect();
}

Status NetLink::postDirect() {
  while (!unpostedSends_.empty()) {
    DirectOp* d = unpostedSends_.front();
    if (Status s = transport_->send(bulkSend_, d->data, d->bytes, tagOf(bulkSent_), d->region, &d->request);
        failed(s))
      return failWith(s);
    if (d->request == nullptr) break;  // the transport cannot take it yet
    ++bulkSent_;
    unpostedSends_.pop_front();
  }
  while (!unpostedRecvs_.empty()) {
    DirectOp* d = unpostedRecvs_.front();
    if (Status s = transport_->recv(bulkRecv_, d->data, d->bytes, tagOf(bulkReceived_), d->region, &d->request);
        failed(s))
      return failWith(s);
    if (d->request == nullptr) break;
    ++bulkReceived_;
    unpostedRecvs_.pop_front();
  }
  return Status::Success;
}

Status NetLink::testDirect(void* op, bool* done) {
  auto* d = static_cast<DirectOp*>(op);
  *done = false;
  HCCL_TRY(failure_);
  HCCL_TRY(postDirect());
  if (d->request == nullptr) return Status::Success;
  bool finished = false;
  size_t bytes = 0;
  if (Status s = transport_->test(d->request, &finished, &bytes); failed(s)) return failWith(s);
  if (!finished) return Status::Success;
  d->request = nullptr;
  if (d->receive && bytes != d->bytes)
    return failWith(fail(Status::RemoteError, "%s: a %zu-byte direct message where %zu bytes were granted",
                         name_.c_str(), bytes, d->bytes));
  releaseDirect(d);
  *done = true;
  return Status::Success;
}

void NetLink::releaseDirect(DirectOp* d) {
  if (d->region != nullptr) transport_->deregisterMemory(d->receive ? bulkRecv_ : bulkSend_, d->region);
  std::erase_if(direct_, [&](const std::unique_ptr<DirectOp>& e) { return e.get() == d; });
}

void NetLink::abandonDirect() {
  // Closing the bulk comms cancels what they still have in flight: no user buffer is touched after.
  while (!direct_.empty()) releaseDirect(direct_.back().get());
  unpostedSends_.clear();
  unpostedRecvs_.clear();
  if (bulkSend_ != nullptr) transport_->closeSend(bulkSend_);
  if (bulkRecv_ != nullptr) transport_->closeRecv(bulkRecv_);
  bulkSend_ = bulkRecv_ = nullptr;
}

Status NetLink::failWith(Status s) {
  if (!failed(failure_)) failure_ = s;
  return s;
}

Status NetLink::postReceive(Slot& slot) {
  slot = Slot{std::move(slot.bytes), slot.region};
  HCCL_TRY(transport_->recv(recvComm_, slot.bytes.data(), kChunkBytes, tagOf(recvsPosted_), slot.region,
                            &slot.request));
  if (slot.request == nullptr)
    return failWith(fail(Status::RemoteError, "%s: the transport refused a receive", name_.c_str()));
  ++recvsPosted_;
  return Status::Success;
}

Status NetLink::reapSends() {
  while (sendsDone_ < sendsPosted_) {
    Slot& oldest = sends_[sendsDone_ % kSlots];
    bool done = false;
    if (Status s = transport_->test(oldest.request, &done, nullptr); failed(s)) return failWith(s);
    if (!done) break;
    oldest.request = nullptr;
    ++sendsDone_;
  }
  return Status::Success;
}

Status NetLink::push(bool* moved) {
  const uint64_t before = sendsDone_;
  HCCL_TRY(failure_);
  HCCL_TRY(reapSends());
  if (sendsDone_ != before) *moved = true;
  return Status::Success;
}

Status NetLink::write(const void* data, size_t bytes, size_t* done) {
  *done = 0;
  HCCL_TRY(failure_);
  HCCL_TRY(reapSends());
  if (bytes == 0 || sendsPosted_ - sendsDone_ == kSlots) return Status::Success;
  Slot& slot = sends_[sendsPosted_ % kSlots];
  const size_t n = std::min(bytes, kChunkBytes);
  memcpy(slot.bytes.data(), data, n);
  HCCL_TRY(transport_->send(sendComm_, slot.bytes.data(), n, tagOf(sendsPosted_), slot.region, &slot.request));
  if (slot.request == nullptr) return Status::Success;  // the transport cannot take it yet
  ++sendsPosted_;
  *done = n;
  return reapSends();  // started at once: a transport moves data only when tested
}

Status NetLink::arrived(Slot** out) {
  *out = nullptr;
  HCCL_TRY(failure_);
  HCCL_TRY(reapSends());  // a transport moves data only when tested: reading is when sends move too
  Slot& oldest = recvs_[recvsConsumed_ % kSlots];
  if (!oldest.arrived) {
    bool done = false;
    size_t bytes = 0;
    if (Status s = transport_->test(oldest.request, &done, &bytes); failed(s)) return failWith(s);
    if (!done) return Status::Success;
    if (bytes > kChunkBytes)
      return failWith(fail(Status::RemoteError, "%s: a %zu-byte message for a %zu-byte slot", name_.c_str(), bytes,
                           kChunkBytes));
    oldest.request = nullptr;
    oldest.arrived = true;
    oldest.filled = bytes;
  }
  *out = &oldest;
  return Status::Success;
}

Status NetLink::read(void* dst, size_t bytes, size_t* done) {
  *done = 0;
  while (*done < bytes) {
    Slot* slot = nullptr;
    HCCL_TRY(arrived(&slot));
    if (slot == nullptr) break;
    const size_t n = std::min(bytes - *done, slot->filled - slot->consumed);
    memcpy(static_cast<char*>(dst) + *done, slot->bytes.data() + slot->consumed, n);
    *done += n;
    consume(n);
    HCCL_TRY(failure_);
  }
  return Status::Success;
}

Status NetLink::peek(size_t minBytes, size_t maxBytes, const void** data, size_t* avail) {
  *avail = 0;
  Slot* slot = nullptr;
  HCCL_TRY(arrived(&slot));
  if (slot == nullptr) return Status::Success;
  if (slot->filled == slot->consumed) {  // an empty message: nothing to show, take the next
    consume(0);
    return failure_;
  }
  const size_t left = slot->filled - slot->consumed;
  if (left < minBytes) return Status::Success;
  *data = slot->bytes.data() + slot->consumed;
  *avail = std::min(left, maxBytes);
  return Status::Success;
}

void NetLink::consume(size_t bytes) {
  Slot& oldest = recvs_[recvsConsumed_ % kSlots];
  oldest.consumed += bytes;
  if (oldest.consumed < oldest.filled) return;
  ++recvsConsumed_;
  postReceive(oldest);  // a refusal is kept in failure_ and reported by the next call
}

Status NetLink::checkAlive() {
  HCCL_TRY(failure_);
  if (peerClosed(control_.fd()))
    return fail(Status::RemoteError, "%s: the peer process closed its link (exited or aborted)", name_.c_str());
  return Status::Success;
}

}  // namespace hccl::net
