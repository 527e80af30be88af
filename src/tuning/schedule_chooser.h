// Which schedule each collective runs on one communicator. The cost model's choice depends only
// on the collective, its size and a forced algorithm, and costs microseconds at scale, so it is
// made once per such key and kept; a small call then pays a lookup. The first choice of each key
// is logged (NCCL_DEBUG=INFO, subsystem TUNING) with the rings or shares it uses.
//
// The Plans themselves are kept too, the last few calls' worth: a training loop repeats the same
// calls, and building a Plan (vectors of phases and steps) costs a small call a third of its time.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

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
  std::shared_ptr<const Plan> plan(const CollArgs& args);

 private:
  static constexpr size_t kMaxRemembered = 1024;
  static constexpr size_t kPlansKept = 16;
  struct KeptPlan {
    CollArgs args;
    std::shared_ptr<const Plan> plan;
  };
  Plan build(const CollArgs& args);

  const topo::Topology* topology_ = nullptr;
  PlanLayout layout_;
  std::mutex mutex_;  // a communicator's collectives may be issued from several threads
  std::unordered_map<uint64_t, Choice> choices_;
  std::vector<KeptPlan> plans_;  // replaced round robin once full
  size_t nextReplaced_ = 0;
};

}  // namespace hccl::tuning
