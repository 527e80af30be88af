// hccl-sim: plans a collective on every rank of a topology file with hccl's planners and times
// the Plans on a link-level model (src/topology/simulator.h), beside the network bound for that
// topology and the ring that ignores the nodes' different bandwidths.
//
//   hccl-sim --topo topologies/hetero-1024.json --coll all_reduce -b 1M -e 1G -f 4
//            [--algo weighted|ring|tree|rd|rhd|hierarchical] [--all-algos] [--no-rail-symmetry]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "algorithms/planner.h"
#include "core/status.h"
#include "topology/bound.h"
#include "topology/cost_model.h"
#include "topology/simulator.h"
#include "topology/topology_file.h"

namespace {

using namespace hccl;
using namespace hccl::topo;

struct Options {
  std::string topo;
  CollKind kind = CollKind::AllReduce;
  size_t minBytes = size_t{1} << 20, maxBytes = size_t{1} << 30;
  double factor = 4;
  Algorithm algorithm = Algorithm::Auto;
  bool allAlgorithms = false;
  SimOptions sim;
};

bool parseSize(const char* text, size_t* out) {
  char* end = nullptr;
  double value = strtod(text, &end);
  if (end == text || value < 0) return false;
  switch (*end) {
    case 'K': case 'k': value *= 1024; ++end; break;
    case 'M': case 'm': value *= 1024.0 * 1024; ++end; break;
    case 'G': case 'g': value *= 1024.0 * 1024 * 1024; ++end; break;
    default: break;
  }
  *out = static_cast<size_t>(value);
  return *end == '\0';
}

int usage() {
  fprintf(stderr,
          "usage: hccl-sim --topo FILE [--coll all_reduce|all_gather|reduce_scatter] [-b MIN] [-e MAX] [-f FACTOR]\n"
          "                [--algo ring|tree|rd|rhd|hierarchical|weighted] [--all-algos] [--no-rail-symmetry]\n");
  return 2;
}

bool parseArgs(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    auto next = [&]() { return value != nullptr && ++i; };
    if (arg == "--topo" && next()) o->topo = value;
    else if (arg == "--coll" && next()) {
      std::string c = value;
      if (c == "all_reduce" || c == "allreduce") o->kind = CollKind::AllReduce;
      else if (c == "all_gather" || c == "allgather") o->kind = CollKind::AllGather;
      else if (c == "reduce_scatter" || c == "reducescatter") o->kind = CollKind::ReduceScatter;
      else return false;
    } else if ((arg == "-b" || arg == "--minbytes") && next()) {
      if (!parseSize(value, &o->minBytes)) return false;
    } else if ((arg == "-e" || arg == "--maxbytes") && next()) {
      if (!parseSize(value, &o->maxBytes)) return false;
    } else if ((arg == "-f" || arg == "--stepfactor") && next()) {
      o->factor = atof(value);
      if (o->factor <= 1) return false;
    } else if (arg == "--algo" && next()) {
      if (!parseAlgorithm(value, &o->algorithm)) return false;
    } else if (arg == "--all-algos") o->allAlgorithms = true;
    else if (arg == "--no-rail-symmetry") o->sim.railSymmetry = false;
    else return false;
  }
  return !o->topo.empty() && o->minBytes <= o->maxBytes;
}

// nccl-tests' bus bandwidth factor.
double busFactor(CollKind kind, int n) {
  if (n <= 1) return 1;
  return kind == CollKind::AllReduce ? 2.0 * (n - 1) / n : static_cast<double>(n - 1) / n;
}

struct Row {
  Choice choice;
  SimResult sim;
};

Row run(const Topology& t, const CollArgs& args, Algorithm algorithm, const SimOptions& options) {
  CollArgs a = args;
  a.algorithm = algorithm;
  Row row;
  row.choice = choose(a, t);
  row.sim = simulateCollective(t, a, row.choice, options);
  return row;
}

