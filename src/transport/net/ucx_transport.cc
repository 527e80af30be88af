#include "transport/net/ucx_transport.h"

#include "base/error.h"

#if HCCL_HAVE_UCX

#include <dlfcn.h>
#include <ucp/api/ucp.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "base/params.h"

namespace hccl::net {
namespace {

constexpr uint32_t kHandleMagic = 0x55435831;      // "UCX1"
constexpr uint64_t kHelloBit = uint64_t{1} << 31;  // a connector's hello, not a message
constexpr uint64_t kAckBit = uint64_t{1} << 30;    // the listener's answer to it
constexpr uint64_t kTagMask = ~uint64_t{0};
constexpr size_t kMaxAddressBytes = 4000;
constexpr double kCloseSeconds = 2;

// UCX's peer failure mode keeps it to protocols that survive a peer's death: over TCP that is
// copy-in/copy-out on one connection, half the speed of its zero-copy rendezvous over every lane
// (bench/RESULTS.md). Without it a dead peer still fails the requests waiting on it (UCX's TCP
// sees the connection reset), and a NetLink notices the death on its bootstrap socket anyway.
StringParam errModeParam("UCX_ERR_MODE", "none",
                         "none: UCX picks its fastest protocols; peer: endpoints in UCX's peer failure mode "
                         "(slower over TCP)",
                         false);

// The UCP calls hccl makes, from libucp.so.0.
struct Ucp {
  ucs_status_t (*configRead)(const char*, const char*, ucp_config_t**);
  void (*configRelease)(ucp_config_t*);
  ucs_status_t (*initVersion)(unsigned, unsigned, const ucp_params_t*, const ucp_config_t*, ucp_context_h*);
  void (*cleanup)(ucp_context_h);
  ucs_status_t (*workerCreate)(ucp_context_h, const ucp_worker_params_t*, ucp_worker_h*);
  void (*workerDestroy)(ucp_worker_h);
  ucs_status_t (*workerGetAddress)(ucp_worker_h, ucp_address_t**, size_t*);
  ucs_status_t (*workerGetEfd)(ucp_worker_h, int*);
  ucs_status_t (*workerArm)(ucp_worker_h);
  void (*workerReleaseAddress)(ucp_worker_h, ucp_address_t*);
  unsigned (*workerProgress)(ucp_worker_h);
  ucs_status_t (*epCreate)(ucp_worker_h, const ucp_ep_params_t*, ucp_ep_h*);
  ucs_status_ptr_t (*epCloseNbx)(ucp_ep_h, const ucp_request_param_t*);
  ucs_status_ptr_t (*tagSendNbx)(ucp_ep_h, const void*, size_t, ucp_tag_t, const ucp_request_param_t*);
  ucs_status_ptr_t (*tagRecvNbx)(ucp_worker_h, void*, size_t, ucp_tag_t, ucp_tag_t, const ucp_request_param_t*);
  ucs_status_t (*requestCheckStatus)(void*);
  ucs_status_t (*tagRecvRequestTest)(void*, ucp_tag_recv_info_t*);
  void (*requestCancel)(ucp_worker_h, void*);
  void (*requestFree)(void*);
};

Status loadUcp(Ucp* u) {
  static void* library = dlopen("libucp.so.0", RTLD_NOW | RTLD_LOCAL);  // kept for the process
  if (library == nullptr) return fail(Status::SystemError, "UCX: cannot open libucp.so.0 (%s)", dlerror());
  struct Entry {
    void** slot;
    const char* name;
  };
  const Entry entries[] = {
      {reinterpret_cast<void**>(&u->configRead), "ucp_config_read"},
      {reinterpret_cast<void**>(&u->configRelease), "ucp_config_release"},
      {reinterpret_cast<void**>(&u->initVersion), "ucp_init_version"},
      {reinterpret_cast<void**>(&u->cleanup), "ucp_cleanup"},
      {reinterpret_cast<void**>(&u->workerCreate), "ucp_worker_create"},
      {reinterpret_cast<void**>(&u->workerDestroy), "ucp_worker_destroy"},
      {reinterpret_cast<void**>(&u->workerGetAddress), "ucp_worker_get_address"},
      {reinterpret_cast<void**>(&u->workerGetEfd), "ucp_worker_get_efd"},
      {reinterpret_cast<void**>(&u->workerArm), "ucp_worker_arm"},
      {reinterpret_cast<void**>(&u->workerReleaseAddress), "ucp_worker_release_address"},
      {reinterpret_cast<void**>(&u->workerProgress), "ucp_worker_progress"},
      {reinterpret_cast<void**>(&u->epCreate), "ucp_ep_create"},
      {reinterpret_cast<void**>(&u->epCloseNbx), "ucp_ep_close_nbx"},
      {reinterpret_cast<void**>(&u->tagSendNbx), "ucp_tag_send_nbx"},
      {reinterpret_cast<void**>(&u->tagRecvNbx), "ucp_tag_recv_nbx"},
      {reinterpret_cast<void**>(&u->requestCheckStatus), "ucp_request_check_status"},
      {reinterpret_cast<void**>(&u->tagRecvRequestTest), "ucp_tag_recv_request_test"},
      {reinterpret_cast<void**>(&u->requestCancel), "ucp_request_cancel"},
      {reinterpret_cast<void**>(&u->requestFree), "ucp_request_free"},
  };
  for (const Entry& e : entries) {
    *e.slot = dlsym(library, e.name);
    if (*e.slot == nullptr) return fail(Status::SystemError, "UCX: libucp.so.0 has no %s", e.name);
  }
  return Status::Success;
}

struct Request;

// Every comm: its endpoint, whether the peer failed (set by UCX's error callback), and the
// requests posted on it that nobody has seen finish yet (cancelled when it closes).
struct Peer {
  ucp_ep_h ep = nullptr;
  bool failed = false;
  std::vector<Request*> pending;
};

void onPeerError(void* arg, ucp_ep_h, ucs_status_t) { static_cast<Peer*>(arg)->failed = true; }

struct RecvComm : Peer {
  uint64_t id;
};
struct ListenComm {
  uint64_t id = 0;
  std::vector<char> hello;  // the connector's token and worker address land here
  void* helloRequest = nullptr;
  std::unique_ptr<RecvComm> answered;  // accepted, once our answer has left
  void* answerRequest = nullptr;
};
struct SendComm : Peer {
  uint64_t remoteId;
  std::vector<char> hello;  // our token and address, sent once
  uint64_t ack = 0;
  void* ackRequest = nullptr;
};

struct Request {
  void* ucp;  // null: finished when posted
  bool isRecv;
  size_t bytes;
  Peer* peer;
};

class UcxTransport final : public NetTransport {
 public:
  ~UcxTransport() override {
    if (worker_ != nullptr) {
      for (auto& [handle, comm] : connecting_) {  // connections given up on halfway
        ucp_.requestCancel(worker_, comm->ackRequest);
        requestsToDrop_.push_back(comm->ackRequest);
        closeEndpoint(comm->ep);
      }
      connecting_.clear();
      const Deadline deadline = deadlineIn(kCloseSeconds);  // cancelled requests finish as UCX moves
      while (!requestsToDrop_.empty() && Clock::now() < deadline) {
        ucp_.workerProgress(worker_);
        dropFinished();
      }
      if (address_ != nullptr) ucp_.workerReleaseAddress(worker_, address_);
      ucp_.workerDestroy(worker_);
    }
    if (context_ != nullptr) ucp_.cleanup(context_);
  }

