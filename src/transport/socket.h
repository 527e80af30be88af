// TCP sockets for bootstrap and the TCP transport: addresses, listening, connecting, and
// deadline-bounded blocking I/O. Every wait takes a deadline; nothing blocks forever.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "base/clock.h"
#include "base/status.h"

namespace hccl {

// A fixed-size, network-portable socket address (IPv4 or IPv6), as carried in ids and tables.
struct SocketAddress {
  uint16_t family = 0;  // AF_INET or AF_INET6
  uint16_t port = 0;    // host byte order
  uint8_t addr[16] = {};
  uint32_t scopeId = 0;

  bool valid() const { return family == AF_INET || family == AF_INET6; }
  socklen_t toSockaddr(sockaddr_storage* out) const;
  static SocketAddress fromSockaddr(const sockaddr* sa);
  std::string str() const;
};

// Which interfaces and address family sockets may use (NCCL_SOCKET_IFNAME, NCCL_SOCKET_FAMILY).
struct SocketSettings {
  std::string interfaces;  // prefix list; ^ excludes; = exact; empty: any but lo and docker*
  std::string family;      // "AF_INET", "AF_INET6", or empty for either
};

// The address this process advertises to peers: the interface `settings` selects, else the
// first non-loopback interface that is up, else loopback.
Status findLocalAddress(const SocketSettings& settings, SocketAddress* out, std::string* interfaceName);

class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  Socket(Socket&& other) noexcept : fd_(other.release()) {}
  Socket& operator=(Socket&& other) noexcept;
  ~Socket() { close(); }

  int fd() const { return fd_; }
  bool isOpen() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void close();
  // Wakes anyone blocked on this socket and tells the peer we are gone.
  void shutdown();

  // Binds to `addr` (port 0: any) and listens; `addr` gets the bound port.
  Status listen(SocketAddress* addr);
  Status accept(Socket* out, Deadline deadline);
  Status connect(const SocketAddress& addr, Deadline deadline);

  Status sendAll(const void* data, size_t bytes, Deadline deadline);
  Status recvAll(void* data, size_t bytes, Deadline deadline);

  Status setNonBlocking();
  void setNoDelay();

 private:
  int fd_ = -1;
};

// Whether the peer of connected socket `fd` has closed or reset it (checks without reading).
bool peerClosed(int fd);

// Makes every socket wait of this thread give up (Status::Aborted) once *flag turns true; how
// ncclCommAbort interrupts a communicator that is still bootstrapping. nullptr clears it.
void setSocketAbortFlag(const std::atomic<bool>* flag);
// Whether that flag has turned true (for other waits of the same thread).
bool socketWaitAborted();

}  // namespace hccl
