#include "topology/simulator.h"

#include <algorithm>
#include <limits>
#include <queue>
#include <unordered_map>

namespace hccl::topo {
namespace {

constexpr uint32_t kSendBit = uint32_t{1} << 31;  // tags stay below 2^24

// A transfer step as the simulator needs it: offsets and buffers do not matter for time.
struct SimStep {
  int32_t peer;
  uint32_t tagAndKind;
  uint64_t bytes;
};

struct SimRank {
  std::vector<SimStep> steps;
  std::vector<uint32_t> phaseEnd;  // steps of phase p: [phaseEnd[p-1], phaseEnd[p])
  size_t phase = 0;
  int pending = 0;
};

struct Flow {
  double remaining, bytes, startAt, rate;
  int link[2];    // port indices, -1 for none
  int notify[2];  // simulated ranks whose phase waits on it, -1 for none
};

enum Port { IntraOut, IntraIn, NetOut, NetIn };

class Simulation {
 public:
  Simulation(const Topology& t, std::vector<bool> simulated) : t_(t), simulated_(std::move(simulated)) {
    const int n = t.nranks();
    ranks_.resize(n);
    capacity_.resize(4 * static_cast<size_t>(n));
    std::vector<int> perNode(t.nodes.size(), 0);
    for (const RankPlace& p : t.ranks) ++perNode[p.node];
    for (int r = 0; r < n; ++r) {
      const Node& node = t.nodeOf(r);
      capacity_[port(r, IntraOut)] = capacity_[port(r, IntraIn)] = std::max(node.intraGbps, 1e-9) * 1e9 / 8;
      capacity_[port(r, NetOut)] = capacity_[port(r, NetIn)] =
          std::max(node.networkGbps(), 1e-9) * 1e9 / 8 / perNode[t.ranks[r].node];
    }
    linkCount_.assign(capacity_.size(), 0);
    linkLeft_.assign(capacity_.size(), 0);
    linkVersion_.assign(capacity_.size(), 0);
    linkSlot_.assign(capacity_.size(), 0);
  }

  // Keeps the transfers of `plan` as rank r's.
  void load(int r, const Plan& plan) {
    SimRank& s = ranks_[r];
    for (const Phase& phase : plan.phases) {
      for (const Step& step : phase.steps)
        if (step.isTransfer())
          s.steps.push_back({step.peer, step.tag | (step.kind == StepKind::Send ? kSendBit : 0), step.bytes});
      s.phaseEnd.push_back(static_cast<uint32_t>(s.steps.size()));
    }
    s.steps.shrink_to_fit();
  }

  SimResult run() {
    SimResult result;
    for (int r = 0; r < t_.nranks(); ++r)
      if (simulated_[r]) advance(r);
    while (!flows_.empty()) {
      if (!error_.empty()) break;
      shareBandwidth();
      double dt = std::numeric_limits<double>::infinity();
      for (const Flow& f : flows_)
        dt = std::min(dt, started(f) ? f.remaining / f.rate : f.startAt - now_);
      if (!(dt < std::numeric_limits<double>::infinity())) {
        error_ = "no transfer can progress (a port with no bandwidth)";
        break;
      }
      for (Flow& f : flows_)
        if (started(f)) f.remaining -= f.rate * dt;
      now_ += dt;
      for (size_t i = 0; i < flows_.size();) {
        Flow& f = flows_[i];
        if (f.startAt <= now_ && f.remaining <= 1e-9 * f.bytes) {
          const int notify[2] = {f.notify[0], f.notify[1]};
          flows_[i] = flows_.back();
          flows_.pop_back();
          ++result.transfers;
          for (int r : notify)
            if (r >= 0 && --ranks_[r].pending == 0) {
              ++ranks_[r].phase;
              advance(r);
            }
        } else {
          ++i;
        }
      }
    }
    for (int r = 0; r < t_.nranks() && error_.empty(); ++r)
      if (simulated_[r] && ranks_[r].phase < ranks_[r].phaseEnd.size())
        error_ = "rank " + std::to_string(r) + " never finished phase " + std::to_string(ranks_[r].phase) +
                 " (unmatched transfer: deadlock)";
    result.ok = error_.empty();
    result.error = error_;
    result.seconds = now_;
    return result;
  }

 private:
  size_t port(int rank, Port p) const { return 4 * static_cast<size_t>(rank) + p; }
  bool started(const Flow& f) const { return f.startAt <= now_; }

  // Posts rank r's phases from its current one until one has a transfer in flight.
  void advance(int r) {
    SimRank& s = ranks_[r];
    while (s.phase < s.phaseEnd.size()) {
      const uint32_t first = s.phase == 0 ? 0 : s.phaseEnd[s.phase - 1];
      for (uint32_t i = first; i < s.phaseEnd[s.phase]; ++i) post(r, s.steps[i]);
      if (s.pending > 0) return;
      ++s.phase;
    }
  }

  void post(int r, const SimStep& step) {
    ++ranks_[r].pending;
    const bool send = (step.tagAndKind & kSendBit) != 0;
    const int src = send ? r : step.peer, dst = send ? step.peer : r;
    const bool local = t_.sameNode(src, dst);
    if (!simulated_[step.peer]) {
      if (!local) error_ = "rail symmetry: rank " + std::to_string(r) + " talks to an unsimulated rank off its node";
      // Its mirror image on the peer's side meets it at once (see simulator.h).
      addFlow(r, step.peer, step.bytes, send ? port(r, IntraOut) : port(r, IntraIn), -1, r, -1);
      return;
    }
    const uint64_t key = (static_cast<uint64_t>(src) << 44) | (static_cast<uint64_t>(dst) << 24) |
                         (step.tagAndKind & ~kSendBit);
    auto it = posted_.find(key);
    if (it == posted_.end()) {
      posted_.emplace(key, 0);
      return;
    }
    posted_.erase(it);
    if (local) addFlow(src, dst, step.bytes, port(src, IntraOut), port(dst, IntraIn), src, dst);
    else addFlow(src, dst, step.bytes, port(src, NetOut), port(dst, NetIn), src, dst);
  }

