// The cost model's choices, the communicator's schedule chooser and the NCCL_ALGO names.
#include <gtest/gtest.h>

#include "sim_cluster.h"
#include "tuning/cost_model.h"
#include "tuning/schedule_chooser.h"

namespace hccl::tuning {
namespace {

using topo::makeCluster;
using topo::Topology;

CollArgs allReduce(int nranks, size_t bytes) {
  CollArgs a;
  a.nranks = nranks;
  a.elemSize = 4;
  a.count = bytes / 4;
  return a;
}

TEST(CostModel, OneNodeKeepsTheRuleWithoutTopology) {
  Topology t = makeCluster(1, 0, 8, 100, 100);
  EXPECT_EQ(choose(allReduce(8, 4096), t).algorithm, Algorithm::RecursiveDoubling);
  EXPECT_EQ(choose(allReduce(8, size_t{64} << 10), t).algorithm, Algorithm::RecursiveDoubling);
  EXPECT_EQ(choose(allReduce(8, size_t{1} << 20), t).algorithm, Algorithm::Ring);
}

TEST(CostModel, OneNodePlansAsBefore) {
  Topology t = makeCluster(1, 0, 4, 100, 100);
  ScheduleChooser chooser;
  chooser.setTopology(&t);
  CollArgs a = allReduce(4, size_t{1} << 20);
  a.rank = 1;
  EXPECT_EQ(chooser.plan(a)->describe(), planCollective(a).describe());
}

// Repeated calls reuse their Plan; a call that differs in any argument gets its own, also after
// more distinct calls than are kept.
TEST(CostModel, RepeatedCallsShareTheirPlan) {
  Topology t = makeCluster(1, 0, 4, 100, 100);
  ScheduleChooser chooser;
  chooser.setTopology(&t);
  CollArgs a = allReduce(4, 4096);
  a.rank = 2;
  const auto first = chooser.plan(a);
  EXPECT_EQ(chooser.plan(a), first);
  CollArgs inPlace = a;
  inPlace.inPlace = true;
  EXPECT_NE(chooser.plan(inPlace), first);
  for (size_t count = 1; count <= 40; ++count) {
    CollArgs other = a;
    other.count = count * 1000;
    EXPECT_EQ(chooser.plan(other)->describe(), planCollective(other).describe()) << count;
    EXPECT_EQ(chooser.plan(other)->describe(), planCollective(other).describe()) << count << ", kept";
  }
  EXPECT_EQ(chooser.plan(a)->describe(), first->describe());
}

TEST(CostModel, HeterogeneousLargeMessagesGoWeightedSmallOnesSkipTheRing) {
  Topology t = makeCluster(8, 8, 8, 400, 200);
  EXPECT_EQ(choose(allReduce(t.nranks(), size_t{1} << 30), t).algorithm, Algorithm::Weighted);
  // 2(n-1) latencies of a 128-rank ring cost more than a few exchanges for 1 KiB.
  EXPECT_NE(choose(allReduce(t.nranks(), 1024), t).algorithm, Algorithm::Ring);
}

TEST(CostModel, OverrideFixesThePlanner) {
  Topology t = makeCluster(4, 4, 2, 400, 200);
  for (Algorithm algorithm : {Algorithm::Ring, Algorithm::Tree, Algorithm::RecursiveDoubling,
                              Algorithm::HalvingDoubling, Algorithm::Hierarchical, Algorithm::Weighted}) {
    CollArgs a = allReduce(t.nranks(), size_t{16} << 20);
    a.algorithm = algorithm;
    EXPECT_EQ(choose(a, t).algorithm, algorithm);
    EXPECT_NE(describeChoice(a, t).find("NCCL_ALGO"), std::string::npos);
  }
}

TEST(CostModel, EstimateIsPositiveAndGrowsWithSize) {
  Topology t = makeCluster(2, 2, 4, 400, 200);
  const double small = estimateSeconds(allReduce(t.nranks(), size_t{1} << 20), t);
  const double large = estimateSeconds(allReduce(t.nranks(), size_t{1} << 28), t);
  EXPECT_GT(small, 0);
  EXPECT_GT(large, small);
}

TEST(CostModel, DescribeNamesPlannerAndRing) {
  Topology t = makeCluster(2, 2, 2, 400, 200);
  CollArgs a = allReduce(t.nranks(), size_t{256} << 20);
  std::string text = describeChoice(a, t);
  EXPECT_NE(text.find("weighted"), std::string::npos) << text;
  EXPECT_NE(text.find("ring 0: 0 1 2 3"), std::string::npos) << text;
  EXPECT_NE(text.find("node shares"), std::string::npos) << text;
}

TEST(CostModel, PlansWithTopologyAreAPlannersPlans) {
  Topology t = makeCluster(2, 1, 2, 400, 200);
  CollArgs a = allReduce(t.nranks(), size_t{8} << 20);
  a.rank = 3;
  ScheduleChooser chooser;
  chooser.setTopology(&t);
  const Plan& plan = *chooser.plan(a);
  EXPECT_FALSE(plan.phases.empty());
  EXPECT_EQ(plan.describe(), planWithChoice(a, planLayout(t), choose(a, t)).describe());
}

TEST(CostModel, AlgorithmNames) {
  Algorithm a;
  EXPECT_TRUE(parseAlgorithm("Ring", &a));
  EXPECT_EQ(a, Algorithm::Ring);
  EXPECT_TRUE(parseAlgorithm("TREE", &a));
  EXPECT_EQ(a, Algorithm::Tree);
  EXPECT_TRUE(parseAlgorithm("rd", &a));
  EXPECT_EQ(a, Algorithm::RecursiveDoubling);
  EXPECT_TRUE(parseAlgorithm("halving_doubling", &a));
  EXPECT_EQ(a, Algorithm::HalvingDoubling);
  EXPECT_TRUE(parseAlgorithm("Weighted", &a));
  EXPECT_EQ(a, Algorithm::Weighted);
  EXPECT_FALSE(parseAlgorithm("collnet", &a));
}

}  // namespace
}  // namespace hccl::tuning
