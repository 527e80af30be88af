// A small NCCL net plugin for the tests, over loopback TCP: one device, host memory, one receive
// per irecv. Built three times (TEST_NET_VERSION 8, 9, 10), each exporting only that version's
// table, as libnccl-net-hccltest<version>.so. A message is a 16-byte header (tag, size) and the
// bytes; requests of one comm complete in the order they were posted, each as test() moves it.
// A memory region must cover what is sent from or received into it; the last messages moved are
// kept so a test can tell where the bytes came from and went (hcclTestNetMoved).
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <deque>

#include "transport/net/nccl_net_abi.h"

namespace {

struct Header {
  int64_t tag;
  int64_t size;
};

// What listen() writes into the handle, and connect()'s progress kept there.
struct HandleState {
  sockaddr_in address;
  int stage;  // 0: not started, 1: connecting
  int fd;
};
static_assert(sizeof(HandleState) <= 128);

struct Comm;
struct Request {
  Comm* comm;
  bool isSend;
  char* data;
  int64_t capacity;  // a receive's buffer; a send's size
  int64_t tag;
  bool registered;   // posted with a region
  Header header{};
  size_t headerDone = 0, dataDone = 0;
  bool done = false;
};

struct Comm {
  int fd;
  std::deque<Request*> queue;  // posted, not yet finished
};

struct Listener {
  int fd;
};

struct Region {
  const char* begin;
  size_t bytes;
};

// The last messages that finished, newest last, for hcclTestNetMoved.
struct Moved {
  bool isSend;
  const char* data;
  uint64_t bytes;
  bool registered;
};
constexpr size_t kMovedKept = 4096;
Moved moved[kMovedKept];
uint64_t movedCount = 0;

void recordMoved(const Request& r) {
  const int64_t bytes = r.isSend ? r.capacity : r.header.size;
  moved[movedCount++ % kMovedKept] = Moved{r.isSend, r.data, static_cast<uint64_t>(bytes), r.registered};
}

ncclResult_t setNonBlocking(int fd) {
  const int flags = fcntl(fd, F_GETFL);
  return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 ? ncclSuccess : ncclSystemError;
}

// Moves `want` bytes at `p` one way; false when the peer is gone or the socket failed.
bool move(int fd, bool out, char* p, size_t want, size_t* done) {
  while (*done < want) {
    const ssize_t n = out ? ::send(fd, p + *done, want - *done, MSG_NOSIGNAL) : ::recv(fd, p + *done, want - *done, 0);
    if (n > 0) {
      *done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return true;
    return false;  // 0: the peer closed; else an error
  }
  return true;
}

// Advances the comm's oldest requests as far as the socket allows.
ncclResult_t progress(Comm* c) {
  while (!c->queue.empty()) {
    Request* r = c->queue.front();
    if (r->isSend) {
      if (!move(c->fd, true, reinterpret_cast<char*>(&r->header), sizeof(Header), &r->headerDone))
        return ncclRemoteError;
      if (r->headerDone < sizeof(Header)) return ncclSuccess;
      if (!move(c->fd, true, r->data, static_cast<size_t>(r->capacity), &r->dataDone)) return ncclRemoteError;
      if (r->dataDone < static_cast<size_t>(r->capacity)) return ncclSuccess;
    } else {
      if (!move(c->fd, false, reinterpret_cast<char*>(&r->header), sizeof(Header), &r->headerDone))
        return ncclRemoteError;
      if (r->headerDone < sizeof(Header)) return ncclSuccess;
      if (r->header.tag != r->tag || r->header.size < 0 || r->header.size > r->capacity) return ncclInvalidUsage;
      if (!move(c->fd, false, r->data, static_cast<size_t>(r->header.size), &r->dataDone)) return ncclRemoteError;
      if (r->dataDone < static_cast<size_t>(r->header.size)) return ncclSuccess;
    }
    r->done = true;
    recordMoved(*r);
    c->queue.pop_front();
  }
  return ncclSuccess;
}

ncclResult_t init(ncclNetLogger_t) { return ncclSuccess; }
[[maybe_unused]] ncclResult_t init10(ncclNetLogger_t logger, ncclNetProfilerCallback_t) { return init(logger); }
ncclResult_t devices(int* n) {
  *n = 1;
  return ncclSuccess;
}

template <class Properties>
ncclResult_t properties(int dev, Properties* p) {
  if (dev != 0) return ncclInvalidArgument;
  static char name[] = "hccltest-lo";
  *p = Properties{};
  p->name = name;
  p->ptrSupport = kNcclNetPtrHost;
  p->speed = 10000;
  p->latency = 10;
  p->maxComms = 1024;
  p->maxRecvs = 1;
  return ncclSuccess;
}

ncclResult_t listenOn(int dev, void* handle, void** listenComm) {
  if (dev != 0) return ncclInvalidArgument;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  HandleState state{};
  state.address.sin_family = AF_INET;
  state.address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(state.address);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&state.address), sizeof(state.address)) != 0 ||
      ::listen(fd, 64) != 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&state.address), &length) != 0 ||
      setNonBlocking(fd) != ncclSuccess) {
    if (fd >= 0) ::close(fd);
    return ncclSystemError;
  }
  memcpy(handle, &state, sizeof(state));
  *listenComm = new Listener{fd};
  return ncclSuccess;
}

