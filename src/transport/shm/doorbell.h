// A rank's doorbell: one word in shared memory that the rank sleeps on (a futex) while it waits
// for its shared-memory peers, and that a peer rings after it wrote to the rank's ring or made
// room in its own. A rank that waits thus gives its core away at once and is woken the moment
// there is something to do, instead of yielding the core to whoever the scheduler picks (with
// more ranks than cores, or other work on the machine, a yield often hands it to the wrong
// process for a whole time slice).
//
// Ringing costs one load of a line that changes only when the owner falls asleep or wakes, plus
// a fence: the store that published the progress must be ordered before that load, or the
// owner could check, find nothing, and sleep through the ring.
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
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (bell_->sleepers.load(std::memory_order_relaxed) != 0) wake();
  }

  // Owner side: arm() (then check for work once more), then sleep() unless there was some, then
  // disarm(). sleep() returns when rung, after timeoutUs, or at once if rung since arm().
  uint32_t arm() {
    bell_->sleepers.fetch_add(1, std::memory_order_seq_cst);
    return bell_->word.load(std::memory_order_seq_cst);
  }
  void sleep(uint32_t armed, int timeoutUs);
  void disarm() { bell_->sleepers.fetch_sub(1, std::memory_order_relaxed); }

 private:
  struct alignas(64) Bell {
    std::atomic<uint32_t> word;      // the futex: bumped by every ring that finds a sleeper
    std::atomic<uint32_t> sleepers;  // the owner's threads that are armed
  };
  void wake();

  std::string name_;
  bool owner_ = false;
  Bell* bell_ = nullptr;
};

}  // namespace hccl
