#include "tuning/schedule_chooser.h"

#include "base/log.h"

namespace hccl::tuning {
namespace {

uint64_t keyOf(const CollArgs& args) {
  uint64_t bytes = static_cast<uint64_t>(args.count) * args.elemSize;
  return (bytes << 16) | (static_cast<uint64_t>(args.algorithm) << 8) | static_cast<uint64_t>(args.kind);
}

}  // namespace

void ScheduleChooser::setTopology(const topo::Topology* topology) {
  std::lock_guard<std::mutex> lock(mutex_);
  topology_ = topology;
  layout_ = topology->nodes.size() > 1 ? planLayout(*topology) : PlanLayout{};
  choices_.clear();
  plans_.clear();
}

std::shared_ptr<const Plan> ScheduleChooser::plan(const CollArgs& args) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const KeptPlan& kept : plans_)
    if (kept.args == args) return kept.plan;
  auto plan = std::make_shared<const Plan>(build(args));
  if (plans_.size() < kPlansKept) {
    plans_.push_back({args, plan});
  } else {
    plans_[nextReplaced_] = {args, plan};
    nextReplaced_ = (nextReplaced_ + 1) % kPlansKept;
  }
  return plan;
}

// Under mutex_.
Plan ScheduleChooser::build(const CollArgs& args) {
  // One node (or no topology): the planners' own rule by size, with nothing to weigh.
  if (layout_.nodes.size() <= 1 || topology_->nranks() != args.nranks) return planCollective(args);
  Choice choice;
  const uint64_t key = keyOf(args);
  auto found = choices_.find(key);
  if (found != choices_.end()) {
    choice = found->second;
  } else {
    choice = choose(args, *topology_);
    if (choices_.size() >= kMaxRemembered) choices_.clear();
    choices_.emplace(key, choice);
    if (args.rank == 0) HCCL_INFO(Tune, "%s", describeChoice(args, *topology_).c_str());
  }
  return planWithChoice(args, layout_, choice);
}

}  // namespace hccl::tuning
