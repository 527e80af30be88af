// A rank's doorbell: one word in shared memory that the rank sleeps on (a futex) while it waits
// for its shared-memory peers, and that a peer rings after it wrote to the rank's ring or made
// room in its own. A rank that waits thus gives its core away at once and is woken the moment
// there is something to do, instead of yielding the core to whoever the scheduler picks (with
// more ranks than cores, or other work on the machine, a yield often hands it to the wrong
// process for a whole time slice).
//
// Ringing costs one load of a line that changes only when the owner falls asleep or wakes. The
// store that published the progress must be ordered before that load, or the owner could check,
// find nothing, and sleep through the ring. A fence there would make every message wait until
// its lines reached the peer (most of a small message's cost), so where the kernel offers it the
// fence moves to the sleeper: it issues membarrier(GLOBAL_EXPEDITED) between arming and its last
// check, which makes every ringing process's compiler barrier a full one at that moment. Ringers
// skip the fence only when they are registered for it and the owner promised to use it.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "base/status.h"

namespace hccl {

class Doorbell {
 public:
  Doorbell() = default;
  ~Doorbell();
  Doorbell(const Doorbell&) = delete;
  Doorbell& operator=(const Doorbell&) = delete;

  // The owner's: a new doorbell under a fresh name (unlinked once every peer has opened it).
  Status create(const std::string& name);
  // A peer's, by the name it sent.
  Status open(const std::string& name);
  void unlink();
  const std::string& name() const { return name_; }
  bool valid() const { return bell_ != nullptr; }

  // Peer side, after a store that the owner may be waiting for.
  void ring() {
    if (fenceless_) std::atomic_signal_fence(std::memory_order_seq_cst);
    else std::atomic_thread_fence(std::memory_order_seq_cst);
    if (bell_->sleepers.load(std::memory_order_relaxed) != 0) wake();
  }
  bool fenceless() const { return fenceless_; }

  // Owner side: arm() (then check for work once more), then sleep() unless there was some, then
  // disarm(). sleep() returns when rung, after timeoutUs, or at once if rung since arm(). arm()
  // returns false when a ring could still be missed (the promised membarrier failed): then check
  // again rather than sleep.
  bool arm(uint32_t* armed);
  void sleep(uint32_t armed, int timeoutUs);
  void disarm() { bell_->sleepers.fetch_sub(1, std::memory_order_relaxed); }

 private:
  struct alignas(64) Bell {
    std::atomic<uint32_t> word;      // the futex: bumped by every ring that finds a sleeper
    std::atomic<uint32_t> sleepers;  // the owner's threads that are armed
    uint32_t asymmetric;             // the owner issues membarrier before its last check
  };
  void wake();

  std::string name_;
  bool owner_ = false;
  bool fenceless_ = false;  // ring() may skip the fence (see above)
  Bell* bell_ = nullptr;
};

}  // namespace hccl
