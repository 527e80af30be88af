#include "device/stream_gate.h"

#include "backends/device_backend.h"
#include "base/backoff.h"
#include "base/error.h"
#include "exec/comm_context.h"

namespace hccl {
namespace {

uint32_t loadWord(const uint32_t* w) { return __atomic_load_n(w, __ATOMIC_ACQUIRE); }
void storeWord(uint32_t* w, uint32_t v) { __atomic_store_n(w, v, __ATOMIC_RELEASE); }
bool reached(uint32_t value, uint32_t seq) { return static_cast<int32_t>(value - seq) >= 0; }

// The host-function gate: runs on the vendor runtime's callback thread when the stream gets
// there, and holds the stream until the progress thread is done.
struct HostGate {
  uint32_t* words;
  uint32_t seq;
};
void hostGate(void* arg) {
  auto* g = static_cast<HostGate*>(arg);
  storeWord(&g->words[0], g->seq);
  Backoff backoff;
  while (!reached(loadWord(&g->words[1]), g->seq))
    if (backoff.tick()) backoff.rest();
  delete g;
}

}  // namespace

StreamGate::~StreamGate() { device_.freePinned(words_); }

Status StreamGate::start() {
  HCCL_TRY(device_.select());
  void* words = nullptr;
  HCCL_TRY(device_.allocatePinned(&words, 64));
  words_ = static_cast<uint32_t*>(words);
  storeWord(&words_[0], 0);
  storeWord(&words_[1], 0);
  return device_.mappedAddress(words, &deviceWords_);
}

Status StreamGate::hold(const std::vector<void*>& streams, uint32_t seq) {
  void* primary = streams[0];
  auto join = [&](void* from, void* to) -> Status {
    void* event = nullptr;
    HCCL_TRY(device_.createEvent(&event));
    Status s = device_.recordEvent(event, from);
    if (!failed(s)) s = device_.streamWaitEvent(to, event);
    device_.destroyEvent(event);
    return s;
  };
  for (size_t i = 1; i < streams.size(); ++i) HCCL_TRY(join(streams[i], primary));
  if (device_.streamMemOps()) {
    HCCL_TRY(device_.writeValue(primary, deviceWords_, seq));
    HCCL_TRY(device_.waitValue(primary, static_cast<uint32_t*>(deviceWords_) + 1, seq));
  } else {
    auto* g = new HostGate{words_, seq};
    Status s = device_.launchHostFunction(primary, hostGate, g);
    if (failed(s)) {
      delete g;
      return s;
    }
  }
  for (size_t i = 1; i < streams.size(); ++i) HCCL_TRY(join(primary, streams[i]));
  return Status::Success;
}

Status StreamGate::waitReached(uint32_t seq) {
  const Clock::duration timeout = secondsToDuration(comm_.config().timeoutSeconds);
  Backoff backoff;
  while (!reached(loadWord(&words_[0]), seq)) {
    if (comm_.abortRequested()) return Status::Aborted;
    if (!backoff.tick()) continue;
    if (backoff.idle() > timeout)
      return fail(Status::RemoteError, "rank %d: the stream did not reach a collective within %.0f s",
                  comm_.rank(), comm_.config().timeoutSeconds);
    backoff.rest();
  }
  return Status::Success;
}

void StreamGate::release(uint32_t seq) { storeWord(&words_[1], seq); }

}  // namespace hccl
