// The seam every network transport plugs into (UCX, RDMA verbs, NCCL's net plugins, sockets):
// messages, not a byte stream. A receiver posts a buffer under a tag, a sender sends into it;
// buffers may be registered first so a transport can move them without a copy (RDMA writes,
// UCX rendezvous). The shape is NCCL's net plugin API (ncclNet_v8…v10), so a plugin maps onto it
// one call per call, with Status for results and typed kinds of memory.
//
// Every call returns at once. connect() and accept() finish over several calls (the comm stays
// null until the connection is up); send() and recv() may refuse for now (the request stays
// null: call again later); test() moves the transport forward and says whether a request is
// done. One connection carries one direction: a sender's messages arrive in the order sent, and
// a receive matches the next message only when the tags agree.
//
// Objects a transport hands out (listen, send and receive comms, memory regions, requests) are
// opaque and stay valid until closed (comms, regions) or until test() reports them done
// (requests). Calls on one comm come from one thread at a time; different comms (of different
// communicators) may be used from different threads at once, as NCCL's proxies use plugins.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace hccl::net {

// Kinds of memory a device can register, as bits.
enum MemoryKind : uint32_t {
  kHostMemory = 1u << 0,
  kCudaMemory = 1u << 1,
  kHipMemory = 1u << 2,
};

struct NetDevice {
  std::string name;     // for logs: "mlx5_0", "eth0"
  std::string pciPath;  // in /sys, for topology ("" unknown)
  double gbps = 0;      // link speed, Gb/s
  double latencyUs = 0;
  uint32_t memoryKinds = kHostMemory;  // MemoryKind bits it can register
  int maxComms = 0;                    // connections it can hold (0: no limit known)
  bool regIsGlobal = false;            // a region serves every comm, not just the one it was made on
  bool forceFlush = false;             // received device memory needs flush() before use
};

// What a listener publishes and a connector reads, exchanged over the pair's bootstrap socket:
// at most kMaxHandleBytes (an NCCL plugin's are 128 bytes, UCX's carry a worker address). It is
// also the connector's scratch while the connection is being made (as in NCCL), so keep it in
// place until connect() returns a comm.
constexpr size_t kMaxHandleBytes = 4096;
struct ConnectHandle {
  std::vector<unsigned char> bytes;
};

class NetTransport {
 public:
  virtual ~NetTransport() = default;

  virtual const char* name() const = 0;
  virtual int deviceCount() const = 0;
  virtual Status device(int index, NetDevice* out) = 0;

  virtual Status listen(int device, ConnectHandle* handle, void** listenComm) = 0;
  virtual Status connect(int device, ConnectHandle* handle, void** sendComm) = 0;
  virtual Status accept(void* listenComm, void** recvComm) = 0;

  // `comm` is a send or receive comm. Register before a transfer, deregister after it.
  virtual Status registerMemory(void* comm, void* data, size_t bytes, MemoryKind kind, void** region) = 0;
  virtual Status deregisterMemory(void* comm, void* region) = 0;

  virtual Status send(void* sendComm, void* data, size_t bytes, uint32_t tag, void* region, void** request) = 0;
  // `bytes` is the most the message may hold; test() says how many arrived.
  virtual Status recv(void* recvComm, void* data, size_t bytes, uint32_t tag, void* region, void** request) = 0;
  // Makes received device memory visible to the device; *request null: nothing to wait for.
  virtual Status flush(void* recvComm, void* data, size_t bytes, void* region, void** request) = 0;
  // *done once the request finished (it is then gone); *bytes: what it moved.
  virtual Status test(void* request, bool* done, size_t* bytes) = 0;

  // A descriptor that turns readable when the transport has work (UCX's wake-up fd), or -1: it
  // must be polled (NCCL plugins). armWait(): whether one may sleep on it now (false: work is
  // pending already, so progress instead).
  virtual int waitFd() { return -1; }
  virtual bool armWait() { return false; }

  virtual Status closeSend(void* sendComm) = 0;
  virtual Status closeRecv(void* recvComm) = 0;
  virtual Status closeListen(void* listenComm) = 0;
};

}  // namespace hccl::net
