// The topology data model: vendor names, network bandwidth, grouping of ranks, and every check
// validate() makes.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "base/error.h"
#include "topology/topology.h"

namespace hccl::topo {
namespace {

Node nodeWith(const char* name, int gpus, std::initializer_list<double> nicGbps) {
  Node n;
  n.name = name;
  n.cores = 8;
  for (int g = 0; g < gpus; ++g) n.gpus.push_back(Gpu{Vendor::Nvidia, g, "", -1});
  int i = 0;
  for (double gbps : nicGbps) n.nics.push_back(Nic{"nic" + std::to_string(i++), gbps, true, "", -1});
  n.intraGbps = 100;
  n.intraLatencyUs = 1;
  return n;
}

// Two GPU nodes of different speed and one CPU node, ranks 0-1 / 2-3 / 4.
Topology sample() {
  Topology t;
  t.nodes = {nodeWith("a", 2, {400, 400}), nodeWith("b", 2, {200, 200}), nodeWith("c", 0, {})};
  t.ranks = {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {2, -1}};
  t.networkLatencyUs = 3;
  return t;
}

// validate() must fail, and its message must contain `words`.
void expectInvalid(const Topology& t, const std::string& words) {
  clearThreadLastError();
  EXPECT_EQ(t.validate(), Status::InvalidArgument);
  EXPECT_NE(threadLastError().find(words), std::string::npos) << threadLastError();
}

TEST(TopologyModel, VendorNames) {
  for (Vendor v : {Vendor::Cpu, Vendor::Nvidia, Vendor::Amd}) {
    Vendor parsed = Vendor::Cpu;
    ASSERT_TRUE(parseVendor(vendorName(v), &parsed));
    EXPECT_EQ(parsed, v);
  }
  EXPECT_STREQ(vendorName(Vendor::Nvidia), "nvidia");
  EXPECT_STREQ(vendorName(Vendor::Amd), "amd");
  EXPECT_STREQ(vendorName(Vendor::Cpu), "cpu");
  Vendor v = Vendor::Cpu;
  EXPECT_TRUE(parseVendor("NVIDIA", &v));
  EXPECT_EQ(v, Vendor::Nvidia);
  EXPECT_TRUE(parseVendor("rocm", &v));
  EXPECT_EQ(v, Vendor::Amd);
  EXPECT_TRUE(parseVendor("cuda", &v));
  EXPECT_EQ(v, Vendor::Nvidia);
  EXPECT_FALSE(parseVendor("intel", &v));
  EXPECT_FALSE(parseVendor("", &v));
  EXPECT_EQ(v, Vendor::Nvidia);  // unchanged on failure
}

TEST(TopologyModel, NetworkBandwidthIsTheSumOfNics) {
  EXPECT_EQ(nodeWith("x", 0, {400, 400, 200}).networkGbps(), 1000);
  EXPECT_EQ(nodeWith("x", 0, {}).networkGbps(), 0);
  EXPECT_DOUBLE_EQ(nodeWith("x", 0, {0.4, 0.2}).networkGbps(), 0.6);
}

TEST(TopologyModel, RanksByNode) {
  Topology t = sample();
  EXPECT_EQ(t.ranksByNode(), (std::vector<std::vector<int>>{{0, 1}, {2, 3}, {4}}));
  // Interleaved ranks keep their order inside each node; nodes without ranks have no group.
  t.nodes.push_back(nodeWith("idle", 0, {}));
  t.ranks = {{1, 0}, {0, 0}, {1, 1}, {0, 1}};
  EXPECT_EQ(t.ranksByNode(), (std::vector<std::vector<int>>{{1, 3}, {0, 2}}));
  EXPECT_TRUE(t.sameNode(1, 3));
  EXPECT_FALSE(t.sameNode(0, 1));
  EXPECT_EQ(t.nodeOf(0).name, "b");
}

TEST(TopologyModel, HeterogeneousNetworkLooksOnlyAtNodesWithRanks) {
  Topology t = sample();
  EXPECT_TRUE(t.heterogeneousNetwork());
  t.ranks = {{0, 0}, {0, 1}};
  EXPECT_FALSE(t.heterogeneousNetwork());
  t.nodes[1] = nodeWith("b", 2, {400, 400});
  t.ranks = {{0, 0}, {1, 0}};
  EXPECT_FALSE(t.heterogeneousNetwork());
  // 0.1 + 0.2 and 0.3 differ only in the last bit: the same bandwidth.
  t.nodes[0] = nodeWith("a", 2, {0.1, 0.2});
  t.nodes[1] = nodeWith("b", 2, {0.3});
  EXPECT_FALSE(t.heterogeneousNetwork());
}

TEST(TopologyModel, ValidSampleValidates) {
  EXPECT_EQ(sample().validate(), Status::Success);
  EXPECT_EQ(sample().nodes[0].validate(), Status::Success);
}

TEST(TopologyModel, ValidateRefusesEmptyOrOversized) {
  Topology t = sample();
  t.nodes.clear();
  t.ranks.clear();
  expectInvalid(t, "no nodes");
  t = sample();
  t.ranks.clear();
  expectInvalid(t, "no ranks");
  t = sample();
  t.ranks.assign(static_cast<size_t>(kMaxRanks) + 1, RankPlace{2, -1});
  expectInvalid(t, "ranks is more than");
  t = sample();
  t.nodes.resize(static_cast<size_t>(kMaxNodes) + 1, nodeWith("n", 0, {}));
  expectInvalid(t, "nodes is more than");
}

TEST(TopologyModel, ValidateRefusesBadValues) {
  struct Case {
    const char* words;
    void (*breakIt)(Topology*);
  };
  const Case cases[] = {
      {"network latency", [](Topology* t) { t->networkLatencyUs = -1; }},
      {"network latency", [](Topology* t) { t->networkLatencyUs = INFINITY; }},
      {"node 1 (b): NIC 0 (nic0): bandwidth (Gb/s) -5", [](Topology* t) { t->nodes[1].nics[0].gbps = -5; }},
      {"bandwidth (Gb/s) nan", [](Topology* t) { t->nodes[0].nics[1].gbps = std::nan(""); }},
      {"bandwidth (Gb/s) 2e+06", [](Topology* t) { t->nodes[0].nics[1].gbps = 2e6; }},
      {"intra-node bandwidth", [](Topology* t) { t->nodes[0].intraGbps = -1; }},
      {"intra-node latency", [](Topology* t) { t->nodes[2].intraLatencyUs = -0.5; }},
      {"core count -1", [](Topology* t) { t->nodes[0].cores = -1; }},
      {"NUMA node count 0", [](Topology* t) { t->nodes[0].numaNodes = 0; }},
      {"GPU 1: index -1", [](Topology* t) { t->nodes[0].gpus[1].index = -1; }},
      {"GPU 0: NUMA node -2", [](Topology* t) { t->nodes[1].gpus[0].numaNode = -2; }},
      {"NIC 0 (nic0): NUMA node 5000", [](Topology* t) { t->nodes[0].nics[0].numaNode = 5000; }},
      {"GPUs is more than", [](Topology* t) { t->nodes[0].gpus.resize(kMaxDevicesPerNode + 1); }},
      {"NICs is more than", [](Topology* t) { t->nodes[0].nics.resize(kMaxDevicesPerNode + 1); }},
      {"rank 4 is on node 3, but there are 3 nodes", [](Topology* t) { t->ranks[4].node = 3; }},
      {"rank 0 is on node -1", [](Topology* t) { t->ranks[0].node = -1; }},
      {"rank 4 uses GPU 0 of node 2 (c), which has 0 GPUs", [](Topology* t) { t->ranks[4].gpu = 0; }},
      {"rank 1 uses GPU 2 of node 0 (a), which has 2 GPUs", [](Topology* t) { t->ranks[1].gpu = 2; }},
      {"rank 1 uses GPU -2", [](Topology* t) { t->ranks[1].gpu = -2; }},
  };
  for (const Case& c : cases) {
    Topology t = sample();
    c.breakIt(&t);
    expectInvalid(t, c.words);
  }
}

TEST(TopologyModel, NodeValidateNamesTheNode) {
  Node n = nodeWith("host7", 1, {100});
  n.nics[0].gbps = -1;
  clearThreadLastError();
  EXPECT_EQ(n.validate(), Status::InvalidArgument);
  EXPECT_NE(threadLastError().find("node host7: NIC 0"), std::string::npos) << threadLastError();
}

}  // namespace
}  // namespace hccl::topo
