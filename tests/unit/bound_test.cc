// The AllReduce bound's closed form against its linear program, and its special cases.
#include <gtest/gtest.h>

#include <numeric>

#include "tuning/bound.h"

namespace hccl::tuning {
namespace {

using topo::Topology;

// Every node's traffic S(1 + (n-2) f_i) must fit in B_i T.
void expectFeasible(const std::vector<double>& bw, const AllReduceBound& b, double bytes) {
  const double n = static_cast<double>(bw.size());
  EXPECT_NEAR(std::accumulate(b.shares.begin(), b.shares.end(), 0.0), 1.0, 1e-12);
  for (size_t i = 0; i < bw.size(); ++i) {
    EXPECT_GE(b.shares[i], 0);
    EXPECT_LE(bytes * (1 + (n - 2) * b.shares[i]), bw[i] * b.seconds * (1 + 1e-9));
  }
}

TEST(Bound, EqualBandwidthIsTheRingFormula) {
  for (int n : {3, 4, 16, 128}) {
    std::vector<double> bw(n, 50e9);
    AllReduceBound b = allReduceBound(bw, 1e9);
    EXPECT_NEAR(b.seconds, 2.0 * (n - 1) / n * 1e9 / 50e9, 1e-15);
    EXPECT_NEAR(b.ringSeconds, b.seconds, 1e-15);
    expectFeasible(bw, b, 1e9);
  }
}

TEST(Bound, HalfFastHalfSlowIsAboutOneAndAHalfTimesFasterThanTheRing) {
  std::vector<double> bw(128, 200e9);
  for (int i = 0; i < 64; ++i) bw[i] = 400e9;
  const double S = 1024.0 * 1024 * 1024;
  AllReduceBound b = allReduceBound(bw, S);
  EXPECT_NEAR(b.seconds, 2 * 127 * S / (64 * 600e9), 1e-12);
  EXPECT_NEAR(b.ringSeconds / b.seconds, 1.5, 0.01);
  expectFeasible(bw, b, S);
  EXPECT_GT(b.shares[0], b.shares[127]);  // fast nodes own more
}

TEST(Bound, OneVerySlowNodeIsTheBottleneckAndOwnsNothing) {
  std::vector<double> bw{100e9, 100e9, 100e9, 1e9};
  AllReduceBound b = allReduceBound(bw, 1e9);
  EXPECT_NEAR(b.seconds, 1.0, 1e-12);  // S / min B: it must still send and receive S
  EXPECT_EQ(b.shares[3], 0.0);
  expectFeasible(bw, b, 1e9);
}

TEST(Bound, TinyClusters) {
  EXPECT_EQ(allReduceBound(std::vector<double>{10e9}, 1e9).seconds, 0);
  EXPECT_NEAR(allReduceBound(std::vector<double>{10e9, 5e9}, 1e9).seconds, 0.2, 1e-12);
}

TEST(Bound, NoScheduleOfTheLinearProgramBeatsIt) {
  // Random shares are never better than the optimum.
  std::vector<double> bw{400e9, 200e9, 300e9, 100e9, 250e9};
  const AllReduceBound b = allReduceBound(bw, 1.0);
  srand(7);
  for (int trial = 0; trial < 1000; ++trial) {
    std::vector<double> f(bw.size());
    double sum = 0;
    for (double& x : f) sum += x = rand() % 1000;
    double t = 0;
    for (size_t i = 0; i < bw.size(); ++i) t = std::max(t, (1 + 3 * f[i] / sum) / bw[i]);
    EXPECT_GE(t, b.seconds * (1 - 1e-12));
  }
}

}  // namespace
}  // namespace hccl::tuning
