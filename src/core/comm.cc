#include "core/comm.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "backends/loader.h"
#include "base/error.h"
#include "base/log.h"
#include "core/cluster_topology.h"
#include "core/device_queue.h"
#include "transport/shm/shm_link.h"
#include "transport/tcp/tcp_link.h"

namespace hccl {
namespace {

constexpr uint64_t kP2pTagBit = uint64_t{1} << 63;
constexpr size_t kTcpStagingBytes = size_t{256} << 10;

// Makes ring names unique even against leftovers of a crashed process that had our pid.
uint32_t ringNonce() {
  static std::atomic<uint32_t> counter{0};
  static const uint32_t base = static_cast<uint32_t>(std::random_device{}());
  return base + counter.fetch_add(1);
}

}  // namespace

Communicator::Communicator(const Config& config, int rank, int nranks)
    : Communicator(config, rank, nranks, backendForNewComm()) {}

Communicator::Communicator(const Config& config, int rank, int nranks, Backend& backend)
    : config_(config), rank_(rank), nranks_(nranks), backend_(&backend), sendSeq_(nranks), recvSeq_(nranks) {}

Communicator::~Communicator() {
  joinInit();
  magic_ = 0;
}

Status Communicator::init(const UniqueIdContent& id) {
  logSetThreadRank(rank_);
  PeerInfo self{};
  self.rank = rank_;
  self.pid = getpid();
  self.hostHash = localHostHash();
  self.backendKind = static_cast<int32_t>(backend_->kind());
  self.deviceIndex = backend_->deviceIndex();
  self.eagerBytes = config_.eagerBytes;
  self.eagerWindow = config_.eagerWindow();
  gethostname(self.hostname, sizeof(self.hostname) - 1);
  BootstrapResult boot;
  setSocketAbortFlag(&abortFlag_);
  Status s = bootstrap(id, rank_, nranks_, self, config_.sockets, config_.timeoutSeconds, &boot);
  if (!failed(s)) s = buildClusterTopology(rank_, boot.peers, boot.connections, {}, config_, &topology_);
  if (!failed(s)) schedules_.setTopology(&topology_);
  if (!failed(s)) s = connectLinks(boot);
  setSocketAbortFlag(nullptr);
  if (failed(s)) {
    setLastError(threadLastError());
    state_.store(static_cast<int>(s), std::memory_order_release);
    return s;
  }
  peers_ = std::move(boot.peers);
  int localRanks = 0;
  for (const PeerInfo& p : peers_) localRanks += p.hostHash == peers_[rank_].hostHash ? 1 : 0;
  cpu_set_t cpus;
  int cores = sched_getaffinity(0, sizeof(cpus), &cpus) == 0 ? CPU_COUNT(&cpus) : 1;
  oversubscribed_ = localRanks > cores;
  anyDeviceRank_ = std::any_of(peers_.begin(), peers_.end(), [](const PeerInfo& p) {
    return p.backendKind != static_cast<int32_t>(BackendKind::Host);
  });
  HCCL_INFO(Init, "comm %p rank %d nranks %d ready (%s backend)", static_cast<void*>(this), rank_,
            nranks_, backend_->name());
  state_.store(static_cast<int>(Status::Success), std::memory_order_release);
  return Status::Success;
}

void Communicator::initAsync(const UniqueIdContent& id) {
  initThread_ = std::thread([this, id] { init(id); });
}

void Communicator::joinInit() {
  if (initThread_.joinable()) initThread_.join();
}

Status Communicator::connectLinks(BootstrapResult& boot) {
  Deadline deadline = deadlineIn(config_.timeoutSeconds);
  messengers_.resize(nranks_);
  std::vector<std::unique_ptr<ShmLink>> shm(nranks_);
  const uint64_t myHost = boot.peers[rank_].hostHash;
  // Shared memory for peers on this host, in rounds (see ShmLink) so no rank waits on a peer
  // that is itself waiting on someone else.
  for (int peer = 0; peer < nranks_; ++peer) {
    if (peer == rank_ || config_.shmDisable || boot.peers[peer].hostHash != myHost) continue;
    char name[64];
    snprintf(name, sizeof(name), "/hccl-%d-%08x-%d", getpid(), ringNonce(), peer);
    HCCL_TRY(ShmLink::begin(std::move(boot.connections[peer]), name, config_.bufferBytes, deadline,
                            &shm[peer]));
  }
  for (int peer = 0; peer < nranks_; ++peer)
    if (shm[peer]) HCCL_TRY(shm[peer]->attach(deadline));
  for (int peer = 0; peer < nranks_; ++peer) {
    if (peer == rank_) continue;
    LinkPtr link;
    if (shm[peer]) {
      HCCL_TRY(shm[peer]->finish(deadline));
      link = std::move(shm[peer]);
    } else {
      link = std::make_unique<TcpLink>(std::move(boot.connections[peer]), kTcpStagingBytes);
    }
    HCCL_INFO(Init, "rank %d -> %d via %s", rank_, peer, link->name());
    // Ranks may have been started with different settings; both ends must agree on these.
    const PeerInfo& mine = boot.peers[rank_];
    const PeerInfo& theirs = boot.peers[peer];
    messengers_[peer] = std::make_unique<Messenger>(std::move(link), peer,
                                                     std::min(mine.eagerBytes, theirs.eagerBytes),
                                                     std::min(mine.eagerWindow, theirs.eagerWindow));
  }
  return Status::Success;
}

void Communicator::fail(Status error) {
  int expected = static_cast<int>(Status::Success);
  state_.compare_exchange_strong(expected, static_cast<int>(error), std::memory_order_acq_rel);
  for (auto& m : messengers_) {
    if (!m) continue;
    m->dropRequests();
    m->link().shutdown();
  }
}

uint64_t Communicator::nextCollectiveTag() {
  uint64_t seq = collectiveSeq_++ & 0x7fffffffu;
  return seq << 32;
}

uint64_t Communicator::nextSendTag(int peer) {
  return kP2pTagBit | ((sendSeq_[peer]++ & 0x7fffffffu) << 32);
}

uint64_t Communicator::nextRecvTag(int peer) {
  return kP2pTagBit | ((recvSeq_[peer]++ & 0x7fffffffu) << 32);
}

char* Communicator::scratch(size_t bytes) {
  if (scratch_.size() < bytes) scratch_.resize(bytes);
  return scratch_.data();
}

Status Communicator::createPreMulSum(int* op, DataType type, const void* scalar, bool immediate) {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t index = 0;
  while (index < userOps_.size() && userOps_[index].live) ++index;
  if (index == userOps_.size()) userOps_.emplace_back();
  PreMulSumOp& entry = userOps_[index];
  entry = PreMulSumOp{};
  entry.type = type;
  entry.live = true;
  if (immediate)
    memcpy(entry.scalar, scalar, dataTypeSize(type));
  else
    entry.scalarPointer = scalar;
  *op = kFirstUserOp + static_cast<int>(index);
  return Status::Success;
}

Status Communicator::destroyRedOp(int op) {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t index = static_cast<size_t>(op - kFirstUserOp);
  if (op < kFirstUserOp || index >= userOps_.size() || !userOps_[index].live)
    return reject(Status::InvalidArgument, "ncclRedOpDestroy: op %d was not created on this communicator", op);
  userOps_[index].live = false;
  return Status::Success;
}

bool Communicator::userOp(int op, PreMulSumOp* out) const {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t index = static_cast<size_t>(op - kFirstUserOp);
  if (op < kFirstUserOp || index >= userOps_.size() || !userOps_[index].live) return false;
  *out = userOps_[index];
  return true;
}

void Communicator::addRegistration(void* handle) {
  std::lock_guard<std::mutex> lock(mutex_);
  registrations_.insert(handle);
}

bool Communicator::removeRegistration(void* handle) {
  std::lock_guard<std::mutex> lock(mutex_);
  return registrations_.erase(handle) == 1;
}

void Communicator::setLastError(const std::string& text) {
  std::lock_guard<std::mutex> lock(mutex_);
  lastError_ = text;
}

std::string Communicator::lastError() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return lastError_;
}

}  // namespace hccl