  Status init() {
    const std::string mode = errModeParam.get();
    if (mode != "none" && mode != "peer")
      return fail(Status::InvalidUsage, "UCX: HCCL_UCX_ERR_MODE=%s (none or peer)", mode.c_str());
    peerErrors_ = mode == "peer";
    HCCL_TRY(loadUcp(&ucp_));
    ucp_config_t* config = nullptr;
    ucs_status_t st = ucp_.configRead(nullptr, nullptr, &config);  // UCX_* of the environment
    if (st != UCS_OK) return fail(Status::SystemError, "UCX: reading its configuration failed (%d)", st);
    ucp_params_t params{};
    params.field_mask = UCP_PARAM_FIELD_FEATURES;
    // RMA: what lets UCX choose its zero-copy rendezvous (a write into the receive buffer).
    // WAKEUP: a descriptor idle ranks sleep on.
    params.features = UCP_FEATURE_TAG | UCP_FEATURE_RMA | UCP_FEATURE_WAKEUP;
    st = ucp_.initVersion(UCP_API_MAJOR, UCP_API_MINOR, &params, config, &context_);
    ucp_.configRelease(config);
    if (st != UCS_OK) return fail(Status::SystemError, "UCX: ucp_init failed (%d)", st);
    ucp_worker_params_t workerParams{};
    workerParams.field_mask = UCP_WORKER_PARAM_FIELD_THREAD_MODE;
    workerParams.thread_mode = UCS_THREAD_MODE_SINGLE;
    st = ucp_.workerCreate(context_, &workerParams, &worker_);
    if (st != UCS_OK) return fail(Status::SystemError, "UCX: creating a worker failed (%d)", st);
    st = ucp_.workerGetEfd(worker_, &efd_);
    if (st != UCS_OK) return fail(Status::SystemError, "UCX: the worker has no wake-up descriptor (%d)", st);
    st = ucp_.workerGetAddress(worker_, &address_, &addressBytes_);
    if (st != UCS_OK || addressBytes_ > kMaxAddressBytes)
      return fail(Status::SystemError, "UCX: the worker's address (%zu bytes, status %d)", addressBytes_, st);
    return Status::Success;
  }

