// What running a call needs of its communicator: who the ranks are and where they run, one
// Messenger per peer, the settings, this rank's backend, the cluster graph and the schedule
// chooser on it, and the state every call shares (broken, aborting, busy). core's Communicator
// is one of these plus its life cycle (bootstrap, links, the GPU rank's queue, user operators);
// the executor and the device layer see only this.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "exec/config.h"
#include "topology/topology.h"
#include "transport/messenger.h"
#include "transport/shm/doorbell.h"
#include "tuning/schedule_chooser.h"

namespace hccl {

// The CPUs a rank may run on (its affinity), CPU i at bit i % 64 of word i / 64.
using CpuMask = std::array<uint64_t, 16>;

// Where a rank runs, as every rank learned it at init.
struct RankInfo {
  uint64_t hostHash = 0;  // equal for ranks that can share memory
  BackendKind backend = BackendKind::Host;
  int device = -1;        // inside its vendor runtime; -1 for a CPU rank
  CpuMask cpus{};         // all zero: not known
};

// This thread's affinity.
CpuMask currentCpus();

class CommContext {
 public:
  CommContext(const Config& config, int rank, int nranks, Backend& backend);
  virtual ~CommContext();
  CommContext(const CommContext&) = delete;
  CommContext& operator=(const CommContext&) = delete;

  int rank() const { return rank_; }
  int nranks() const { return nranks_; }
  const Config& config() const { return config_; }
  Backend& backend() { return *backend_; }
  // Every rank's place, indexed by rank (empty until init has exchanged them).
  const std::vector<RankInfo>& ranks() const { return ranks_; }
  // The cluster graph every rank of this communicator agrees on.
  const topo::Topology& topology() const { return topology_; }
  // Which schedule each collective runs here, chosen on that topology.
  tuning::ScheduleChooser& schedules() { return schedules_; }
  Messenger* messenger(int peer) { return messengers_[peer].get(); }
  // What this rank sleeps on while it waits for shared-memory peers (nullptr: no such peer).
  Doorbell* doorbell() { return doorbell_.get(); }
  // The devices of the network transport this rank opened, as NICs (empty: hccl's sockets, whose
  // NICs discovery finds); they replace discovery's in this node's topology.
  const std::vector<topo::Nic>& networkNics() const { return networkNics_; }
  // More ranks on this host than the cores they may run on together: idle waits hand their core
  // over at once instead of spinning.
  bool oversubscribed() const { return oversubscribed_; }
  // Some rank of this communicator is a GPU rank: its calls run in pieces (src/device).
  bool anyDeviceRank() const { return anyDeviceRank_; }

  // InProgress while initialising, Success when usable, else the error that broke it.
  Status state() const { return static_cast<Status>(state_.load(std::memory_order_acquire)); }
  // Marks the communicator broken and closes every link so peers waiting on us fail fast.
  void fail(Status error);
  void requestAbort() { abortFlag_.store(true, std::memory_order_release); }
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

  void setLastError(const std::string& text);
  std::string lastError() const;

 protected:
  // Init's results, set once by the communicator before it reports Success.
  void setRanks(std::vector<RankInfo> ranks);
  void setMessengers(std::vector<std::unique_ptr<Messenger>> messengers);
  void setDoorbell(std::unique_ptr<Doorbell> doorbell) { doorbell_ = std::move(doorbell); }
  void setNetworkNics(std::vector<topo::Nic> nics) { networkNics_ = std::move(nics); }
  topo::Topology& topologyToFill() { return topology_; }
  void setState(Status s) { state_.store(static_cast<int>(s), std::memory_order_release); }
  const std::atomic<bool>& abortFlag() const { return abortFlag_; }

 private:
  Config config_;
  int rank_;
  int nranks_;
  Backend* backend_;
  std::vector<RankInfo> ranks_;
  topo::Topology topology_;
  tuning::ScheduleChooser schedules_;
  std::unique_ptr<Doorbell> doorbell_;  // declared first: outlives the links that ring it
  std::vector<std::unique_ptr<Messenger>> messengers_;
  std::vector<topo::Nic> networkNics_;
  std::atomic<int> state_{static_cast<int>(Status::InProgress)};
  std::atomic<bool> abortFlag_{false};
  bool oversubscribed_ = false;
  bool anyDeviceRank_ = false;
  std::mutex busy_;

  uint64_t collectiveSeq_ = 0;
  std::vector<uint64_t> sendSeq_, recvSeq_;
  std::vector<char> scratch_;

  mutable std::mutex errorMutex_;
  std::string lastError_;
};

}  // namespace hccl
