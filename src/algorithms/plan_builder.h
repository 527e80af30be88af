// Small helpers shared by the planners: chunk arithmetic and step constructors.
#pragma once

#include <cstddef>

#include "algorithms/plan.h"

namespace hccl {

// Splits `count` elements into `parts` near-equal chunks; the first count % parts get one more.
struct ChunkSplit {
  size_t count;
  size_t parts;
  size_t size(size_t i) const { return count / parts + (i < count % parts ? 1 : 0); }
  size_t offset(size_t i) const { return i * (count / parts) + (i < count % parts ? i : count % parts); }
};

inline int mod(int a, int n) { return ((a % n) + n) % n; }

class PlanBuilder {
 public:
  explicit PlanBuilder(Plan* plan) : plan_(plan) {}

  // Starts a new phase; steps added after go into it.
  void phase() {
    plan_->phases.emplace_back();
    current_ = plan_->phases.size() - 1;
  }
  // Steps added after go into phase `index`, which is created (with any before it) if missing.
  void phaseAt(size_t index) {
    if (plan_->phases.size() <= index) plan_->phases.resize(index + 1);
    current_ = index;
  }

  void copy(Region dst, Region src, size_t bytes) { add({StepKind::Copy, -1, 0, dst, src, bytes}); }
  void send(int peer, uint32_t tag, Region src, size_t bytes) {
    add({StepKind::Send, peer, tag, {}, src, bytes});
  }
  void recv(int peer, uint32_t tag, Region dst, size_t bytes) {
    add({StepKind::Recv, peer, tag, dst, {}, bytes});
  }
  void recvReduce(int peer, uint32_t tag, Region dst, Region src, size_t bytes) {
    add({StepKind::RecvReduce, peer, tag, dst, src, bytes});
  }

 private:
  // Zero-byte steps are dropped: both sides of a transfer compute the same size and agree.
  void add(const Step& step) {
    if (step.bytes == 0) return;
    if (plan_->phases.empty()) phase();
    plan_->phases[current_].steps.push_back(step);
  }
  Plan* plan_;
  size_t current_ = 0;
};

inline Region sendAt(size_t offset) { return {BufferRef::Send, offset}; }
inline Region recvAt(size_t offset) { return {BufferRef::Recv, offset}; }
inline Region scratchAt(size_t offset) { return {BufferRef::Scratch, offset}; }

}  // namespace hccl
