#include "device/staged_on_stream.h"

#include <deque>

#include "backends/device_backend.h"
#include "device/stream_gate.h"

namespace hccl {

Status appendStagedSteps(const std::vector<Operation*>& ops, void* stream, DeviceBackend& device, StreamGate& gate,
                         StagingSlots& slots, StagedRun* run, StreamSteps* steps) {
  const CopyFn copy = [&device, stream](void* dst, const void* src, size_t bytes) {
    return device.copyAsync(dst, src, bytes, stream, "staging copy");
  };
  run->rounds = planRounds(ops);
  run->gated.clear();
  run->gated.reserve(run->rounds.size());
  std::vector<Operation*> selfOps = ops;
  steps->push_back([copy, selfOps] { return copySelfReceives(selfOps, copy); });
  // Which rounds each step drains before it fills its own: a replay of the slots in use.
  std::deque<size_t> pending;  // indices into run->gated, oldest first
  auto drain = [&](std::vector<size_t>* into) {
    into->push_back(pending.front());
    pending.pop_front();
  };
  for (size_t r = 0; r < run->rounds.size(); ++r) {
    const StagedRound& round = run->rounds[r];
    std::vector<size_t> drains;
    if (round.startsCall)
      while (!pending.empty()) drain(&drains);
    while (pending.size() >= static_cast<size_t>(StagingSlots::kSlots)) drain(&drains);
    char* slot = nullptr;
    HCCL_TRY(slots.reserve(static_cast<int>(r % StagingSlots::kSlots), round.bytes, &slot));
    run->gated.push_back(GatedRound{&round, slot, gate.nextSeq()});
    pending.push_back(r);
    const GatedRound mine = run->gated.back();
    steps->push_back([run, drains, mine, copy, stream, &gate]() -> Status {
      for (size_t d : drains) {
        const GatedRound& earlier = run->gated[d];
        HCCL_TRY(gate.waitDone(stream, earlier.seq));
        HCCL_TRY(copyOutputs(*earlier.round, earlier.slot, copy));
      }
      HCCL_TRY(copyInputs(*mine.round, mine.slot, copy));
      return gate.signalReached(stream, mine.seq);
    });
  }
  std::vector<size_t> last(pending.begin(), pending.end());
  steps->push_back([run, last, copy, stream, &gate]() -> Status {
    for (size_t d : last) {
      const GatedRound& earlier = run->gated[d];
      HCCL_TRY(gate.waitDone(stream, earlier.seq));
      HCCL_TRY(copyOutputs(*earlier.round, earlier.slot, copy));
    }
    return Status::Success;
  });
  return Status::Success;
}

}  // namespace hccl
