#include "transport/socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <cstring>

#include "base/error.h"

namespace hccl {
namespace {

thread_local const std::atomic<bool>* tAbortFlag = nullptr;

int msUntil(Deadline deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return 0;
  return left > 100 ? 100 : static_cast<int>(left);  // wake often enough to notice an abort
}

// Waits until fd is ready for `events`; Timeout when the deadline passes.
Status waitFd(int fd, short events, Deadline deadline, const char* what) {
  for (;;) {
    pollfd p{fd, events, 0};
    int rc = ::poll(&p, 1, msUntil(deadline));
    if (rc > 0) {
      if (p.revents & POLLNVAL) return fail(Status::SystemError, "%s: socket closed locally", what);
      return Status::Success;  // readable, writable, or an error the next call reports
    }
    if (rc < 0 && errno != EINTR) return fail(Status::SystemError, "%s: poll: %s", what, strerror(errno));
    if (socketWaitAborted()) return fail(Status::Aborted, "%s: communicator aborted", what);
    if (Clock::now() >= deadline) return fail(Status::RemoteError, "%s: timed out", what);
  }
}

struct InterfaceFilter {
  std::string names;
  bool exclude = false;
  bool exact = false;

  explicit InterfaceFilter(std::string spec) {
    if (!spec.empty() && spec[0] == '^') { exclude = true; spec.erase(0, 1); }
    if (!spec.empty() && spec[0] == '=') { exact = true; spec.erase(0, 1); }
    names = spec;
  }
  bool matches(const char* ifname) const {
    size_t pos = 0;
    while (pos <= names.size()) {
      size_t comma = names.find(',', pos);
      std::string token = names.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      bool hit = exact ? token == ifname : (!token.empty() && strncmp(ifname, token.c_str(), token.size()) == 0);
      if (hit) return !exclude;
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
    return exclude;
  }
};

}  // namespace

void setSocketAbortFlag(const std::atomic<bool>* flag) { tAbortFlag = flag; }

bool socketWaitAborted() { return tAbortFlag != nullptr && tAbortFlag->load(std::memory_order_acquire); }

bool peerClosed(int fd) {
  pollfd p{fd, POLLRDHUP, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

socklen_t SocketAddress::toSockaddr(sockaddr_storage* out) const {
  memset(out, 0, sizeof(*out));
  if (family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(out);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    memcpy(&sin->sin_addr, addr, 4);
    return sizeof(sockaddr_in);
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(out);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(port);
  memcpy(&sin6->sin6_addr, addr, 16);
  sin6->sin6_scope_id = scopeId;
  return sizeof(sockaddr_in6);
}

SocketAddress SocketAddress::fromSockaddr(const sockaddr* sa) {
  SocketAddress out;
  if (sa->sa_family == AF_INET) {
    auto* sin = reinterpret_cast<const sockaddr_in*>(sa);
    out.family = AF_INET;
    out.port = ntohs(sin->sin_port);
    memcpy(out.addr, &sin->sin_addr, 4);
  } else if (sa->sa_family == AF_INET6) {
    auto* sin6 = reinterpret_cast<const sockaddr_in6*>(sa);
    out.family = AF_INET6;
    out.port = ntohs(sin6->sin6_port);
    memcpy(out.addr, &sin6->sin6_addr, 16);
    out.scopeId = sin6->sin6_scope_id;
  }
  return out;
}

std::string SocketAddress::str() const {
  char text[INET6_ADDRSTRLEN] = "?";
  inet_ntop(family == AF_INET ? AF_INET : AF_INET6, addr, text, sizeof(text));
  return family == AF_INET6 ? "[" + std::string(text) + "]:" + std::to_string(port)
                            : std::string(text) + ":" + std::to_string(port);
}

Status findLocalAddress(const SocketSettings& settings, SocketAddress* out, std::string* interfaceName) {
  const std::string& spec = settings.interfaces;
  const std::string& family = settings.family;
  int wantFamily = family == "AF_INET" ? AF_INET : family == "AF_INET6" ? AF_INET6 : AF_UNSPEC;
  InterfaceFilter filter(spec.empty() ? "^docker,lo" : spec);
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return fail(Status::SystemError, "getifaddrs: %s", strerror(errno));
  // Two passes: interfaces the filter accepts, then (with no user filter) loopback.
  for (int pass = 0; pass < 2; ++pass) {
    for (ifaddrs* ifa = list; ifa != nullptr; ifa = ifa->ifa_next) {
      if (ifa->ifa_addr == nullptr || !(ifa->ifa_flags & IFF_UP)) continue;
      int fam = ifa->ifa_addr->sa_family;
      if (fam != AF_INET && fam != AF_INET6) continue;
      if (wantFamily != AF_UNSPEC && fam != wantFamily) continue;
      bool accepted = pass == 0 ? filter.matches(ifa->ifa_name)
                                : (spec.empty() && (ifa->ifa_flags & IFF_LOOPBACK));
      if (!accepted) continue;
      if (fam == AF_INET6) {  // link-local addresses need scope handling peers may lack
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(ifa->ifa_addr);
        if (IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr)) continue;
      }
      *out = SocketAddress::fromSockaddr(ifa->ifa_addr);
      out->port = 0;
      *interfaceName = ifa->ifa_name;
      freeifaddrs(list);
      return Status::Success;
    }
  }
  freeifaddrs(list);
  return fail(Status::SystemError, "no usable network interface (NCCL_SOCKET_IFNAME=%s)", spec.c_str());
}

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = other.release();
  }
  return *this;
}

void Socket::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void Socket::shutdown() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

Status Socket::listen(SocketAddress* addr) {
  close();
  sockaddr_storage ss;
  socklen_t len = addr->toSockaddr(&ss);
  fd_ = ::socket(addr->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return fail(Status::SystemError, "socket: %s", strerror(errno));
  int one = 1;
  setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0)
    return fail(Status::SystemError, "bind %s: %s", addr->str().c_str(), strerror(errno));
  if (::listen(fd_, 16384) != 0) return fail(Status::SystemError, "listen: %s", strerror(errno));
  len = sizeof(ss);
  getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
  addr->port = SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&ss)).port;
  return Status::Success;
}

