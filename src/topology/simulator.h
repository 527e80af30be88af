// hccl-sim's engine: plans a collective for every rank with the same planners the executor uses,
// and times the Plans on a link-level model of the cluster.
//
// The model. Every rank has four ports: node-internal out and in (Node::intraGbps each way) and
// network out and in (its node's NICs shared evenly by the node's ranks, as rail-aligned NICs
// are). The network core is non-blocking, so a transfer between nodes crosses exactly two
// ports, the sender's network out and the receiver's network in; one inside a node crosses the
// two node-internal ports. A transfer starts when both sides have posted it (each in its current
// phase, as the executor posts a phase's transfers at once), waits one latency (network or
// node-internal), then moves its bytes at the rate the fluid model gives it: max-min fair
// sharing among the transfers active on each port, recomputed whenever one starts or ends.
// Max-min fairness is what a fluid model of per-flow congestion control converges to, and it
// lets a transfer held back by a slow receiver leave the sender's spare bandwidth to others,
// which equal shares would not. Local copies and reductions take no time.
//
// Scale. Hierarchical and Weighted plans are the same on every rail, and a node's ranks do the
// same thing at the same time, so for them only the ranks of rail 0 are simulated: a transfer to
// or from another rank of the same node is taken to meet its mirror image at once and loads only
// the simulated rank's port. That divides memory and time by the ranks per node, which is what
// makes 8,192 GPUs a matter of seconds. Other schedules are simulated rank by rank, refused when
// their Plans would hold more than SimOptions::maxSteps steps in all.
#pragma once

#include <string>

#include "topology/cost_model.h"

namespace hccl::topo {

struct SimOptions {
  bool railSymmetry = true;
  size_t maxSteps = size_t{150} << 20;
};

struct SimResult {
  bool ok = false;
  std::string error;      // why there is no result
  double seconds = 0;     // until the last simulated rank finished its Plan
  int simulatedRanks = 0;
  size_t transfers = 0;
};

// Times `args` (its rank is ignored) planned with `choice` on every rank of `topology`.
SimResult simulateCollective(const Topology& topology, const CollArgs& args, const Choice& choice,
                             const SimOptions& options = {});

}  // namespace hccl::topo
