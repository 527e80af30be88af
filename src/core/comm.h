// The communicator: who the ranks are, one Messenger per peer, the state shared by the API
// calls, and the bookkeeping (sequence numbers, user reduction operators, registrations).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "backends/backend.h"
#include "base/datatype.h"
#include "core/bootstrap.h"
#include "core/config.h"
#include "tuning/schedule_chooser.h"
#include "topology/topology.h"
#include "transport/messenger.h"

namespace hccl {

class DeviceQueue;

// A reduction operator made by ncclRedOpCreatePreMulSum.
struct PreMulSumOp {
  DataType type = DataType::Float32;
  uint8_t scalar[8] = {};               // host-immediate value
  const void* scalarPointer = nullptr;  // or read when the collective runs
  bool live = false;
};

class Communicator {
 public:
  static constexpr uint64_t kMagic = 0x6863636c436f6d6dull;
  static constexpr int kFirstUserOp = 5;  // ncclNumOps

  Communicator(const Config& config, int rank, int nranks);  // on this thread's current device
  Communicator(const Config& config, int rank, int nranks, Backend& backend);
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  // Bootstrap, then one link per peer (shared memory on the same host, TCP otherwise).
  // Records the outcome as the communicator's state.
  Status init(const UniqueIdContent& id);
  // Runs init() on a thread of its own; state() reports InProgress until it finishes.
  void initAsync(const UniqueIdContent& id);
  void joinInit();

  bool valid() const { return magic_ == kMagic; }
  int rank() const { return rank_; }
  int nranks() const { return nranks_; }
  const Config& config() const { return config_; }
  Backend& backend() { return *backend_; }
  const std::vector<PeerInfo>& peers() const { return peers_; }
  // The cluster graph every rank of this communicator agrees on (core/cluster_topology.h).
  const topo::Topology& topology() const { return topology_; }
  // Which schedule each collective runs here, chosen on that topology.
  tuning::ScheduleChooser& schedules() { return schedules_; }
  Messenger* messenger(int peer) { return messengers_[peer].get(); }
  // More ranks on this host than cores this process may run on: idle waits must yield.
  bool oversubscribed() const { return oversubscribed_; }
  // Some rank of this communicator is a GPU rank: its calls run in pieces (core/device_queue.h).
  bool anyDeviceRank() const { return anyDeviceRank_; }

  // InProgress while initialising, Success when usable, else the error that broke it.
  Status state() const { return static_cast<Status>(state_.load(std::memory_order_acquire)); }
  // Marks the communicator broken and closes every link so peers waiting on us fail fast.
  void fail(Status error);
  void requestAbort() { abortFlag_.store(true, std::memory_order_release); }
  // After ncclCommFinalize only destroy is allowed; returns false if already finalized.
  bool markFinalized() { return !finalized_.exchange(true); }
  bool finalized() const { return finalized_.load(std::memory_order_acquire); }
  bool abortRequested() const { return abortFlag_.load(std::memory_order_acquire); }
  // Held while an operation runs on this communicator; ncclCommAbort/Destroy wait for it.
  std::mutex& busy() { return busy_; }

  // Wire tags: collectives count in order (every rank calls them in the same order);
  // point-to-point counts per peer and direction.
  uint64_t nextCollectiveTag();
  uint64_t nextSendTag(int peer);
  uint64_t nextRecvTag(int peer);

  // Scratch for planners and operator prologues, kept between calls.
  char* scratch(size_t bytes);

  Status createPreMulSum(int* op, DataType type, const void* scalar, bool immediate);
  Status destroyRedOp(int op);
  // False when `op` is not a live user operator of this communicator.
  bool userOp(int op, PreMulSumOp* out) const;

  void addRegistration(void* handle);
  bool removeRegistration(void* handle);

  void setLastError(const std::string& text);
  std::string lastError() const;

  // A GPU rank's progress thread (core/device_queue.h), started on first use; nullptr on a
  // CPU rank or when it cannot start.
  DeviceQueue* deviceQueue();

 private:
  Status connectLinks(BootstrapResult& boot);

  uint64_t magic_ = kMagic;
  Config config_;
  int rank_;
  int nranks_;
  Backend* backend_;
  std::vector<PeerInfo> peers_;
  topo::Topology topology_;
  tuning::ScheduleChooser schedules_;
  std::vector<std::unique_ptr<Messenger>> messengers_;
  std::atomic<int> state_{static_cast<int>(Status::InProgress)};
  std::atomic<bool> abortFlag_{false};
  std::atomic<bool> finalized_{false};
  bool oversubscribed_ = false;
  bool anyDeviceRank_ = false;
  std::thread initThread_;
  std::mutex busy_;

  uint64_t collectiveSeq_ = 0;
  std::vector<uint64_t> sendSeq_, recvSeq_;
  std::vector<char> scratch_;

  mutable std::mutex mutex_;  // guards what follows
  std::vector<PreMulSumOp> userOps_;
  std::set<void*> registrations_;
  std::string lastError_;

  std::unique_ptr<DeviceQueue> deviceQueue_;  // last: stops before the links go
};

}  // namespace hccl