  const char* name() const override { return "UCX"; }
  int deviceCount() const override { return 1; }
  Status device(int index, NetDevice* out) override {
    if (index != 0) return fail(Status::InvalidArgument, "UCX: no device %d (it has 1)", index);
    *out = NetDevice{};
    const char* devices = getenv("UCX_NET_DEVICES");
    out->name = devices != nullptr && *devices != '\0' ? devices : "ucx";
    out->memoryKinds = kHostMemory;  // device buffers reach it staged through host memory
    return Status::Success;
  }

  Status listen(int device, ConnectHandle* handle, void** listenComm) override {
    HCCL_TRY(checkDevice(device));
    auto* comm = new ListenComm;
    comm->id = nextId_++;
    comm->hello.resize(sizeof(uint64_t) + kMaxAddressBytes);  // a token, then an address
    handle->bytes.resize(16 + addressBytes_);
    const uint32_t header[2] = {kHandleMagic, static_cast<uint32_t>(addressBytes_)};
    memcpy(handle->bytes.data(), header, sizeof(header));
    memcpy(handle->bytes.data() + 8, &comm->id, sizeof(comm->id));
    memcpy(handle->bytes.data() + 16, address_, addressBytes_);
    *listenComm = comm;
    return Status::Success;
  }

  // Up once the listener answered the hello: by then both endpoints are wired up, so neither
  // side's death can catch UCX in the middle of that.
  Status connect(int device, ConnectHandle* handle, void** sendComm) override {
    HCCL_TRY(checkDevice(device));
    *sendComm = nullptr;
    auto pending = connecting_.find(handle);
    if (pending == connecting_.end()) {
      uint32_t header[2] = {};
      if (handle->bytes.size() >= 16) memcpy(header, handle->bytes.data(), sizeof(header));
      if (header[0] != kHandleMagic || header[1] == 0 || handle->bytes.size() != 16 + size_t{header[1]})
        return fail(Status::RemoteError, "UCX: a connect handle that is not UCX's (%zu bytes)", handle->bytes.size());
      auto comm = std::make_unique<SendComm>();
      memcpy(&comm->remoteId, handle->bytes.data() + 8, sizeof(comm->remoteId));
      HCCL_TRY(makeEndpoint(reinterpret_cast<const ucp_address_t*>(handle->bytes.data() + 16), comm.get()));
      const uint64_t token = nextId_++;
      comm->hello.resize(sizeof(token) + addressBytes_);
      memcpy(comm->hello.data(), &token, sizeof(token));
      memcpy(comm->hello.data() + sizeof(token), address_, addressBytes_);
      void* hello = nullptr;
      HCCL_TRY(post(comm.get(), comm->hello.data(), comm->hello.size(), (comm->remoteId << 32) | kHelloBit, &hello));
      requestsToDrop_.push_back(hello);
      ucp_request_param_t param{};
      param.op_attr_mask = UCP_OP_ATTR_FLAG_NO_IMM_CMPL;
      ucs_status_ptr_t r =
          ucp_.tagRecvNbx(worker_, &comm->ack, sizeof(comm->ack), (token << 32) | kAckBit, kTagMask, &param);
      if (UCS_PTR_IS_ERR(r)) return fail(Status::SystemError, "UCX: posting the answer's receive failed");
      comm->ackRequest = r;
      pending = connecting_.emplace(handle, std::move(comm)).first;
    }
    SendComm& comm = *pending->second;
    ucp_.workerProgress(worker_);
    ucp_tag_recv_info_t info{};
    const ucs_status_t st = ucp_.tagRecvRequestTest(comm.ackRequest, &info);
    if (st == UCS_INPROGRESS && !comm.failed) return Status::Success;
    if (st == UCS_INPROGRESS) ucp_.requestCancel(worker_, comm.ackRequest);
    ucp_.requestFree(comm.ackRequest);
    comm.ackRequest = nullptr;
    std::unique_ptr<SendComm> done = std::move(pending->second);
    connecting_.erase(pending);
    if (st != UCS_OK) {
      closeEndpoint(done->ep);
      return fail(Status::RemoteError, "UCX: the listener did not answer (%d)", st);
    }
    *sendComm = done.release();
    return Status::Success;
  }

