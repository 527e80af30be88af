#include "tuning/cost_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "algorithms/blocks.h"
#include "algorithms/plan_shape.h"
#include "tuning/bound.h"

namespace hccl::tuning {

using topo::Node;
using topo::Topology;
namespace {

// Nodes that look alike to the network (same per-rank NIC rate, same Weighted share) are
// costed once.
struct NodeClass {
  double portBps = 0;  // one rank's share of its node's network, bytes/s each way
  double share = 0;    // the node's Weighted share, in whole pieces as the planner cuts it
};

struct Links {
  int nranks = 1, nodes = 1, perNode = 1;
  bool equalNodes = true;
  double intraBps = 1e30, intraLatency = 0;  // slowest node-internal port, per rank
  double netLatency = 0;
  double minPortBps = 1e30;
  std::vector<NodeClass> classes;
};

Links linksOf(const Topology& t, const PlanLayout& layout) {
  Links l;
  const std::vector<std::vector<int>> groups = t.ranksByNode();
  const std::vector<int> pieces = sharePieces(layout.nodeShares, groups.size());
  double totalPieces = 0;
  for (int p : pieces) totalPieces += p;
  l.nranks = t.nranks();
  l.nodes = static_cast<int>(groups.size());
  l.netLatency = t.networkLatencyUs * 1e-6;
  for (size_t i = 0; i < groups.size(); ++i) {
    const Node& node = t.nodeOf(groups[i][0]);
    const int k = static_cast<int>(groups[i].size());
    l.perNode = std::max(l.perNode, k);
    l.equalNodes = l.equalNodes && k == static_cast<int>(groups[0].size());
    if (k > 1) {
      l.intraBps = std::min(l.intraBps, std::max(node.intraGbps, 1e-9) * 1e9 / 8);
      l.intraLatency = std::max(l.intraLatency, node.intraLatencyUs * 1e-6);
    }
    const NodeClass c{std::max(node.networkGbps(), 1e-9) * 1e9 / 8 / k, pieces[i] / totalPieces};
    l.minPortBps = std::min(l.minPortBps, c.portBps);
    auto same = [&](const NodeClass& o) { return o.portBps == c.portBps && o.share == c.share; };
    if (std::none_of(l.classes.begin(), l.classes.end(), same)) l.classes.push_back(c);
  }
  return l;
}

// One phase of a schedule's stage: its latency and the bytes it puts on each rank's links
// (node-internal, and network out and in per node class).
struct StagePhase {
  double latency = 0;
  double intra = 0;
  std::vector<double> out, in;
};

StagePhase netPhase(const Links& l, double out, double in) {
  return {l.netLatency, 0, std::vector<double>(l.classes.size(), out), std::vector<double>(l.classes.size(), in)};
}

// Chunk c enters stage phase 0 in phase c (as mergePlans lays them out); every phase lasts its
// largest latency plus its busiest link's bytes over that link's rate. `stage` holds the bytes
// per byte of chunk; `chunks` the chunks' bytes.
double pipelineSeconds(const std::vector<StagePhase>& stage, const std::vector<double>& chunks, const Links& l) {
  const size_t P = stage.size(), K = std::max<size_t>(chunks.size(), 1), C = l.classes.size();
  double total = 0;
  std::vector<double> out(C), in(C);
  for (size_t g = 0; P > 0 && g + 1 < K + P; ++g) {
    double latency = 0, intra = 0, net = 0;
    std::fill(out.begin(), out.end(), 0.0);
    std::fill(in.begin(), in.end(), 0.0);
    for (size_t j = g >= K ? g - K + 1 : 0; j <= std::min(P - 1, g); ++j) {
      const double bytes = chunks.empty() ? 0 : chunks[g - j];
      latency = std::max(latency, stage[j].latency);
      intra += stage[j].intra * bytes;
      for (size_t c = 0; c < C && c < stage[j].out.size(); ++c)
        out[c] += stage[j].out[c] * bytes, in[c] += stage[j].in[c] * bytes;
    }
    for (size_t c = 0; c < C; ++c) net = std::max(net, std::max(out[c], in[c]) / l.classes[c].portBps);
    total += latency + std::max(intra / l.intraBps, net);
  }
  return total;
}

// Hierarchical and Weighted: local reduce-scatter, the rail exchange, local all-gather.
// Bytes per byte of chunk.
std::vector<StagePhase> railStages(const Links& l, bool weighted) {
  const double k = l.equalNodes ? l.perNode : 1, n = l.equalNodes ? l.nodes : l.nranks, d = 1 / k;
  std::vector<StagePhase> stage;
  const StagePhase local{l.intraLatency, (k - 1) / k, {}, {}};
  if (k > 1) stage.push_back(local);
  if (n > 1 && weighted) {
    StagePhase scatter = netPhase(l, 0, 0), gather = scatter;
    for (size_t c = 0; c < l.classes.size(); ++c) {
      const double f = l.classes[c].share;
      scatter.out[c] = gather.in[c] = (1 - f) * d;
      scatter.in[c] = gather.out[c] = (n - 1) * f * d;
    }
    stage.push_back(scatter);
    stage.push_back(gather);
  } else if (n > 1) {
    stage.insert(stage.end(), static_cast<size_t>(2 * (n - 1)), netPhase(l, d / n, d / n));
  }
  if (k > 1) stage.push_back(local);
  return stage;
}

// Channel c's ring leaves each node through a different rank; a rank carries about C/k of the
// channels' pieces across the network and the rest inside its node.
double ringSeconds(const Links& l, double bytes, int channels) {
  const double C = channels, piece = 1 / (l.nranks * C);
  StagePhase step{l.intraLatency, C * piece, {}, {}};
  if (l.nodes > 1) {
    const double crossing = std::ceil(C / l.perNode);
    step = netPhase(l, crossing * piece, crossing * piece);
    step.intra = (C - std::min(C, crossing)) * piece;
  }
  return pipelineSeconds(std::vector<StagePhase>(static_cast<size_t>(2 * (l.nranks - 1)), step), {bytes}, l);
}

// A step between ranks `distance` apart in rank order (ranks of a node taken as consecutive).
double hopSeconds(const Links& l, int distance, double bytes) {
  if (l.nodes > 1 && distance >= l.perNode) return l.netLatency + bytes / l.minPortBps;
  return l.intraLatency + bytes / l.intraBps;
}

double doublingSeconds(const Links& l, double bytes, bool halving) {
  int p = 1, steps = 0;
  while (p * 2 <= l.nranks) p *= 2, ++steps;
  double total = p < l.nranks ? 2 * hopSeconds(l, 1, bytes) : 0;
  for (int i = 0; i < steps; ++i) {
    const int distance = p >> (i + 1);
    total += halving ? 2 * hopSeconds(l, distance, bytes / (2 << i)) : hopSeconds(l, 1 << i, bytes);
  }
  return total;
}

// Double binary tree: each tree carries half the bytes in `chunks` chunks; a rank inner in one
// tree and a leaf in the other sends about four pieces a phase; chunks follow one phase apart,
// up then down 2H levels.
double treeSeconds(const Links& l, double bytes, size_t chunks) {
  const double H = std::ceil(std::log2(std::max(l.nranks, 2))), piece = bytes / (2.0 * chunks);
  const bool net = l.nodes > 1;
  const double latency = net ? l.netLatency : l.intraLatency, rate = net ? l.minPortBps : l.intraBps;
  return (static_cast<double>(chunks) + 2 * H) * (latency + 4 * piece / rate);
}

double otherSeconds(const CollArgs& a, const Links& l) {
  const double bytes = static_cast<double>(a.count * a.elemSize), n = l.nranks;
  const bool net = l.nodes > 1;
  const double latency = net ? l.netLatency : l.intraLatency, rate = net ? l.minPortBps : l.intraBps;
  switch (a.kind) {
    case CollKind::AllGather:
    case CollKind::ReduceScatter: return (n - 1) * (latency + bytes / rate);
    case CollKind::Broadcast:
    case CollKind::Reduce: {
      const double slice = std::max<double>(1, static_cast<double>(a.sliceBytes));
      const double slices = std::ceil(bytes / slice);
      return (slices + n - 2) * (latency + std::min(slice, bytes) / rate);
    }
    case CollKind::AllToAll:
    case CollKind::Gather:
    case CollKind::Scatter: return latency + (n - 1) * bytes / rate;
    default: return latency + bytes / rate;
  }
}

// The arguments the planner gets for one candidate: the call on the communicator's layout.
CollArgs candidateArgs(const CollArgs& a, const PlanLayout& layout, Algorithm algorithm, int channels,
                       size_t chunkBytes) {
  CollArgs c = a;
  c.layout = &layout;
  c.algorithm = algorithm;
  c.channels = channels;
  c.chunkBytes = chunkBytes;
  return c;
}

// The pieces the rail planners cut, in bytes, as they say (plan_shape.h).
std::vector<double> pieceBytes(const RailPipeline& rails, size_t elemSize) {
  std::vector<double> out;
  for (size_t count : rails.counts) out.push_back(static_cast<double>(count * elemSize));
  return out;
}

double estimate(const CollArgs& a, const Links& l, const PlanLayout& layout, Algorithm algorithm, int channels,
                size_t chunkBytes) {
  if (a.kind != CollKind::AllReduce) return otherSeconds(a, l);
  const double bytes = static_cast<double>(a.count * a.elemSize);
  if (l.nranks <= 1 || bytes == 0) return 0;
  const CollArgs planned = candidateArgs(a, layout, algorithm, channels, chunkBytes);
  switch (algorithm) {
    case Algorithm::RecursiveDoubling: return doublingSeconds(l, bytes, false);
    case Algorithm::HalvingDoubling: return doublingSeconds(l, bytes, true);
    case Algorithm::Tree: return treeSeconds(l, bytes, treeChunks(planned, 0));
    case Algorithm::Hierarchical:
    case Algorithm::Weighted: {
      const bool weighted = algorithm == Algorithm::Weighted;
      const RailPipeline rails = railPipeline(planned, weighted);
      if (rails.counts.empty()) return ringSeconds(l, bytes, channels);  // no rails: the ring
      return pipelineSeconds(railStages(l, weighted), pieceBytes(rails, a.elemSize), l);
    }
    case Algorithm::Auto:
    case Algorithm::Ring: break;
  }
  return ringSeconds(l, bytes, channels);
}

std::string formatSeconds(double s) {
  char text[32];
  if (s < 1e-3) snprintf(text, sizeof(text), "%.1f us", s * 1e6);
  else snprintf(text, sizeof(text), "%.3f ms", s * 1e3);
  return text;
}

}  // namespace

PlanLayout planLayout(const Topology& topology) {
  PlanLayout layout;
  layout.nodes = topology.ranksByNode();
  layout.nodeShares = allReduceBound(topology, 1.0).shares;
  return layout;
}

double estimateSchedule(const CollArgs& args, const Topology& topology, Algorithm algorithm, int channels,
                        size_t chunkBytes) {
  const PlanLayout layout = planLayout(topology);
  return estimate(args, linksOf(topology, layout), layout, algorithm, channels, chunkBytes);
}

Choice choose(const CollArgs& args, const Topology& topology) {
  const PlanLayout layout = planLayout(topology);
  const Links l = linksOf(topology, layout);
  const size_t bytes = args.count * args.elemSize;
  Choice best;
  best.seconds = -1;
  auto consider = [&](Algorithm algorithm, int channels, size_t chunkBytes) {
    double seconds = estimate(args, l, layout, algorithm, channels, chunkBytes);
    const bool pipelined = algorithm == Algorithm::Weighted || algorithm == Algorithm::Hierarchical;
    if (pipelined && chunkBytes != 0) {
      const CollArgs planned = candidateArgs(args, layout, algorithm, channels, chunkBytes);
      if (railPipeline(planned, algorithm == Algorithm::Weighted).busiestRankSteps > kMaxPlanSteps) seconds = 1e30;
    }
    if (best.seconds < 0 || seconds < best.seconds) {
      best.algorithm = algorithm, best.channels = channels, best.chunkBytes = chunkBytes, best.seconds = seconds;
    }
    return seconds;
  };
  // Only AllReduce has a choice of planner. On one node hccl keeps the rule it has without a
  // topology (recursive doubling for small messages, the ring above): the node-internal links are
  // what CI measures, and the model's node-internal figures are the least certain.
  const bool overridden = args.algorithm != Algorithm::Auto;
  if (args.kind != CollKind::AllReduce || (l.nodes <= 1 && !overridden)) {
    Algorithm algorithm = Algorithm::Ring;
    if (args.kind == CollKind::AllReduce && bytes <= args.recursiveDoublingMaxBytes)
      algorithm = Algorithm::RecursiveDoubling;
    consider(algorithm, 1, 0);
    best.weighed = "one node: rule by size";
    if (args.kind != CollKind::AllReduce) best.weighed = "the only schedule";
    return best;
  }
  std::vector<size_t> chunkSizes{0};  // 0: one chunk
  for (size_t chunks = 2; chunks <= 1024 && bytes / chunks >= (size_t{32} << 10); chunks *= 2)
    chunkSizes.push_back((bytes + chunks - 1) / chunks);
  auto allowed = [&](Algorithm a) { return !overridden || args.algorithm == a; };
  std::string weighed;
  auto note = [&](Algorithm algorithm, int channels, size_t chunkBytes, double seconds) {
    char text[128];
    snprintf(text, sizeof(text), "%s%s x%d chunk %zu: %s", weighed.empty() ? "" : "; ", algorithmName(algorithm),
             channels, chunkBytes, formatSeconds(seconds).c_str());
    weighed += text;
  };
  // Each planner's best settings are noted once.
  auto sweep = [&](Algorithm algorithm, const std::vector<int>& channelList, const std::vector<size_t>& chunkList) {
    if (!allowed(algorithm)) return;
    double bestHere = -1;
    int bestChannels = 1;
    size_t bestChunk = 0;
    for (int c : channelList)
      for (size_t chunk : chunkList) {
        double s = consider(algorithm, c, chunk);
        if (bestHere < 0 || s < bestHere) bestHere = s, bestChannels = c, bestChunk = chunk;
      }
    note(algorithm, bestChannels, bestChunk, bestHere);
  };
  std::vector<int> channelList{1};
  for (int c = 2; c <= std::min(l.perNode, 64); c *= 2) channelList.push_back(c);
  sweep(Algorithm::Ring, channelList, {0});
  sweep(Algorithm::RecursiveDoubling, {1}, {0});
  sweep(Algorithm::HalvingDoubling, {1}, {0});
  sweep(Algorithm::Tree, {1}, chunkSizes);
  if ((l.equalNodes && l.perNode > 1) || overridden) sweep(Algorithm::Hierarchical, {1}, chunkSizes);
  sweep(Algorithm::Weighted, {1}, chunkSizes);
  best.weighed = weighed;
  return best;
}

Plan planWithChoice(const CollArgs& args, const PlanLayout& layout, const Choice& choice) {
  CollArgs a = args;
  a.layout = &layout;
  a.algorithm = choice.algorithm;
  a.channels = choice.channels;
  a.chunkBytes = choice.chunkBytes;
  return planCollective(a);
}

std::string describeChoice(const CollArgs& args, const Topology& topology) {
  const Choice c = choose(args, topology);
  const PlanLayout layout = planLayout(topology);
  const size_t bytes = args.count * args.elemSize;
  std::string out;
  char line[256];
  snprintf(line, sizeof(line), "%s %zu bytes, %d ranks on %zu nodes: %s, %d channel(s), chunk %zu, estimate %s",
           collKindName(args.kind), bytes, args.nranks, layout.nodes.size(), algorithmName(c.algorithm), c.channels,
           c.chunkBytes, formatSeconds(c.seconds).c_str());
  out += line;
  if (args.kind == CollKind::AllReduce && layout.nodes.size() > 1) {
    const AllReduceBound bound = allReduceBound(topology, static_cast<double>(bytes));
    snprintf(line, sizeof(line), " (network bound %s, ring at the slowest node %s)", formatSeconds(bound.seconds).c_str(),
             formatSeconds(bound.ringSeconds).c_str());
    out += line;
  }
  out += args.algorithm != Algorithm::Auto ? "\n  forced by NCCL_ALGO; settings weighed: " : "\n  weighed: ";
  out += c.weighed;
  // The structure: rings (first channel) or node shares, capped so a large cluster stays readable.
  constexpr size_t kShown = 32;
  CollArgs a = args;
  a.layout = &layout;
  if (c.algorithm == Algorithm::Weighted) {
    out += "\n  node shares:";
    for (size_t i = 0; i < layout.nodeShares.size() && i < kShown; ++i) {
      snprintf(line, sizeof(line), " %.4f", layout.nodeShares[i]);
      out += line;
    }
    if (layout.nodeShares.size() > kShown) out += " ...";
  }
  if (c.algorithm == Algorithm::Ring || c.algorithm == Algorithm::Tree || c.algorithm == Algorithm::Hierarchical ||
      c.algorithm == Algorithm::Weighted) {
    for (int ch = 0; ch < std::max(1, c.channels); ++ch) {
      const std::vector<int> ring = ringOrder(a, ch);
      snprintf(line, sizeof(line), "\n  %s %d:", c.algorithm == Algorithm::Tree ? "tree in-order" : "ring", ch);
      out += line;
      for (size_t i = 0; i < ring.size() && i < kShown; ++i) out += " " + std::to_string(ring[i]);
      if (ring.size() > kShown) out += " ...";
      if (c.algorithm != Algorithm::Ring) break;
    }
  }
  return out;
}

double estimateSeconds(const CollArgs& args, const Topology& topology) { return choose(args, topology).seconds; }

}  // namespace hccl::tuning
