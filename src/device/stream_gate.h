// The words a GPU rank's streams and its host side meet at: pinned host memory the device reaches
// (its device address), so that neither side needs a runtime call to pass the other.
//
//   reached  a stream writes round s's number once the round's inputs are in the staging slot;
//            the progress thread waits for it, runs the round on the host, and then
//   done     writes s: the stream, which waits there, copies the round's outputs out and goes on.
//   abort    set when the communicator aborts or fails: every barrier wait on the device ends.
//   retired  a stream writes n once the n-th batch of calls is complete on it.
//
// On abort or failure the host writes "done" up to the last round issued, so no stream stays
// held, whatever was left undone.
#pragma once

#include <atomic>
#include <cstdint>

#include "base/status.h"

namespace hccl {

class DeviceBackend;

class StreamGate {
 public:
  explicit StreamGate(DeviceBackend& device) : device_(device) {}
  ~StreamGate();
  StreamGate(const StreamGate&) = delete;
  StreamGate& operator=(const StreamGate&) = delete;

  // At init (API thread): the words.
  Status start();

  // Stream side, enqueued by the API thread.
  Status signalReached(void* stream, uint32_t seq);
  Status waitDone(void* stream, uint32_t seq);
  Status signalRetired(void* stream, uint32_t count);
  // A new round's number (API thread).
  uint32_t nextSeq() { return issued_.fetch_add(1, std::memory_order_acq_rel) + 1; }
  // The device address a barrier's wait kernel watches.
  void* abortOnDevice() const { return deviceWord(kAbort); }

  // Host side (the progress thread): no runtime call.
  bool hasReached(uint32_t seq) const { return atOrPast(load(kReached), seq); }
  void release(uint32_t seq);
  // Releases every round issued so far and ends the device's barrier waits, now and later.
  void abortAll();
  uint32_t retired() const { return load(kRetired); }

 private:
  enum Word { kReached = 0, kDone = 1, kAbort = 2, kRetired = 3, kWords = 4 };
  static bool atOrPast(uint32_t value, uint32_t seq) { return static_cast<int32_t>(value - seq) >= 0; }
  uint32_t load(Word w) const { return __atomic_load_n(&words_[w], __ATOMIC_ACQUIRE); }
  void store(Word w, uint32_t v) { __atomic_store_n(&words_[w], v, __ATOMIC_RELEASE); }
  void* deviceWord(Word w) const { return static_cast<uint32_t*>(deviceWords_) + w; }

  DeviceBackend& device_;
  uint32_t* words_ = nullptr;
  void* deviceWords_ = nullptr;
  std::atomic<uint32_t> issued_{0};
};

}  // namespace hccl
