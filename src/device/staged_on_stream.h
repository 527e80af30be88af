// A GPU rank's staged calls (staged_pipeline.h) as steps on the caller's stream, with the host's
// part left for the progress thread. For each round the stream copies the inputs into a staging
// slot and signals "reached"; the progress thread, seeing it, runs the round on the host and
// writes "done"; the stream, waiting there, copies the outputs back (stream_gate.h). Up to
// StagingSlots::kSlots rounds are in flight, so the host works on one round while the stream
// copies the next; a round that starts a call first drains every round before it (its input
// may be an earlier call's output).
//
// The progress thread makes no device runtime call: every copy is enqueued here, by the thread
// that made the call, so nothing the host must do to release the stream can wait for the device.
#pragma once

#include <cstdint>
#include <vector>

#include "device/staged_pipeline.h"
#include "device/staging_slots.h"
#include "device/stream_steps.h"

namespace hccl {

class DeviceBackend;
class StreamGate;

// A round the progress thread runs once the stream has reached `seq`.
struct GatedRound {
  const StagedRound* round;
  char* slot;
  uint32_t seq;
};

// One run of staged calls: its rounds and what the host does with them, in stream order.
struct StagedRun {
  std::vector<StagedRound> rounds;
  std::vector<GatedRound> gated;
};

// Plans `ops` (this rank's staged calls, in call order) into `run` and appends their steps for
// `stream`; every wait of a step is for a round an earlier step signalled. `ops` and `run` must
// outlive the steps' emission and the run.
Status appendStagedSteps(const std::vector<Operation*>& ops, void* stream, DeviceBackend& device, StreamGate& gate,
                         StagingSlots& slots, StagedRun* run, StreamSteps* steps);

}  // namespace hccl
