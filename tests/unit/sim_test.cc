// hccl-sim's engine: analytic cases, and the targets on heterogeneous clusters.
#include <gtest/gtest.h>

#include "sim_cluster.h"
#include "tuning/bound.h"
#include "tuning/simulator.h"

namespace hccl::tuning {
namespace {

using topo::makeCluster;
using topo::Topology;

CollArgs allReduce(const Topology& t, size_t bytes) {
  CollArgs a;
  a.nranks = t.nranks();
  a.elemSize = 4;
  a.count = bytes / 4;
  return a;
}

double simulate(const Topology& t, const CollArgs& a, Algorithm algorithm, int channels, size_t chunk,
                bool rails = true) {
  Choice c;
  c.algorithm = algorithm, c.channels = channels, c.chunkBytes = chunk;
  SimOptions o;
  o.railSymmetry = rails;
  SimResult r = simulateCollective(t, a, c, o);
  EXPECT_TRUE(r.ok) << r.error;
  return r.seconds;
}

TEST(Simulator, HomogeneousRingMatchesTheFormula) {
  // One rank per node: 2(n-1) steps of S/n, each one latency plus S/n over the NIC.
  for (int n : {2, 5, 8}) {
    Topology t = makeCluster(n, 0, 1, 100, 100, 3600, 3);
    const size_t bytes = size_t{4} * n << 20;  // whole elements in every chunk
    const double B = 100e9 / 8, piece = static_cast<double>(bytes) / n;
    const double expect = 2 * (n - 1) * (3e-6 + piece / B);
    EXPECT_NEAR(simulate(t, allReduce(t, bytes), Algorithm::Ring, 1, 0), expect, expect * 1e-6) << n;
  }
}

TEST(Simulator, SharedPortsSplitBandwidth) {
  // Direct exchange among 4 single-rank nodes: every port carries 3 flows at once.
  Topology t = makeCluster(4, 0, 1, 80, 80, 3600, 0);
  const size_t bytes = size_t{12} << 20;
  const double B = 80e9 / 8, part = static_cast<double>(bytes) / 4;
  EXPECT_NEAR(simulate(t, allReduce(t, bytes), Algorithm::Weighted, 1, 0), 2 * 3 * part / B, 1e-9);
}

TEST(Simulator, RailSymmetryGivesTheSameTimeAsEveryRank) {
  Topology t = makeCluster(3, 3, 4, 100, 50);
  for (Algorithm algorithm : {Algorithm::Weighted, Algorithm::Hierarchical}) {
    CollArgs a = allReduce(t, size_t{64} << 20);
    const double full = simulate(t, a, algorithm, 1, size_t{4} << 20, false);
    const double rail = simulate(t, a, algorithm, 1, size_t{4} << 20, true);
    EXPECT_NEAR(rail, full, full * 1e-6) << algorithmName(algorithm);
  }
}

TEST(Simulator, EveryAllReducePlannerCompletes) {
  Topology t = makeCluster(2, 3, 2, 100, 50);
  for (Algorithm algorithm : {Algorithm::Ring, Algorithm::RecursiveDoubling, Algorithm::HalvingDoubling,
                              Algorithm::Tree, Algorithm::Hierarchical, Algorithm::Weighted})
    EXPECT_GT(simulate(t, allReduce(t, size_t{1} << 20), algorithm, 2, size_t{128} << 10), 0)
        << algorithmName(algorithm);
}

// The target cluster, at the scale a unit test affords: half the nodes 8 x 400 Gb/s,
// half 8 x 200 Gb/s, AllReduce of 1 GiB with the model's choice: at least 95% of the bound with
// 16 nodes (the weighted exchange in equal pieces holds up under fair sharing), 1.3x the ring
// that ignores the difference, and the model within a few percent of the simulation.
TEST(Simulator, HeterogeneousClusterNearTheBoundAndAheadOfTheRing) {
  for (int nodes : {2, 16}) {
    Topology t = makeCluster(nodes / 2, nodes / 2, 8, 400, 200);
    CollArgs a = allReduce(t, size_t{1} << 30);
    const Choice choice = choose(a, t);
    SimResult weighted = simulateCollective(t, a, choice);
    ASSERT_TRUE(weighted.ok) << weighted.error;
    a.algorithm = Algorithm::Hierarchical;
    SimResult ring = simulateCollective(t, a, choose(a, t));
    ASSERT_TRUE(ring.ok) << ring.error;
    const AllReduceBound bound = allReduceBound(t, 1024.0 * 1024 * 1024);
    if (nodes > 2) EXPECT_EQ(choice.algorithm, Algorithm::Weighted) << nodes;  // two nodes: any split is optimal
    if (nodes > 2) EXPECT_GE(bound.seconds / weighted.seconds, 0.95) << nodes << " nodes";
    if (nodes > 2) EXPECT_GE(ring.seconds / weighted.seconds, 1.3) << nodes << " nodes";
    EXPECT_NEAR(choice.seconds, weighted.seconds, 0.03 * weighted.seconds);  // the model agrees
  }
}

// Shares rounded to whole pieces of one size are what keep every port busy to the end of each
// phase: the simulated time is the model's, phase by phase.
TEST(Simulator, WeightedPiecesEndTogetherUnderFairSharing) {
  Topology t = makeCluster(3, 3, 1, 400, 200, 3600, 0);
  CollArgs a = allReduce(t, size_t{96} << 20);
  const double simulated = simulate(t, a, Algorithm::Weighted, 1, 0);
  EXPECT_NEAR(simulated, estimateSchedule(a, t, Algorithm::Weighted, 1, 0), simulated * 1e-3);
}

// Batched events: a symmetric exchange ends whole classes of transfers at once.
TEST(Simulator, SymmetricTransfersEndInFewEvents) {
  Topology t = makeCluster(8, 0, 1, 100, 100, 3600, 0);
  Choice c;
  c.algorithm = Algorithm::Weighted;
  SimResult r = simulateCollective(t, allReduce(t, size_t{8} << 20), c);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.transfers, size_t{2 * 8 * 7});
  EXPECT_LE(r.events, 4u);
}

TEST(Simulator, WeightedNeverLosesToTheRingOnHomogeneousClusters) {
  for (int nodes : {2, 4, 16}) {
    Topology t = makeCluster(nodes, 0, 8, 400, 400);
    CollArgs a = allReduce(t, size_t{1} << 30);
    a.algorithm = Algorithm::Weighted;
    SimResult weighted = simulateCollective(t, a, choose(a, t));
    a.algorithm = Algorithm::Hierarchical;
    SimResult ring = simulateCollective(t, a, choose(a, t));
    ASSERT_TRUE(weighted.ok && ring.ok);
    EXPECT_LE(weighted.seconds, ring.seconds * 1.001) << nodes;
  }
}

}  // namespace
}  // namespace hccl::tuning