  // Up once our answer to the connector's hello has left, so the connector's connect() needs
  // nothing more from this side.
  Status accept(void* listenComm, void** recvComm) override {
    *recvComm = nullptr;
    auto* listener = static_cast<ListenComm*>(listenComm);
    if (listener->answered) return answered(listener, recvComm);
    if (listener->helloRequest == nullptr) {
      ucp_request_param_t param{};
      param.op_attr_mask = UCP_OP_ATTR_FLAG_NO_IMM_CMPL;
      ucs_status_ptr_t r = ucp_.tagRecvNbx(worker_, listener->hello.data(), listener->hello.size(),
                                           (listener->id << 32) | kHelloBit, kTagMask, &param);
      if (UCS_PTR_IS_ERR(r)) return fail(Status::SystemError, "UCX: posting the hello receive failed");
      listener->helloRequest = r;
    }
    ucp_.workerProgress(worker_);
    ucp_tag_recv_info_t info{};
    const ucs_status_t st = ucp_.tagRecvRequestTest(listener->helloRequest, &info);
    if (st == UCS_INPROGRESS) return Status::Success;
    ucp_.requestFree(listener->helloRequest);
    listener->helloRequest = nullptr;
    uint64_t token = 0;
    if (st != UCS_OK || info.length <= sizeof(token))
      return fail(Status::RemoteError, "UCX: a connector's hello failed (%d, %zu bytes)", st, info.length);
    memcpy(&token, listener->hello.data(), sizeof(token));
    auto comm = std::make_unique<RecvComm>();
    comm->id = listener->id;
    HCCL_TRY(makeEndpoint(reinterpret_cast<const ucp_address_t*>(listener->hello.data() + sizeof(token)), comm.get()));
    HCCL_TRY(post(comm.get(), &kAckBit, sizeof(kAckBit), (token << 32) | kAckBit, &listener->answerRequest));
    listener->answered = std::move(comm);
    return answered(listener, recvComm);
  }

  // UCX registers what it sends on its own (its registration cache); nothing to keep here.
  Status registerMemory(void*, void*, size_t, MemoryKind kind, void** region) override {
    if (kind != kHostMemory) return fail(Status::InvalidUsage, "UCX: this transport registers host memory only");
    *region = this;
    return Status::Success;
  }
  Status deregisterMemory(void*, void*) override { return Status::Success; }

  Status send(void* sendComm, void* data, size_t bytes, uint32_t tag, void*, void** request) override {
    auto* comm = static_cast<SendComm*>(sendComm);
    if (comm->failed) return fail(Status::RemoteError, "UCX: the peer of this connection failed");
    void* ucp = nullptr;
    HCCL_TRY(post(comm, data, bytes, (comm->remoteId << 32) | (tag & 0x7fffffffu), &ucp));
    auto* r = new Request{ucp, false, bytes, comm};
    comm->pending.push_back(r);
    *request = r;
    return Status::Success;
  }

