// The communicator: a CommContext (what running calls needs) with its life cycle (bootstrap,
// links, the cluster graph, a GPU rank's queue) and the API's bookkeeping (user reduction
// operators, registrations, finalize).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/datatype.h"
#include "core/bootstrap.h"
#include "exec/comm_context.h"
#include "exec/operation.h"
#include "transport/net/net_transport.h"

namespace hccl {

class GpuQueue;

// A reduction operator made by ncclRedOpCreatePreMulSum.
struct PreMulSumOp {
  DataType type = DataType::Float32;
  uint8_t scalar[8] = {};               // host-immediate value
  const void* scalarPointer = nullptr;  // or read when the collective runs
  bool live = false;
};

class Communicator final : public CommContext {
 public:
  static constexpr uint64_t kMagic = 0x6863636c436f6d6dull;
  static constexpr int kFirstUserOp = 5;  // ncclNumOps

  Communicator(const Config& config, int rank, int nranks);  // on this thread's current device
  Communicator(const Config& config, int rank, int nranks, Backend& backend);
  ~Communicator() override;

  // Bootstrap, then one link per peer (shared memory on the same host, TCP otherwise), then the
  // cluster graph. Records the outcome as the communicator's state.
  Status init(const UniqueIdContent& id);
  // Runs init() on a thread of its own; state() reports InProgress until it finishes.
  void initAsync(const UniqueIdContent& id);
  void joinInit();

  bool valid() const { return magic_ == kMagic; }
  // After ncclCommFinalize only destroy is allowed; returns false if already finalized.
  bool markFinalized() { return !finalized_.exchange(true); }
  bool finalized() const { return finalized_.load(std::memory_order_acquire); }

  Status createPreMulSum(int* op, DataType type, const void* scalar, bool immediate);
  Status destroyRedOp(int op);
  // False when `op` is not a live user operator of this communicator.
  bool userOp(int op, PreMulSumOp* out) const;

  void addRegistration(void* handle);
  bool removeRegistration(void* handle);

  // A GPU rank's queue and progress thread (src/device/gpu_queue.h), started by init; nullptr
  // on a CPU rank.
  GpuQueue* gpuQueue() { return gpuQueue_.get(); }
  // Waits until the GPU rank's queued calls have run (nothing to wait for on a CPU rank).
  void drainGpuQueue();

 private:
  Status connectLinks(BootstrapResult& boot);
  Status recordNetworkNics(net::NetTransport& network);
  Status startGpuQueue();

  uint64_t magic_ = kMagic;
  std::atomic<bool> finalized_{false};
  std::thread initThread_;

  mutable std::mutex mutex_;  // guards what follows
  std::vector<PreMulSumOp> userOps_;
  std::set<void*> registrations_;

  std::unique_ptr<GpuQueue> gpuQueue_;  // its thread stops before CommContext's links go
};

// The communicator an operation belongs to: every Operation of core was made for one.
inline Communicator& communicatorOf(const Operation& o) { return static_cast<Communicator&>(*o.comm); }

}  // namespace hccl
