// hccl-sim: plans a collective on every rank of a topology file with hccl's planners and times
// the Plans on a link-level model (src/tuning/simulator.h), beside the network bound for that
// topology and the ring that ignores the nodes' different bandwidths.
//
//   hccl-sim --topo topologies/hetero-1024.json --coll all_reduce -b 1M -e 1G -f 4
//            [--algo weighted|ring|tree|rd|rhd|hierarchical] [--all-algos] [--no-rail-symmetry]
//            [--machine-readable]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "algorithms/planner.h"
#include "base/status.h"
#include "topology/topology_file.h"
#include "tuning/bound.h"
#include "tuning/cost_model.h"
#include "tuning/simulator.h"

namespace {

using namespace hccl;
using namespace hccl::topo;
using namespace hccl::tuning;

constexpr size_t kElemSize = 4;  // float

struct Options {
  std::string topo;
  CollKind kind = CollKind::AllReduce;
  size_t minBytes = size_t{1} << 20, maxBytes = size_t{1} << 30;
  double factor = 4;
  Algorithm algorithm = Algorithm::Auto;
  bool allAlgorithms = false;
  bool machineReadable = false;
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
          "                [--algo ring|tree|rd|rhd|hierarchical|weighted] [--all-algos] [--no-rail-symmetry]\n"
          "                [--machine-readable]\n"
          "  --machine-readable: per size, exactly two lines, for scripts:\n"
          "      plan <busbw GB/s of the chosen schedule>\n"
          "      bound <busbw GB/s at the bound's time>\n"
          "    with one size (-b equal to -e); with a range each line also names the size:\n"
          "      plan <bytes> <busbw>\n"
          "      bound <bytes> <busbw>\n"
          "    busbw is nccl-tests' (AllReduce: bytes / time * 2(n-1)/n); a schedule that cannot be\n"
          "    simulated prints 'plan [<bytes>] nan'.\n");
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
    else if (arg == "--machine-readable") o->machineReadable = true;
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
  double wallSeconds = 0;  // choosing and simulating
};

Row run(const Topology& t, const CollArgs& args, Algorithm algorithm, const SimOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  CollArgs a = args;
  a.algorithm = algorithm;
  Row row;
  row.choice = choose(a, t);
  row.sim = simulateCollective(t, a, row.choice, options);
  row.wallSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return row;
}

std::string settings(const Choice& c) {
  char text[64];
  if (c.chunkBytes != 0) snprintf(text, sizeof(text), "%s/%zuK", algorithmName(c.algorithm), c.chunkBytes >> 10);
  else snprintf(text, sizeof(text), "%s/x%d", algorithmName(c.algorithm), c.channels);
  return text;
}

CollArgs argsFor(const Options& o, int n, size_t size) {
  CollArgs args;
  args.kind = o.kind;
  args.nranks = n;
  args.elemSize = kElemSize;
  const size_t bytes = size / kElemSize * kElemSize;
  args.count = o.kind == CollKind::AllReduce ? bytes / kElemSize : bytes / kElemSize / static_cast<size_t>(n);
  return args;
}

// Bytes the collective moves per rank, as nccl-tests counts them for algbw.
double totalBytes(const Options& o, const CollArgs& args) {
  return static_cast<double>(o.kind == CollKind::AllReduce ? args.count * kElemSize
                                                           : args.count * kElemSize * args.nranks);
}

double boundSeconds(const Options& o, const Topology& t, double total) {
  return o.kind == CollKind::AllReduce ? allReduceBound(t, total).seconds : allGatherBoundSeconds(t, total);
}

std::vector<size_t> sizesOf(const Options& o) {
  std::vector<size_t> out;
  for (double size = static_cast<double>(o.minBytes); size <= static_cast<double>(o.maxBytes) * 1.0001; size *= o.factor)
    out.push_back(static_cast<size_t>(size));
  return out;
}

// The two lines per size of --machine-readable (the usage text gives the format).
int machineReadable(const Options& o, const Topology& t) {
  const int n = t.nranks();
  const bool single = o.minBytes == o.maxBytes;
  for (size_t size : sizesOf(o)) {
    const CollArgs args = argsFor(o, n, size);
    const double total = totalBytes(o, args), bound = boundSeconds(o, t, total);
    const Row row = run(t, args, o.algorithm, o.sim);
    std::string sizeField = single ? "" : " " + std::to_string(static_cast<size_t>(total));
    auto busbw = [&](double seconds) { return seconds > 0 ? total / seconds / 1e9 * busFactor(o.kind, n) : 0.0; };
    if (row.sim.ok) printf("plan%s %.6f\n", sizeField.c_str(), busbw(row.sim.seconds));
    else printf("plan%s nan\n", sizeField.c_str());
    printf("bound%s %.6f\n", sizeField.c_str(), busbw(bound));
  }
  return 0;
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
  if (o.machineReadable) return machineReadable(o, t);
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
  printf("# %12s %-24s %11s %9s %9s %11s %6s %11s %7s %11s %8s\n", "size(B)", "schedule", "time(us)", "algbw", "busbw",
         "bound(us)", "eff", "blind(us)", "speedup", "model(us)", "wall(s)");
  for (size_t size : sizesOf(o)) {
    const CollArgs args = argsFor(o, n, size);
    const double total = totalBytes(o, args), bound = boundSeconds(o, t, total);
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
      printf("  %12.0f %-24s %11.1f %9.2f %9.2f %11.1f %5.1f%% %11.1f %6.2fx %11.1f %8.2f\n", total,
             settings(row.choice).c_str(), s * 1e6, algbw, algbw * busFactor(o.kind, n), bound * 1e6,
             bound > 0 ? 100 * bound / s : 100.0, blindSeconds * 1e6, blindSeconds > 0 ? blindSeconds / s : 0,
             row.choice.seconds * 1e6, row.wallSeconds);
    }
    fflush(stdout);
  }
  return 0;
}