  Status recv(void* recvComm, void* data, size_t bytes, uint32_t tag, void*, void** request) override {
    // Posted even when the peer has gone: what it sent before may be here already (test() then
    // cancels a receive nothing came for).
    auto* comm = static_cast<RecvComm*>(recvComm);
    ucp_request_param_t param{};
    param.op_attr_mask = UCP_OP_ATTR_FLAG_NO_IMM_CMPL;
    const ucp_tag_t fullTag = (comm->id << 32) | (tag & 0x7fffffffu);
    ucs_status_ptr_t r = ucp_.tagRecvNbx(worker_, data, bytes, fullTag, kTagMask, &param);
    if (UCS_PTR_IS_ERR(r)) return fail(Status::SystemError, "UCX: posting a receive failed (%d)", UCS_PTR_STATUS(r));
    auto* ours = new Request{r, true, 0, comm};
    comm->pending.push_back(ours);
    *request = ours;
    return Status::Success;
  }

  int waitFd() override { return efd_; }
  bool armWait() override {
    while (ucp_.workerProgress(worker_) != 0) {
    }
    return ucp_.workerArm(worker_) == UCS_OK;  // UCS_ERR_BUSY: events came in meanwhile
  }

  Status flush(void*, void*, size_t, void*, void** request) override {
    *request = nullptr;  // host memory only: nothing to make visible
    return Status::Success;
  }

  Status test(void* request, bool* done, size_t* bytes) override {
    auto* r = static_cast<Request*>(request);
    *done = false;
    while (ucp_.workerProgress(worker_) != 0) {
    }
    dropFinished();
    ucs_status_t st = UCS_OK;
    size_t moved = r->bytes;
    if (r->ucp != nullptr) {
      ucp_tag_recv_info_t info{};
      st = r->isRecv ? ucp_.tagRecvRequestTest(r->ucp, &info) : ucp_.requestCheckStatus(r->ucp);
      if (st == UCS_INPROGRESS) {
        if (!r->peer->failed) return Status::Success;
        ucp_.requestCancel(worker_, r->ucp);  // the peer is gone: it will never complete
        st = UCS_ERR_CANCELED;
      }
      if (r->isRecv) moved = info.length;
      if (st != UCS_ERR_CANCELED) ucp_.requestFree(r->ucp);
      else requestsToDrop_.push_back(r->ucp);
    }
    const bool isRecv = r->isRecv;
    std::erase(r->peer->pending, r);
    delete r;
    if (st != UCS_OK)
      return fail(Status::RemoteError, "UCX: a %s failed (status %d%s)", isRecv ? "receive" : "send", st,
                  st == UCS_ERR_MESSAGE_TRUNCATED ? ": larger than its receive" : "");
    *done = true;
    if (bytes != nullptr) *bytes = moved;
    return Status::Success;
  }

  Status closeSend(void* sendComm) override { return close(static_cast<SendComm*>(sendComm)); }
  Status closeRecv(void* recvComm) override { return close(static_cast<RecvComm*>(recvComm)); }
  Status closeListen(void* listenComm) override {
    auto* comm = static_cast<ListenComm*>(listenComm);
    if (comm->helloRequest != nullptr) {
      ucp_.requestCancel(worker_, comm->helloRequest);
      requestsToDrop_.push_back(comm->helloRequest);
    }
    if (comm->answerRequest != nullptr) requestsToDrop_.push_back(comm->answerRequest);
    if (comm->answered) closeEndpoint(comm->answered->ep);
    delete comm;
    dropFinished();
    return Status::Success;
  }

 private:
  Status checkDevice(int device) const {
    if (device != 0) return fail(Status::InvalidArgument, "UCX: no device %d (it has 1)", device);
    return Status::Success;
  }

  Status answered(ListenComm* listener, void** recvComm) {
    ucp_.workerProgress(worker_);
    if (listener->answerRequest != nullptr) {
      const ucs_status_t st = ucp_.requestCheckStatus(listener->answerRequest);
      if (st == UCS_INPROGRESS) return Status::Success;
      ucp_.requestFree(listener->answerRequest);
      listener->answerRequest = nullptr;
      if (st != UCS_OK) {
        closeEndpoint(listener->answered->ep);
        listener->answered.reset();
        return fail(Status::RemoteError, "UCX: answering a connector failed (%d)", st);
      }
    }
    *recvComm = listener->answered.release();
    return Status::Success;
  }

