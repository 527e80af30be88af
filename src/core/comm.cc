#include "core/comm.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "backends/loader.h"
#include "base/error.h"
#include "base/log.h"
#include "core/cluster_topology.h"
#include "device/gpu_queue.h"
#include "transport/net/net_choice.h"
#include "transport/net/net_link.h"
#include "transport/shm/doorbell.h"
#include "transport/shm/shm_link.h"
#include "transport/tcp/tcp_link.h"

namespace hccl {
namespace {

constexpr size_t kTcpStagingBytes = size_t{256} << 10;

// Makes ring names unique even against leftovers of a crashed process that had our pid.
uint32_t ringNonce() {
  static std::atomic<uint32_t> counter{0};
  static const uint32_t base = static_cast<uint32_t>(std::random_device{}());
  return base + counter.fetch_add(1);
}

}  // namespace

Communicator::Communicator(const Config& config, int rank, int nranks)
    : Communicator(config, rank, nranks, backendForNewComm(config.backend)) {}

Communicator::Communicator(const Config& config, int rank, int nranks, Backend& backend)
    : CommContext(config, rank, nranks, backend) {}

Communicator::~Communicator() {
  joinInit();
  magic_ = 0;
}

Status Communicator::init(const UniqueIdContent& id) {
  logSetThreadRank(rank());
  PeerInfo self{};
  self.rank = rank();
  self.pid = getpid();
  self.hostHash = localHostHash();
  self.backendKind = static_cast<int32_t>(backend().kind());
  self.deviceIndex = backend().deviceIndex();
  self.eagerBytes = config().eagerBytes;
  self.eagerWindow = config().eagerWindow();
  const CpuMask cpus = currentCpus();
  std::copy(cpus.begin(), cpus.end(), self.cpus);
  gethostname(self.hostname, sizeof(self.hostname) - 1);
  BootstrapResult boot;
  setSocketAbortFlag(&abortFlag());
  Status s = bootstrap(id, rank(), nranks(), self, config().sockets, config().timeoutSeconds, &boot);
  if (!failed(s)) {
    std::vector<RankInfo> ranks;
    for (const PeerInfo& p : boot.peers)
      ranks.push_back(RankInfo{p.hostHash, static_cast<BackendKind>(p.backendKind), p.deviceIndex,
                               std::to_array(p.cpus)});
    setRanks(std::move(ranks));
    s = connectLinks(boot);
  }
  setSocketAbortFlag(nullptr);
  if (!failed(s)) s = buildClusterTopology(*this, {}, &topologyToFill());
  if (!failed(s)) schedules().setTopology(&topology());
  if (!failed(s)) s = startGpuQueue();
  if (failed(s)) {
    setLastError(threadLastError());
    setState(s);
    return s;
  }
  HCCL_INFO(Init, "comm %p rank %d nranks %d ready (%s backend)", static_cast<void*>(this), rank(), nranks(),
            backend().name());
  setState(Status::Success);
  return Status::Success;
}

void Communicator::initAsync(const UniqueIdContent& id) {
  initThread_ = std::thread([this, id] { init(id); });
}

void Communicator::joinInit() {
  if (initThread_.joinable()) initThread_.join();
}

// What the transport says of its devices is what the cost model should plan with: the speed of
// the NICs it actually drives.
Status Communicator::recordNetworkNics(net::NetTransport& network) {
  std::vector<topo::Nic> nics;
  for (int d = 0; d < network.deviceCount(); ++d) {
    net::NetDevice device;
    HCCL_TRY(network.device(d, &device));
    topo::Nic nic;
    nic.name = device.name;
    nic.gbps = device.gbps;
    nic.pciBusId = device.pciPath.substr(device.pciPath.find_last_of('/') + 1);
    nics.push_back(std::move(nic));
    HCCL_INFO(Net, "NET/%s: device %d %s, %.1f Gb/s%s%s", network.name(), d, device.name.c_str(), device.gbps,
              device.pciPath.empty() ? "" : ", ", device.pciPath.c_str());
  }
  // A transport that cannot tell its speed (UCX) leaves discovery's NICs to the model.
  if (std::all_of(nics.begin(), nics.end(), [](const topo::Nic& n) { return n.gbps > 0; }))
    setNetworkNics(std::move(nics));
  return Status::Success;
}

Status Communicator::connectLinks(BootstrapResult& boot) {
  const int n = nranks(), me = rank();
  Deadline deadline = deadlineIn(config().timeoutSeconds);
  std::vector<std::unique_ptr<Messenger>> messengers(n);
  std::vector<std::unique_ptr<ShmLink>> shm(n);
  const uint64_t myHost = boot.peers[me].hostHash;
  // Shared memory for peers on this host, in rounds (see ShmLink) so no rank waits on a peer
  // that is itself waiting on someone else. One doorbell for all of them.
  auto bell = std::make_unique<Doorbell>();
  for (int peer = 0; peer < n; ++peer) {
    if (peer == me || config().shmDisable || boot.peers[peer].hostHash != myHost) continue;
    char name[64];
    if (!bell->valid()) {
      snprintf(name, sizeof(name), "/hccl-bell-%d-%08x", getpid(), ringNonce());
      HCCL_TRY(bell->create(name));
    }
    snprintf(name, sizeof(name), "/hccl-%d-%08x-%d", getpid(), ringNonce(), peer);
    HCCL_TRY(ShmLink::begin(std::move(boot.connections[peer]), name, bell->name(), config().bufferBytes,
                            config().singleCopyBytes > 0, deadline, &shm[peer]));
  }
  for (int peer = 0; peer < n; ++peer)
    if (shm[peer]) HCCL_TRY(shm[peer]->attach(deadline));
  // Every other peer over the network: a plugin's transport, or hccl's own sockets.
  std::shared_ptr<net::NetTransport> network;
  HCCL_TRY(net::chooseNet(config().netName, config().netPlugin, &network));
  if (network) HCCL_TRY(recordNetworkNics(*network));
  for (int peer = 0; peer < n; ++peer) {
    if (peer == me) continue;
    LinkPtr link;
    if (shm[peer]) {
      HCCL_TRY(shm[peer]->finish(deadline));
      link = std::move(shm[peer]);
    } else if (network) {
      std::unique_ptr<net::NetLink> netLink;
      HCCL_TRY(net::NetLink::open(network, 0, std::move(boot.connections[peer]), config().netDirectBytes,
                                        deadline, &netLink));
      link = std::move(netLink);
    } else {
      link = std::make_unique<TcpLink>(std::move(boot.connections[peer]), kTcpStagingBytes);
    }
    HCCL_INFO(Init, "rank %d -> %d via %s", me, peer, link->name());
    // Ranks may have been started with different settings; both ends must agree on these.
    const PeerInfo& mine = boot.peers[me];
    const PeerInfo& theirs = boot.peers[peer];
    messengers[peer] = std::make_unique<Messenger>(std::move(link), peer, std::min(mine.eagerBytes, theirs.eagerBytes),
                                                   std::min(mine.eagerWindow, theirs.eagerWindow),
                                                   config().singleCopyBytes);
  }
  setMessengers(std::move(messengers));
  if (bell->valid()) {
    bell->unlink();  // every peer has it mapped: nothing is left behind in /dev/shm
    setDoorbell(std::move(bell));
  }
  return Status::Success;
}

// A GPU rank's queue starts with the communicator, on every rank at once: the kernels, staging,
// events and IPC scratch are all made before the first call can hold a stream.
Status Communicator::startGpuQueue() {
  DeviceBackend* device = backend().asDevice();
  if (device == nullptr) return Status::Success;
  auto queue = std::make_unique<GpuQueue>(*this, *device);
  HCCL_TRY(queue->start());
  gpuQueue_ = std::move(queue);
  return Status::Success;
}

void Communicator::drainGpuQueue() {
  if (gpuQueue_) gpuQueue_->drain();
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

}  // namespace hccl
