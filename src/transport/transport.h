// The transport interface: a Link is a reliable, ordered, bidirectional byte stream to one peer,
// driven without blocking. Every transport (tcp, shm; later ucx, verbs, device IPC) implements it
// and passes the same conformance tests. Tagged messages, flow control and matching are built
// once on top of it, in messenger.h, so a transport only has to move bytes.
#pragma once

#include <cstddef>
#include <memory>

#include "base/status.h"

namespace hccl {

class Link {
 public:
  virtual ~Link() = default;

  virtual const char* name() const = 0;

  // Accepts up to `bytes` for sending; *done may be 0 when the stream is full.
  virtual Status write(const void* data, size_t bytes, size_t* done) = 0;
  // Reads up to `bytes` into dst; *done may be 0 when nothing has arrived.
  virtual Status read(void* dst, size_t bytes, size_t* done) = 0;
  // A view of received bytes without copying them out: at least `minBytes` contiguous bytes
  // (and at most `maxBytes`), or *avail = 0 when fewer have arrived. Release with consume().
  // minBytes is at most 8; a stream written in 8-byte-aligned pieces never splits an element.
  virtual Status peek(size_t minBytes, size_t maxBytes, const void** data, size_t* avail) = 0;
  virtual void consume(size_t bytes) = 0;

  // RemoteError when the peer has gone away (process died or link closed).
  virtual Status checkAlive() = 0;
  // Closes our side so the peer sees the link fail; used to spread an abort.
  virtual void shutdown() = 0;
  // A descriptor that turns readable when bytes arrive, for idle waits; -1 when the link must
  // be polled by reading (shared memory).
  virtual int waitFd() const = 0;
  // Readies waitFd() for a sleep; false when work is pending there already (do not sleep).
  virtual bool armWait() { return true; }
  // Whether the peer rings this rank's doorbell (shm/doorbell.h) whenever it writes to us or
  // makes room for us: then an idle rank may sleep on the doorbell.
  virtual bool ringsDoorbell() const { return false; }
  // Whether bytes write() accepted still need calls on this link (any of them) to leave the
  // process: a transport that moves data only when asked (net plugins). Until they left, the
  // rank keeps calling, even when it has nothing else to do.
  virtual bool sending() const { return false; }
  // Moves such bytes on; sets *moved when some left.
  virtual Status push(bool* /*moved*/) { return Status::Success; }

  // Single copy: whether the peer can read this process's memory itself (so a large message
  // need not cross the link), and reading `bytes` at `address` in the peer's memory into dst
  // (only where the peer let us: canReadPeer()).
  virtual bool peerCanReadUs() const { return false; }
  virtual bool canReadPeer() const { return false; }
  virtual Status readPeer(void* dst, uint64_t address, size_t bytes);

  // Direct messages (network links): the transport moves a granted message itself, from the
  // sender's buffer straight into the receiver's, with no copy by hccl. Both ends start them in
  // the order of the receiver's grants, which is what pairs a send with its receive.
  // directMinBytes(): the smallest message worth it (0: this link has none).
  virtual size_t directMinBytes() const { return 0; }
  virtual Status startDirect(bool receive, void* data, size_t bytes, void** op);
  // *done once the message has left (a send) or arrived whole (a receive); op is then gone.
  virtual Status testDirect(void* op, bool* done);
  // Stops every direct message in flight (after a failure): no buffer is touched afterwards.
  virtual void abandonDirect() {}
};

inline Status Link::readPeer(void*, uint64_t, size_t) { return Status::InternalError; }
inline Status Link::startDirect(bool, void*, size_t, void**) { return Status::InternalError; }
inline Status Link::testDirect(void*, bool*) { return Status::InternalError; }

using LinkPtr = std::unique_ptr<Link>;

}  // namespace hccl