ncclResult_t connectTo(int dev, void* handle, void** sendComm) {
  *sendComm = nullptr;
  if (dev != 0) return ncclInvalidArgument;
  HandleState state;
  memcpy(&state, handle, sizeof(state));
  if (state.stage == 0) {
    state.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (state.fd < 0) return ncclSystemError;
    const int one = 1;
    setsockopt(state.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (::connect(state.fd, reinterpret_cast<sockaddr*>(&state.address), sizeof(state.address)) != 0 &&
        errno != EINPROGRESS) {
      ::close(state.fd);
      return ncclSystemError;
    }
    state.stage = 1;
    memcpy(handle, &state, sizeof(state));
  }
  int error = 0;
  socklen_t length = sizeof(error);
  sockaddr_in peer{};
  socklen_t peerLength = sizeof(peer);
  if (::getpeername(state.fd, reinterpret_cast<sockaddr*>(&peer), &peerLength) != 0) {
    // Not connected yet, and no error: still connecting.
    if (getsockopt(state.fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0) return ncclSuccess;
    ::close(state.fd);
    return ncclSystemError;
  }
  *sendComm = new Comm{state.fd, {}};
  return ncclSuccess;
}

[[maybe_unused]] ncclResult_t connect8(int dev, void* handle, void** sendComm, ncclNetDeviceHandle_abi**) {
  return connectTo(dev, handle, sendComm);
}
[[maybe_unused]] ncclResult_t connect10(int dev, ncclNetCommConfig_v10_abi*, void* handle, void** sendComm,
                                        ncclNetDeviceHandle_abi**) {
  return connectTo(dev, handle, sendComm);
}

ncclResult_t acceptFrom(void* listenComm, void** recvComm, ncclNetDeviceHandle_abi**) {
  *recvComm = nullptr;
  const int fd = ::accept4(static_cast<Listener*>(listenComm)->fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? ncclSuccess : ncclSystemError;
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  *recvComm = new Comm{fd, {}};
  return ncclSuccess;
}

ncclResult_t regMr(void*, void* data, size_t size, int type, void** mhandle) {
  if (type != kNcclNetPtrHost || (data == nullptr && size > 0)) return ncclInvalidArgument;
  *mhandle = new Region{static_cast<const char*>(data), size};
  return ncclSuccess;
}
ncclResult_t regMrDmaBuf(void*, void*, size_t, int, uint64_t, int, void**) { return ncclInvalidUsage; }
ncclResult_t deregMr(void*, void* mhandle) {
  if (mhandle == nullptr) return ncclInvalidArgument;
  delete static_cast<Region*>(mhandle);
  return ncclSuccess;
}

ncclResult_t post(void* comm, bool isSend, void* data, int64_t size, int tag, void* mhandle, void** request) {
  auto* c = static_cast<Comm*>(comm);
  const auto* region = static_cast<const Region*>(mhandle);
  const char* begin = static_cast<const char*>(data);
  if (region != nullptr && (begin < region->begin || begin + size > region->begin + region->bytes))
    return ncclInvalidArgument;  // a region must cover the buffer
  auto* r = new Request{c, isSend, static_cast<char*>(data), size, tag, region != nullptr};
  r->header = Header{tag, size};
  c->queue.push_back(r);
  *request = r;
  return ncclSuccess;
}

[[maybe_unused]] ncclResult_t isend8(void* comm, void* data, int size, int tag, void* mhandle, void** request) {
  return post(comm, true, data, size, tag, mhandle, request);
}
[[maybe_unused]] ncclResult_t isend9(void* comm, void* data, size_t size, int tag, void* mhandle, void** request) {
  return post(comm, true, data, static_cast<int64_t>(size), tag, mhandle, request);
}
[[maybe_unused]] ncclResult_t isend10(void* comm, void* data, size_t size, int tag, void* mhandle, void*,
                                      void** request) {
  return post(comm, true, data, static_cast<int64_t>(size), tag, mhandle, request);
}
[[maybe_unused]] ncclResult_t irecv8(void* comm, int n, void** data, int* sizes, int* tags, void** mhandles,
                                     void** request) {
  if (n != 1) return ncclInvalidArgument;
  return post(comm, false, data[0], sizes[0], tags[0], mhandles != nullptr ? mhandles[0] : nullptr, request);
}
[[maybe_unused]] ncclResult_t irecv9(void* comm, int n, void** data, size_t* sizes, int* tags, void** mhandles,
                                     void** request) {
  if (n != 1) return ncclInvalidArgument;
  return post(comm, false, data[0], static_cast<int64_t>(sizes[0]), tags[0],
              mhandles != nullptr ? mhandles[0] : nullptr, request);
}
[[maybe_unused]] ncclResult_t irecv10(void* comm, int n, void** data, size_t* sizes, int* tags, void** mhandles, void**,
                                      void** request) {
  return irecv9(comm, n, data, sizes, tags, mhandles, request);
}

ncclResult_t iflush(void*, int, void**, int*, void**, void** request) {
  *request = nullptr;  // host memory: nothing to flush
  return ncclSuccess;
}

ncclResult_t test(void* request, int* done, int* sizes) {
  auto* r = static_cast<Request*>(request);
  const ncclResult_t moved = progress(r->comm);
  if (moved != ncclSuccess && !r->done) return moved;  // a later request's failure waits for its own test()
  *done = r->done;
  if (!r->done) return ncclSuccess;
  if (sizes != nullptr) *sizes = static_cast<int>(r->isSend ? r->capacity : r->header.size);
  delete r;
  return ncclSuccess;
}

ncclResult_t closeComm(void* comm) {
  auto* c = static_cast<Comm*>(comm);
  for (Request* r : c->queue) delete r;
  ::close(c->fd);
  delete c;
  return ncclSuccess;
}
ncclResult_t closeListen(void* listenComm) {
  auto* l = static_cast<Listener*>(listenComm);
  ::close(l->fd);
  delete l;
  return ncclSuccess;
}
ncclResult_t getDeviceMr(void*, void*, void**) { return ncclInvalidUsage; }
ncclResult_t irecvConsumed(void*, int, void*) { return ncclSuccess; }
[[maybe_unused]] ncclResult_t makeVDevice(int*, ncclNetVDeviceProps_abi*) { return ncclInvalidUsage; }

}  // namespace

extern "C" {
// Of the last messages moved (at most 4096): the bytes sent from and received into
// [begin, begin + bytes) under a region covering them, and all bytes moved either way.
__attribute__((visibility("default"))) void hcclTestNetMoved(const void* begin, size_t bytes, uint64_t* sentFrom,
                                                             uint64_t* receivedInto, uint64_t* all) {
  *sentFrom = *receivedInto = *all = 0;
  const auto* lo = static_cast<const char*>(begin);
  for (uint64_t i = movedCount > kMovedKept ? movedCount - kMovedKept : 0; i < movedCount; ++i) {
    const Moved& m = moved[i % kMovedKept];
    *all += m.bytes;
    if (!m.registered || m.data < lo || m.data + m.bytes > lo + bytes) continue;
    *(m.isSend ? sentFrom : receivedInto) += m.bytes;
  }
}
// Forgets what was moved so far.
__attribute__((visibility("default"))) void hcclTestNetForget() { movedCount = 0; }

#if TEST_NET_VERSION == 8
__attribute__((visibility("default"))) ncclNet_v8_abi ncclNetPlugin_v8 = {
    "hccltest8", init, devices, properties<ncclNetProperties_v8_abi>, listenOn, connect8, acceptFrom, regMr,
    regMrDmaBuf, deregMr, isend8, irecv8, iflush, test, closeComm, closeComm, closeListen, getDeviceMr,
    irecvConsumed};
#elif TEST_NET_VERSION == 9
__attribute__((visibility("default"))) ncclNet_v9_abi ncclNetPlugin_v9 = {
    "hccltest9", init, devices, properties<ncclNetProperties_v9_abi>, listenOn, connect8, acceptFrom, regMr,
    regMrDmaBuf, deregMr, isend9, irecv9, iflush, test, closeComm, closeComm, closeListen, getDeviceMr,
    irecvConsumed, makeVDevice};
#elif TEST_NET_VERSION == 10
__attribute__((visibility("default"))) ncclNet_v10_abi ncclNetPlugin_v10 = {
    "hccltest10", init10, devices, properties<ncclNetProperties_v9_abi>, listenOn, connect10, acceptFrom, regMr,
    regMrDmaBuf, deregMr, isend10, irecv10, iflush, test, closeComm, closeComm, closeListen, getDeviceMr,
    irecvConsumed, makeVDevice};
#else
#error "TEST_NET_VERSION must be 8, 9 or 10"
#endif
}