  Status makeEndpoint(const ucp_address_t* address, Peer* peer) {
    ucp_ep_params_t params{};
    params.field_mask = UCP_EP_PARAM_FIELD_REMOTE_ADDRESS | UCP_EP_PARAM_FIELD_ERR_HANDLING_MODE |
                        UCP_EP_PARAM_FIELD_ERR_HANDLER;
    params.address = address;
    params.err_mode = peerErrors_ ? UCP_ERR_HANDLING_MODE_PEER : UCP_ERR_HANDLING_MODE_NONE;
    params.err_handler.cb = onPeerError;
    params.err_handler.arg = peer;
    const ucs_status_t st = ucp_.epCreate(worker_, &params, &peer->ep);
    if (st != UCS_OK) return fail(Status::RemoteError, "UCX: making an endpoint failed (%d)", st);
    return Status::Success;
  }

  Status post(Peer* peer, const void* data, size_t bytes, uint64_t tag, void** ucp) {
    ucp_request_param_t param{};
    const ucs_status_ptr_t r = ucp_.tagSendNbx(peer->ep, data, bytes, tag, &param);
    if (UCS_PTR_IS_ERR(r)) return fail(Status::RemoteError, "UCX: a send failed (%d)", UCS_PTR_STATUS(r));
    *ucp = r;  // null: done already
    return Status::Success;
  }

  template <class Comm>
  Status close(Comm* comm) {
    abandon(comm);
    closeEndpoint(comm->ep);
    delete comm;
    return Status::Success;
  }

  // A closing comm's unfinished requests: cancelled, and freed once UCX is done with them.
  void abandon(Peer* comm) {
    for (Request* r : comm->pending) {
      if (r->ucp != nullptr) {
        ucp_.requestCancel(worker_, r->ucp);
        requestsToDrop_.push_back(r->ucp);
      }
      delete r;
    }
    comm->pending.clear();
  }

  // Requests nobody tests any more (hellos, cancelled receives): freed once they finish.
  void dropFinished() {
    for (size_t i = 0; i < requestsToDrop_.size();) {
      void* r = requestsToDrop_[i];
      if (r != nullptr && ucp_.requestCheckStatus(r) == UCS_INPROGRESS) {
        ++i;
        continue;
      }
      if (r != nullptr) ucp_.requestFree(r);
      requestsToDrop_[i] = requestsToDrop_.back();
      requestsToDrop_.pop_back();
    }
  }

  // Flushes what the endpoint still has to send, for a bounded time, then lets it go.
  void closeEndpoint(ucp_ep_h ep) {
    if (ep == nullptr) return;
    ucp_request_param_t param{};
    param.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS;
    param.flags = 0;
    ucs_status_ptr_t r = ucp_.epCloseNbx(ep, &param);
    const Deadline deadline = deadlineIn(kCloseSeconds);
    while (r != nullptr && !UCS_PTR_IS_ERR(r) && ucp_.requestCheckStatus(r) == UCS_INPROGRESS &&
           Clock::now() < deadline)
      ucp_.workerProgress(worker_);
    if (r != nullptr && !UCS_PTR_IS_ERR(r)) {
      if (ucp_.requestCheckStatus(r) == UCS_INPROGRESS) ucp_.requestCancel(worker_, r);
      requestsToDrop_.push_back(r);
    }
  }

  Ucp ucp_{};
  ucp_context_h context_ = nullptr;
  ucp_worker_h worker_ = nullptr;
  ucp_address_t* address_ = nullptr;
  size_t addressBytes_ = 0;
  uint64_t nextId_ = 1;
  bool peerErrors_ = false;  // endpoints in UCX's peer failure mode
  int efd_ = -1;             // the worker's wake-up descriptor (UCX owns it)
  std::vector<void*> requestsToDrop_;
  std::map<const ConnectHandle*, std::unique_ptr<SendComm>> connecting_;  // answers awaited
};

}  // namespace

bool ucxBuilt() { return true; }

Status openUcxTransport(std::unique_ptr<NetTransport>* out) {
  auto t = std::make_unique<UcxTransport>();
  HCCL_TRY(t->init());
  *out = std::move(t);
  return Status::Success;
}

}  // namespace hccl::net

#else  // no UCX headers at build time

namespace hccl::net {

bool ucxBuilt() { return false; }

Status openUcxTransport(std::unique_ptr<NetTransport>*) {
  return fail(Status::InvalidUsage, "UCX: this hccl was built without UCX (install libucx-dev and rebuild)");
}

}  // namespace hccl::net

#endif
