#include "transport/tcp/tcp_link.h"

#include <errno.h>
#include <sys/socket.h>

#include <cstring>

#include "base/error.h"

namespace hccl {

TcpLink::TcpLink(Socket socket, size_t stagingBytes)
    : socket_(std::move(socket)), staging_(stagingBytes) {
  socket_.setNonBlocking();
  socket_.setNoDelay();
}

Status TcpLink::write(const void* data, size_t bytes, size_t* done) {
  *done = 0;
  ssize_t n = ::send(socket_.fd(), data, bytes, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n >= 0) {
    *done = static_cast<size_t>(n);
    return Status::Success;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return Status::Success;
  return fail(Status::RemoteError, "tcp send: %s", strerror(errno));
}

Status TcpLink::read(void* dst, size_t bytes, size_t* done) {
  size_t staged = end_ - begin_;
  if (staged > 0) {
    size_t n = staged < bytes ? staged : bytes;
    memcpy(dst, staging_.data() + begin_, n);
    consume(n);
    *done = n;
    return Status::Success;
  }
  *done = 0;
  ssize_t n = ::recv(socket_.fd(), dst, bytes, MSG_DONTWAIT);
  if (n > 0) {
    *done = static_cast<size_t>(n);
    return Status::Success;
  }
  if (n == 0) return fail(Status::RemoteError, "tcp: connection closed by peer");
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return Status::Success;
  return fail(Status::RemoteError, "tcp recv: %s", strerror(errno));
}

Status TcpLink::fill() {
  if (begin_ > 0 && (end_ == begin_ || staging_.size() - end_ < 4096)) {
    memmove(staging_.data(), staging_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == staging_.size()) return Status::Success;
  ssize_t n = ::recv(socket_.fd(), staging_.data() + end_, staging_.size() - end_, MSG_DONTWAIT);
  if (n > 0) {
    end_ += static_cast<size_t>(n);
    return Status::Success;
  }
  if (n == 0) return fail(Status::RemoteError, "tcp: connection closed by peer");
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return Status::Success;
  return fail(Status::RemoteError, "tcp recv: %s", strerror(errno));
}

Status TcpLink::peek(size_t minBytes, size_t maxBytes, const void** data, size_t* avail) {
  if (end_ - begin_ < maxBytes) HCCL_TRY(fill());
  size_t staged = end_ - begin_;
  if (staged < minBytes) {
    *avail = 0;
    return Status::Success;
  }
  *data = staging_.data() + begin_;
  *avail = staged < maxBytes ? staged : maxBytes;
  return Status::Success;
}

void TcpLink::consume(size_t bytes) {
  begin_ += bytes;
  if (begin_ == end_) begin_ = end_ = 0;
}

Status TcpLink::checkAlive() {
  if (peerClosed(socket_.fd())) return fail(Status::RemoteError, "tcp: peer closed the connection");
  return Status::Success;
}

}  // namespace hccl