std::string settings(const Choice& c) {
  char text[64];
  if (c.chunkBytes != 0) snprintf(text, sizeof(text), "%s/%zuK", algorithmName(c.algorithm), c.chunkBytes >> 10);
  else snprintf(text, sizeof(text), "%s/x%d", algorithmName(c.algorithm), c.channels);
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parseArgs(argc, argv, &o)) return usage();
  Topology t;
  if (loadTopologyFile(o.topo, &t) != Status::Success) {
    fprintf(stderr, "hccl-sim: cannot load %s\n", o.topo.c_str());
    return 1;
  }
  const int n = t.nranks();
  const std::vector<double> nodeBps = nodeBytesPerSecond(t);
  double slow = 1e300, fast = 0;
  for (double b : nodeBps) slow = std::min(slow, b), fast = std::max(fast, b);
  printf("# hccl-sim %s: %d ranks on %zu nodes, node network %.0f..%.0f Gb/s, %s\n", o.topo.c_str(), n,
         nodeBps.size(), slow * 8 / 1e9, fast * 8 / 1e9, collKindName(o.kind));
  // The heterogeneity-blind reference: rails of rings on multi-rank nodes (so every NIC works),
  // the node-ordered ring otherwise; both run at the slowest node's pace.
  const std::vector<std::vector<int>> nodes = t.ranksByNode();
  bool railed = nodes.size() > 1 && nodes[0].size() > 1;
  for (const auto& node : nodes) railed = railed && node.size() == nodes[0].size();
  const Algorithm blind = railed ? Algorithm::Hierarchical : Algorithm::Ring;
  std::vector<Algorithm> algorithms{o.algorithm};
  if (o.allAlgorithms)
    algorithms = {Algorithm::Ring, Algorithm::Tree, Algorithm::RecursiveDoubling, Algorithm::HalvingDoubling,
                  Algorithm::Hierarchical, Algorithm::Weighted};
  if (o.kind != CollKind::AllReduce) algorithms = {Algorithm::Ring};
  printf("# %12s %-24s %11s %9s %9s %11s %6s %11s %7s %11s\n", "size(B)", "schedule", "time(us)", "algbw", "busbw",
         "bound(us)", "eff", "blind(us)", "speedup", "model(us)");
  const size_t elem = 4;  // float
  for (double size = static_cast<double>(o.minBytes); size <= static_cast<double>(o.maxBytes) * 1.0001; size *= o.factor) {
    CollArgs args;
    args.kind = o.kind;
    args.nranks = n;
    args.elemSize = elem;
    const size_t bytes = static_cast<size_t>(size) / elem * elem;
    args.count = o.kind == CollKind::AllReduce ? bytes / elem : bytes / elem / static_cast<size_t>(n);
    const double total = static_cast<double>(o.kind == CollKind::AllReduce ? args.count * elem : args.count * elem * n);
    const double bound = o.kind == CollKind::AllReduce ? allReduceBound(t, total).seconds : allGatherBoundSeconds(t, total);
    double blindSeconds = 0;
    if (o.kind == CollKind::AllReduce) {
      Row ref = run(t, args, blind, o.sim);
      blindSeconds = ref.sim.ok ? ref.sim.seconds : 0;
    }
    for (Algorithm algorithm : algorithms) {
      Row row = run(t, args, algorithm, o.sim);
      if (!row.sim.ok) {
        printf("  %12.0f %-24s %s\n", total, settings(row.choice).c_str(), row.sim.error.c_str());
        continue;
      }
      const double s = row.sim.seconds, algbw = total / s / 1e9;
      printf("  %12.0f %-24s %11.1f %9.2f %9.2f %11.1f %5.1f%% %11.1f %6.2fx %11.1f\n", total,
             settings(row.choice).c_str(), s * 1e6, algbw, algbw * busFactor(o.kind, n), bound * 1e6,
             bound > 0 ? 100 * bound / s : 100.0, blindSeconds * 1e6, blindSeconds > 0 ? blindSeconds / s : 0,
             row.choice.seconds * 1e6);
    }
    fflush(stdout);
  }
  return 0;
}
