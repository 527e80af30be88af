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
// Events. Between two events every rate is constant, so the engine jumps from one start or end
// to the next. Transfers within 1e-4 of their bytes of the end when one ends finish in the
// same event (a few bytes early at most): symmetric schedules finish whole classes of transfers
// at once, so the number of events follows the number of distinct transfer kinds, not the
// number of transfers. At each event the shares are recomputed by progressive filling, but only
// over the ports connected (through active transfers) to one whose transfers changed: max-min
// shares of unconnected ports cannot change. Finish times wait in a heap, and a transfer whose
// rate stayed keeps its entry, so an event costs the size of the part of the network it touches.
//
// Scale. Hierarchical and Weighted plans are the same on every rail, and a node's ranks do the
// same thing at the same time, so for them only the ranks of rail 0 are simulated: a transfer to
// or from another rank of the same node is taken to meet its mirror image at once and loads only
// the simulated rank's port. That divides memory and time by the ranks per node. Other schedules
// are simulated rank by rank. Either way a run is refused when its Plans would hold more than
// SimOptions::maxSteps transfer steps in all.
#pragma once

#include <string>

#include "tuning/cost_model.h"

namespace hccl::tuning {

struct SimOptions {
  bool railSymmetry = true;
  size_t maxSteps = size_t{100} << 20;  // transfer steps, 16 bytes each in memory
};

struct SimResult {
  bool ok = false;
  std::string error;      // why there is no result
  double seconds = 0;     // until the last simulated rank finished its Plan
  int simulatedRanks = 0;
  size_t transfers = 0;
  size_t events = 0;      // distinct moments at which transfers started or ended
};

// Times `args` (its rank is ignored) planned with `choice` on every rank of `topology`.
SimResult simulateCollective(const topo::Topology& topology, const CollArgs& args, const Choice& choice,
                             const SimOptions& options = {});

}  // namespace hccl::tuning
