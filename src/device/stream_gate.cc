#include "device/stream_gate.h"

#include "backends/device_backend.h"

namespace hccl {

StreamGate::~StreamGate() { device_.freePinned(words_); }

Status StreamGate::start() {
  void* words = nullptr;
  HCCL_TRY(device_.allocatePinned(&words, 64));
  words_ = static_cast<uint32_t*>(words);
  for (int w = 0; w < kWords; ++w) store(static_cast<Word>(w), 0);
  return device_.mappedAddress(words, &deviceWords_);
}

Status StreamGate::signalReached(void* stream, uint32_t seq) { return device_.writeValue(stream, deviceWord(kReached), seq); }

Status StreamGate::waitDone(void* stream, uint32_t seq) { return device_.waitValue(stream, deviceWord(kDone), seq); }

Status StreamGate::signalRetired(void* stream, uint32_t count) {
  return device_.writeValue(stream, deviceWord(kRetired), count);
}

void StreamGate::release(uint32_t seq) {
  if (!atOrPast(load(kDone), seq)) store(kDone, seq);
}

void StreamGate::abortAll() {
  store(kAbort, 1);
  release(issued_.load(std::memory_order_acquire));
}

}  // namespace hccl
