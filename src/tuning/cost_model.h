// The cost model: estimates how long a schedule takes on a Topology from its links (per rank,
// node-internal bandwidth and latency; per node, network bandwidth shared evenly by its ranks,
// one network latency per hop), and picks for each collective and size the planner, the
// pipeline chunk and the number of ring channels. NCCL_ALGO / HCCL_ALGO (CollArgs::algorithm)
// fix the planner; the model still picks its chunk and channels.
//
// The estimate walks the schedule's phases as the executor runs them: a phase lasts its largest
// latency plus the time its busiest link needs for the bytes the phase puts on it. Pipelined
// schedules overlap the stages of consecutive chunks, and the model adds them up phase by phase.
// hccl-sim times the real Plans with a finer, flow-level model; tests keep the two close.
#pragma once

#include <string>

#include "algorithms/planner.h"
#include "topology/topology.h"

namespace hccl::tuning {

struct Choice {
  Algorithm algorithm = Algorithm::Ring;
  int channels = 1;
  size_t chunkBytes = 0;
  double seconds = 0;   // the model's estimate
  std::string weighed;  // every candidate and its estimate, for the INFO log
};

// The most transfer steps the model lets one rank's Plan hold: the executor keeps a Plan in memory
// and posts a phase's transfers at once, so past this a finer pipeline costs more than it saves
// (and hccl-sim, which holds every simulated rank's Plan, stays within memory at 8,192 GPUs).
inline constexpr double kMaxPlanSteps = 100000;

// The layout the planners follow on `topology`: nodes in order, each node's ranks contiguous in
// the rings, and the Weighted shares from the AllReduce bound.
PlanLayout planLayout(const topo::Topology& topology);

// The model's estimate for one schedule with these settings (seconds).
double estimateSchedule(const CollArgs& args, const topo::Topology& topology, Algorithm algorithm, int channels,
                        size_t chunkBytes);

// The best schedule for `args` (args.algorithm, when not Auto, fixes the planner).
Choice choose(const CollArgs& args, const topo::Topology& topology);

// The Plan of `args` with `choice` and `layout` (a layout from planLayout of the same topology).
Plan planWithChoice(const CollArgs& args, const PlanLayout& layout, const Choice& choice);

// The choice in words, for NCCL_DEBUG=INFO: planner, why, and the rings or trees it uses.
std::string describeChoice(const CollArgs& args, const topo::Topology& topology);

// The model's time for `args` on `topology` with the schedule it would choose
// (ncclGroupSimulateEnd).
double estimateSeconds(const CollArgs& args, const topo::Topology& topology);

}  // namespace hccl::tuning