Status Socket::accept(Socket* out, Deadline deadline) {
  for (;;) {
    HCCL_TRY(waitFd(fd_, POLLIN, deadline, "accept"));
    int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      *out = Socket(fd);
      out->setNoDelay();
      return Status::Success;
    }
    if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
      return fail(Status::SystemError, "accept: %s", strerror(errno));
  }
}

Status Socket::connect(const SocketAddress& addr, Deadline deadline) {
  sockaddr_storage ss;
  socklen_t len = addr.toSockaddr(&ss);
  // A peer's listener may not exist yet (or its backlog may be full): retry until the deadline.
  for (int attempt = 0;; ++attempt) {
    close();
    fd_ = ::socket(addr.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return fail(Status::SystemError, "socket: %s", strerror(errno));
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&ss), len) == 0) {
      setNoDelay();
      return Status::Success;
    }
    int err = errno;
    if (err != ECONNREFUSED && err != ETIMEDOUT && err != EINTR && err != EAGAIN && err != ENETUNREACH)
      return fail(Status::SystemError, "connect %s: %s", addr.str().c_str(), strerror(err));
    if (Clock::now() >= deadline)
      return fail(Status::RemoteError, "connect %s: %s (gave up)", addr.str().c_str(), strerror(err));
    if (socketWaitAborted()) return fail(Status::Aborted, "connect %s: communicator aborted", addr.str().c_str());
    usleep(attempt < 10 ? 1000 : 20000);
  }
}

Status Socket::sendAll(const void* data, size_t bytes, Deadline deadline) {
  const char* p = static_cast<const char*>(data);
  while (bytes > 0) {
    ssize_t n = ::send(fd_, p, bytes, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      p += n;
      bytes -= static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      HCCL_TRY(waitFd(fd_, POLLOUT, deadline, "send"));
      continue;
    }
    return fail(Status::RemoteError, "send: %s", n < 0 ? strerror(errno) : "connection closed");
  }
  return Status::Success;
}

Status Socket::recvAll(void* data, size_t bytes, Deadline deadline) {
  char* p = static_cast<char*>(data);
  while (bytes > 0) {
    ssize_t n = ::recv(fd_, p, bytes, MSG_DONTWAIT);
    if (n > 0) {
      p += n;
      bytes -= static_cast<size_t>(n);
      continue;
    }
    if (n == 0) return fail(Status::RemoteError, "recv: connection closed by peer");
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      HCCL_TRY(waitFd(fd_, POLLIN, deadline, "recv"));
      continue;
    }
    return fail(Status::RemoteError, "recv: %s", strerror(errno));
  }
  return Status::Success;
}

Status Socket::setNonBlocking() {
  int flags = fcntl(fd_, F_GETFL, 0);
  if (flags < 0 || fcntl(fd_, F_SETFL, flags | O_NONBLOCK) != 0)
    return fail(Status::SystemError, "fcntl O_NONBLOCK: %s", strerror(errno));
  return Status::Success;
}

void Socket::setNoDelay() {
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

}  // namespace hccl