  void addFlow(int src, int dst, uint64_t bytes, size_t linkA, size_t linkB, int notifyA, int notifyB) {
    const bool local = t_.sameNode(src, dst);
    const double latency = (local ? t_.nodeOf(src).intraLatencyUs : t_.networkLatencyUs) * 1e-6;
    const double b = static_cast<double>(bytes);
    flows_.push_back({b, b, now_ + latency, 0, {static_cast<int>(linkA), linkB == size_t(-1) ? -1 : static_cast<int>(linkB)},
                      {notifyA, notifyB}});
  }

  // Max-min fair rates by progressive filling: repeatedly the port with the smallest fair share
  // fixes the rate of all its unfixed flows, which then leave their other port.
  void shareBandwidth() {
    touched_.clear();
    for (const Flow& f : flows_) {
      if (!started(f)) continue;
      for (int l : f.link)
        if (l >= 0 && linkCount_[l]++ == 0) touched_.push_back(l);
    }
    // Flows by port (CSR), so a port's flows are found at once.
    offsets_.assign(touched_.size() + 1, 0);
    for (size_t i = 0; i < touched_.size(); ++i) {
      linkLeft_[touched_[i]] = capacity_[touched_[i]];
      offsets_[i + 1] = offsets_[i] + linkCount_[touched_[i]];
      linkSlot_[touched_[i]] = static_cast<int>(i);
    }
    byLink_.resize(offsets_.back());
    std::vector<size_t> fill(offsets_.begin(), offsets_.end() - 1);
    for (size_t i = 0; i < flows_.size(); ++i) {
      if (!started(flows_[i])) continue;
      flows_[i].rate = -1;
      for (int l : flows_[i].link)
        if (l >= 0) byLink_[fill[linkSlot_[l]]++] = static_cast<uint32_t>(i);
    }
    using Entry = std::pair<double, std::pair<int, uint32_t>>;  // share, (port, version)
    std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap;
    for (int l : touched_) heap.push({linkLeft_[l] / linkCount_[l], {l, ++linkVersion_[l]}});
    while (!heap.empty()) {
      const auto [share, id] = heap.top();
      heap.pop();
      const int l = id.first;
      if (id.second != linkVersion_[l] || linkCount_[l] == 0) continue;
      const int slot = linkSlot_[l];
      for (size_t k = offsets_[slot]; k < offsets_[slot + 1]; ++k) {
        Flow& f = flows_[byLink_[k]];
        if (f.rate >= 0) continue;
        f.rate = std::max(share, 1e-30);
        for (int other : f.link) {
          if (other < 0) continue;
          linkLeft_[other] = std::max(0.0, linkLeft_[other] - share);
          if (--linkCount_[other] > 0 && other != l)
            heap.push({linkLeft_[other] / linkCount_[other], {other, ++linkVersion_[other]}});
        }
      }
    }
    for (int l : touched_) linkCount_[l] = 0;
  }

  const Topology& t_;
  std::vector<bool> simulated_;
  std::vector<SimRank> ranks_;
  std::vector<double> capacity_, linkLeft_;
  std::vector<int> linkCount_;
  std::vector<uint32_t> linkVersion_;
  std::vector<int> touched_;
  std::vector<size_t> offsets_;
  std::vector<uint32_t> byLink_;
  std::unordered_map<uint64_t, int> posted_;
  std::vector<Flow> flows_;
  double now_ = 0;
  std::string error_;
  std::vector<int> linkSlot_;  // a port's index among those touched this round
};

}  // namespace

SimResult simulateCollective(const Topology& topology, const CollArgs& args, const Choice& choice,
                             const SimOptions& options) {
  SimResult result;
  if (Status s = topology.validate(); s != Status::Success) {
    result.error = "the topology is not valid";
    return result;
  }
  const int n = topology.nranks();
  const PlanLayout layout = planLayout(topology);
  bool equalNodes = true;
  for (const std::vector<int>& node : layout.nodes) equalNodes = equalNodes && node.size() == layout.nodes[0].size();
  const bool railSymmetric = options.railSymmetry && args.kind == CollKind::AllReduce && equalNodes &&
                             layout.nodes[0].size() > 1 &&
                             (choice.algorithm == Algorithm::Hierarchical || choice.algorithm == Algorithm::Weighted);
  std::vector<bool> simulated(n, !railSymmetric);
  if (railSymmetric)
    for (const std::vector<int>& node : layout.nodes) simulated[node[0]] = true;
  Simulation sim(topology, simulated);
  size_t steps = 0;
  CollArgs a = args;
  a.nranks = n;
  for (int r = 0; r < n; ++r) {
    if (!simulated[r]) continue;
    a.rank = r;
    const Plan plan = planWithChoice(a, layout, choice);
    for (const Phase& phase : plan.phases) steps += phase.steps.size();
    if (steps > options.maxSteps) {
      result.error = "the Plans exceed " + std::to_string(options.maxSteps) + " steps (memory); not simulated";
      return result;
    }
    sim.load(r, plan);
    ++result.simulatedRanks;
  }
  const int simulatedRanks = result.simulatedRanks;
  result = sim.run();
  result.simulatedRanks = simulatedRanks;
  return result;
}

}  // namespace hccl::topo
