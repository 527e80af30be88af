// A Plan is plain data: for one rank, the phases of one operation. Planners produce Plans and do
// no I/O; the executor runs them; tests run them on memory alone.
//
// A phase runs its local steps (in order) first, then posts all its transfers at once, and ends
// when every transfer has completed. Transfers in one phase therefore never wait on each other,
// which is what keeps send/recv pairs between ranks free of deadlock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace hccl {

// Which buffer a step addresses. Scratch is executor-owned memory of Plan::scratchBytes.
enum class BufferRef : uint8_t { Send, Recv, Scratch };

enum class StepKind : uint8_t {
  Copy,        // local: dst = src
  Send,        // to peer: src
  Recv,        // from peer: dst = incoming
  RecvReduce,  // from peer: dst = src op incoming (src may be dst)
};

struct Region {
  BufferRef buffer = BufferRef::Send;
  size_t offset = 0;  // bytes
};

struct Step {
  StepKind kind = StepKind::Copy;
  int peer = -1;      // transfers only
  uint32_t tag = 0;   // pairs a Send with its Recv: both sides' planners pick the same value
  Region dst;         // Copy, Recv, RecvReduce
  Region src;         // Copy, Send, RecvReduce
  size_t bytes = 0;

  bool isTransfer() const { return kind != StepKind::Copy; }
};

struct Phase {
  std::vector<Step> steps;
};

struct Plan {
  std::vector<Phase> phases;
  size_t scratchBytes = 0;

  std::string describe() const;  // one line per step, for logs and tests
};

}  // namespace hccl
