// The AllReduce bound. A schedule that reduce-scatters with node i owning the fraction f_i of
// the data (sum f_i = 1) and then all-gathers moves, through node i, each way
//   S (1 - f_i)      out (its input for the others' shares) and in (the others' results), plus
//   S (n - 1) f_i    in (everyone's input for its share) and out (its result to everyone),
// that is S (1 + (n - 2) f_i), which must fit in B_i T. The least T of this linear program:
//
//   T* = max(S / min_i B_i, 2 (n - 1) S / sum_i B_i)        (n >= 3; n = 2: S / min B; n = 1: 0)
//
// Proof. Each node carries at least S each way (f_i >= 0), so T >= S / min B. Summing the
// constraints, S (n + (n - 2)) <= T sum B, so T >= 2(n - 1) S / sum B. Both are reached: with
// T = the larger, f_i = (B_i T / S - 1) / (n - 2) is >= 0 (as B_i T >= S) and sums to
// (T sum B / S - n) / (n - 2) >= 1 (as T >= 2(n - 1) S / sum B); scaling every f_i down to sum 1
// only lowers each node's traffic. With equal B_i it is the familiar 2(n - 1) S / (n B).
#include "tuning/bound.h"

#include <algorithm>
#include <numeric>

namespace hccl::tuning {

using topo::Node;
using topo::Topology;

AllReduceBound allReduceBound(const std::vector<double>& bandwidth, double bytes) {
  AllReduceBound out;
  const size_t n = bandwidth.size();
  out.shares.assign(n, n == 0 ? 0.0 : 1.0 / static_cast<double>(n));
  if (n <= 1) return out;
  const double slowest = *std::min_element(bandwidth.begin(), bandwidth.end());
  const double total = std::accumulate(bandwidth.begin(), bandwidth.end(), 0.0);
  const double nd = static_cast<double>(n);
  out.ringSeconds = 2 * (nd - 1) / nd * bytes / slowest;
  if (n == 2) {
    out.seconds = bytes / slowest;
    return out;
  }
  // In units of S: T = max(1 / min B, 2(n-1) / sum B); the shares do not depend on S.
  const double t = std::max(1 / slowest, 2 * (nd - 1) / total);
  out.seconds = t * bytes;
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += out.shares[i] = std::max(0.0, (bandwidth[i] * t - 1) / (nd - 2));
  for (double& f : out.shares) f /= sum;
  return out;
}

std::vector<double> nodeBytesPerSecond(const Topology& topology) {
  std::vector<double> out;
  for (const std::vector<int>& node : topology.ranksByNode())
    out.push_back(topology.nodeOf(node[0]).networkGbps() * 1e9 / 8);
  return out;
}

AllReduceBound allReduceBound(const Topology& topology, double bytes) {
  return allReduceBound(nodeBytesPerSecond(topology), bytes);
}

double allGatherBoundSeconds(const Topology& topology, double bytes) {
  const std::vector<std::vector<int>> nodes = topology.ranksByNode();
  if (nodes.size() <= 1) return 0;
  const std::vector<double> bandwidth = nodeBytesPerSecond(topology);
  double worst = 0;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const double held = static_cast<double>(nodes[i].size()) / topology.nranks();
    worst = std::max(worst, std::max(1 - held, held) * bytes / bandwidth[i]);
  }
  return worst;
}

}  // namespace hccl::tuning
