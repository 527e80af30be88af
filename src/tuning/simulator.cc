#include "tuning/simulator.h"

#include <algorithm>
#include <limits>
#include <queue>
#include <unordered_map>

namespace hccl::tuning {

using topo::Node;
using topo::RankPlace;
using topo::Topology;
namespace {

constexpr uint32_t kSendBit = uint32_t{1} << 31;  // tags stay below 2^24
// Transfers within this fraction of their bytes from the end finish in the current event.
constexpr double kEndTolerance = 1e-4;

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
  double remaining, bytes, rate;
  double previousRate;  // before the current recomputation
  double updated;  // when `remaining` was last brought up to date
  uint32_t version;  // of its entry in the finish heap
  int port[2];    // port indices, -1 for none
  int slot[2];    // its index in each port's list
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
    portFlows_.resize(capacity_.size());
    portCount_.assign(capacity_.size(), 0);
    portLeft_.assign(capacity_.size(), 0);
    portVersion_.assign(capacity_.size(), 0);
    portMark_.assign(capacity_.size(), 0);
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
    startDue();
    shareBandwidth();
    for (;;) {
      dropStaleFinishes();
      if (!error_.empty() || (finishes_.empty() && waiting_.empty())) break;
      ++result.events;
      now_ = std::min(finishes_.empty() ? kNever : finishes_.top().at, waiting_.empty() ? kNever : waiting_.top().first);
      if (now_ >= kNever) {
        error_ = "no transfer can progress (a port with no bandwidth)";
        break;
      }
      finished_.clear();
      for (dropStaleFinishes(); !finishes_.empty(); dropStaleFinishes()) {
        const Flow& f = flows_[finishes_.top().id];
        if (finishes_.top().at > now_ + kEndTolerance * f.bytes / f.rate) break;
        finished_.push_back(finishes_.top().id);
        finishes_.pop();
      }
      for (int id : finished_) detach(id);
      // Ranks move on only after every transfer of this moment has ended, so transfers they
      // post next see the ports as they now are.
      for (int id : finished_) {
        ++result.transfers;
        const int notify[2] = {flows_[id].notify[0], flows_[id].notify[1]};
        free_.push_back(id);
        for (int r : notify)
          if (r >= 0 && --ranks_[r].pending == 0) {
            ++ranks_[r].phase;
            advance(r);
          }
      }
      startDue();
      shareBandwidth();
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
      addFlow(src, dst, step.bytes, send ? port(r, IntraOut) : port(r, IntraIn), -1, r, -1);
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

  void addFlow(int src, int dst, uint64_t bytes, size_t portA, size_t portB, int notifyA, int notifyB) {
    const bool local = t_.sameNode(src, dst);
    const double latency = (local ? t_.nodeOf(src).intraLatencyUs : t_.networkLatencyUs) * 1e-6;
    const double b = static_cast<double>(bytes);
    int id;
    if (free_.empty()) {
      id = static_cast<int>(flows_.size());
      flows_.emplace_back();
    } else {
      id = free_.back();
      free_.pop_back();
    }
    flows_[id] = {b, b, 0, 0, 0, flows_[id].version + 1,
                  {static_cast<int>(portA), portB == size_t(-1) ? -1 : static_cast<int>(portB)}, {-1, -1},
                  {notifyA, notifyB}};
    waiting_.push({now_ + latency, id});
  }

  // Transfers whose latency has passed join their ports (all those due at this moment).
  void startDue() {
    const double due = now_ * (1 + 1e-12);
    while (!waiting_.empty() && waiting_.top().first <= due) {
      const int id = waiting_.top().second;
      waiting_.pop();
      Flow& f = flows_[id];
      f.updated = now_;
      for (int i = 0; i < 2; ++i)
        if (f.port[i] >= 0) {
          f.slot[i] = static_cast<int>(portFlows_[f.port[i]].size());
          portFlows_[f.port[i]].push_back(id);
          markDirty(f.port[i]);
        }
    }
  }

  // An ended transfer leaves its ports.
  void detach(int id) {
    Flow& f = flows_[id];
    ++f.version;
    for (int i = 0; i < 2; ++i) {
      if (f.port[i] < 0) continue;
      std::vector<int>& list = portFlows_[f.port[i]];
      const int moved = list.back();
      list[f.slot[i]] = moved;
      Flow& m = flows_[moved];
      m.slot[m.port[0] == f.port[i] ? 0 : 1] = f.slot[i];
      list.pop_back();
      markDirty(f.port[i]);
    }
  }

  void markDirty(int p) {
    if (portMark_[p] != epoch_) {
      portMark_[p] = epoch_;
      dirty_.push_back(p);
    }
  }

  void dropStaleFinishes() {
    while (!finishes_.empty() && finishes_.top().version != flows_[finishes_.top().id].version) finishes_.pop();
  }

  // Max-min fair rates by progressive filling: repeatedly the port with the smallest fair share
  // fixes the rate of all its unfixed flows, which then leave their other port. Shares depend
  // only on the ports a transfer is connected to through others, so only the components of the
  // ports whose transfers changed are recomputed.
  void shareBandwidth() {
    // The components: every port and transfer reachable from a changed port.
    ++epoch_;
    ports_.clear();
    component_.clear();
    for (int p : dirty_) {
      portMark_[p] = epoch_;
      ports_.push_back(p);
    }
    dirty_.clear();
    for (size_t i = 0; i < ports_.size(); ++i)
      for (int id : portFlows_[ports_[i]]) {
        Flow& f = flows_[id];
        if (f.rate < 0) continue;  // already taken
        f.remaining = std::max(0.0, f.remaining - f.rate * (now_ - f.updated));
        f.updated = now_;
        f.previousRate = f.rate;
        f.rate = -1;
        component_.push_back(id);
        for (int p : f.port)
          if (p >= 0 && portMark_[p] != epoch_) {
            portMark_[p] = epoch_;
            ports_.push_back(p);
          }
      }
    using Entry = std::pair<double, std::pair<int, uint32_t>>;  // share, (port, version)
    std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap;
    for (int p : ports_) {
      portLeft_[p] = capacity_[p];
      portCount_[p] = static_cast<int>(portFlows_[p].size());
      if (portCount_[p] > 0) heap.push({portLeft_[p] / portCount_[p], {p, ++portVersion_[p]}});
    }
    while (!heap.empty()) {
      const auto [share, key] = heap.top();
      heap.pop();
      const int p = key.first;
      if (key.second != portVersion_[p] || portCount_[p] == 0) continue;
      for (int id : portFlows_[p]) {
        Flow& f = flows_[id];
        if (f.rate >= 0) continue;
        f.rate = std::max(share, 1e-30);
        for (int other : f.port) {
          if (other < 0) continue;
          portLeft_[other] = std::max(0.0, portLeft_[other] - share);
          if (--portCount_[other] > 0 && other != p)
            heap.push({portLeft_[other] / portCount_[other], {other, ++portVersion_[other]}});
        }
      }
    }
    // A transfer whose rate stayed keeps its entry in the finish heap.
    for (int id : component_) {
      Flow& f = flows_[id];
      if (f.rate != f.previousRate) finishes_.push({now_ + f.remaining / f.rate, id, ++f.version});
    }
    ++epoch_;
  }

  static constexpr double kNever = 1e15;  // seconds

  struct Finish {
    double at;
    int id;
    uint32_t version;
    bool operator>(const Finish& o) const { return at > o.at; }
  };

  const Topology& t_;
  std::vector<bool> simulated_;
  std::vector<SimRank> ranks_;
  std::unordered_map<uint64_t, int> posted_;
  std::vector<Flow> flows_;
  std::vector<int> free_, finished_;
  using Start = std::pair<double, int>;  // time, flow
  std::priority_queue<Start, std::vector<Start>, std::greater<Start>> waiting_;
  std::priority_queue<Finish, std::vector<Finish>, std::greater<Finish>> finishes_;
  double now_ = 0;
  std::string error_;
  // Per port: capacity, active transfers, and shareBandwidth's working values.
  std::vector<double> capacity_, portLeft_;
  std::vector<std::vector<int>> portFlows_;
  std::vector<int> portCount_;
  std::vector<uint32_t> portVersion_, portMark_;
  uint32_t epoch_ = 1;
  std::vector<int> dirty_, ports_, component_;
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
    for (const Phase& phase : plan.phases)
      for (const Step& step : phase.steps) steps += step.isTransfer() ? 1 : 0;
    if (steps > options.maxSteps) {
      result.error = "the Plans exceed " + std::to_string(options.maxSteps) + " transfer steps (memory); not simulated";
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

}  // namespace hccl::tuning
