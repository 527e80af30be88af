// Which schedule each collective runs on one communicator. The cost model's choice depends only
// on the collective, its size and a forced algorithm, and costs microseconds at scale, so it is
// made once per such key and kept; a small call then pays a lookup. The first choice of each key
// is logged (NCCL_DEBUG=INFO, subsystem TUNING) with the rings or shares it uses.
#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "algorithms/layout.h"
#include "algorithms/planner.h"
#include "tuning/cost_model.h"

namespace hccl::tuning {

class ScheduleChooser {
 public:
  // Lays out `topology` (which must outlive this object) once; called when the communicator's
  // topology is known, before its first collective.
  void setTopology(const topo::Topology* topology);

  // The Plan of `args` on this communicator's topology (planCollective(args) without one).
  Plan plan(const CollArgs& args);

 private:
  static constexpr size_t kMaxRemembered = 1024;

  const topo::Topology* topology_ = nullptr;
  PlanLayout layout_;
  std::mutex mutex_;  // a communicator's collectives may be issued from several threads
  std::unordered_map<uint64_t, Choice> choices_;
};

}  // namespace hccl::tuning
