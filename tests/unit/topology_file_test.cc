// Topology files: the format's defaults and shorthands, every error it reports, lossless round
// trips, the example files in topologies/, the node record of the init exchange, and the
// Graphviz and text renderings.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

#include "base/error.h"
#include "topology/node_record.h"
#include "topology/topology_file.h"
#include "topology/topology_render.h"
#include "topology/topology_writer.h"

namespace hccl::topo {
namespace {

// tests/unit/this_file.cc → the repository root.
std::string repoPath(const std::string& relative) {
  std::string file = __FILE__;
  return file.substr(0, file.rfind("/tests/unit/")) + "/" + relative;
}

const char* const kExampleFiles[] = {"hetero-16.json", "hetero-128.json", "hetero-1024.json", "hetero-8192.json",
                                     "homo-16.json",   "homo-128.json",   "homo-1024.json",   "homo-8192.json",
                                     "netns-4.json"};

Topology parseOk(const std::string& text) {
  Topology t;
  clearThreadLastError();
  EXPECT_EQ(parseTopology(text, &t), Status::Success) << threadLastError() << "\n" << text;
  return t;
}

// Parsing must fail with a message containing `words`.
void expectError(const std::string& text, const std::string& words) {
  Topology t;
  clearThreadLastError();
  EXPECT_EQ(parseTopology(text, &t), Status::InvalidArgument) << text;
  EXPECT_NE(threadLastError().find(words), std::string::npos) << "message: " << threadLastError() << "\ntext: " << text;
}

void expectSameNode(const Node& a, const Node& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.cores, b.cores);
  EXPECT_EQ(a.numaNodes, b.numaNodes);
  EXPECT_EQ(a.intraGbps, b.intraGbps);
  EXPECT_EQ(a.intraLatencyUs, b.intraLatencyUs);
  ASSERT_EQ(a.gpus.size(), b.gpus.size());
  for (size_t i = 0; i < a.gpus.size(); ++i) {
    EXPECT_EQ(a.gpus[i].vendor, b.gpus[i].vendor);
    EXPECT_EQ(a.gpus[i].index, b.gpus[i].index);
    EXPECT_EQ(a.gpus[i].pciBusId, b.gpus[i].pciBusId);
    EXPECT_EQ(a.gpus[i].numaNode, b.gpus[i].numaNode);
  }
  ASSERT_EQ(a.nics.size(), b.nics.size());
  for (size_t i = 0; i < a.nics.size(); ++i) {
    EXPECT_EQ(a.nics[i].name, b.nics[i].name);
    EXPECT_EQ(a.nics[i].gbps, b.nics[i].gbps);
    EXPECT_EQ(a.nics[i].rdma, b.nics[i].rdma);
    EXPECT_EQ(a.nics[i].pciBusId, b.nics[i].pciBusId);
    EXPECT_EQ(a.nics[i].numaNode, b.nics[i].numaNode);
  }
}

void expectSame(const Topology& a, const Topology& b) {
  EXPECT_EQ(a.networkLatencyUs, b.networkLatencyUs);
  ASSERT_EQ(a.nodes.size(), b.nodes.size());
  for (size_t i = 0; i < a.nodes.size(); ++i) expectSameNode(a.nodes[i], b.nodes[i]);
  ASSERT_EQ(a.ranks.size(), b.ranks.size());
  for (size_t r = 0; r < a.ranks.size(); ++r) {
    EXPECT_EQ(a.ranks[r].node, b.ranks[r].node) << "rank " << r;
    EXPECT_EQ(a.ranks[r].gpu, b.ranks[r].gpu) << "rank " << r;
  }
}

// write → parse gives back `t`, and writing again gives the same text.
void expectRoundTrip(const Topology& t) {
  std::string json = topologyToJson(t);
  Topology back = parseOk(json);
  expectSame(t, back);
  EXPECT_EQ(topologyToJson(back), json);
}

TEST(TopologyFile, MinimalFileGetsDefaults) {
  Topology t = parseOk(R"({"nodes": [{"name": "solo"}]})");
  ASSERT_EQ(t.nodes.size(), 1u);
  EXPECT_EQ(t.nodes[0].name, "solo");
  EXPECT_EQ(t.nodes[0].numaNodes, 1);
  EXPECT_EQ(t.nodes[0].cores, 0);
  EXPECT_EQ(t.networkLatencyUs, 0);
  ASSERT_EQ(t.nranks(), 1);
  EXPECT_EQ(t.ranks[0].node, 0);
  EXPECT_EQ(t.ranks[0].gpu, -1);
  Topology unnamed = parseOk(R"({"nodes": [{}, {}]})");
  EXPECT_EQ(unnamed.nodes[1].name, "node1");
}

TEST(TopologyFile, CountsExpandNodesGpusAndNics) {
  Topology t = parseOk(R"({
    "hccl_topology": 1, "comment": "ignored",
    "network": {"latency_us": 2.5},
    "nodes": [
      {"name": "gpu-", "count": 3, "cores": 64, "numa": 2, "comment": "ignored too",
       "gpus": [{"vendor": "nvidia", "count": 2, "numa": 0}, {"vendor": "AMD", "pci": "0000:c1:00.0"},
                {"vendor": "nvidia", "index": 7}],
       "nics": [{"name": "mlx5_", "count": 2, "gbps": 400, "rdma": true, "numa": 1},
                {"name": "eth0", "gbps": 25, "pci": "0000:01:00.0"}],
       "intra": {"gbps": 3600, "latency_us": 0.8}},
      {"name": "cpu", "nics": [{"name": "eth", "count": 1, "gbps": 10}]}
    ]})");
  ASSERT_EQ(t.nodes.size(), 4u);
  EXPECT_EQ(t.nodes[0].name, "gpu-0");
  EXPECT_EQ(t.nodes[2].name, "gpu-2");
  EXPECT_EQ(t.nodes[3].name, "cpu");
  EXPECT_EQ(t.networkLatencyUs, 2.5);
  const Node& n = t.nodes[1];
  EXPECT_EQ(n.cores, 64);
  EXPECT_EQ(n.numaNodes, 2);
  EXPECT_EQ(n.intraGbps, 3600);
  EXPECT_EQ(n.intraLatencyUs, 0.8);
  ASSERT_EQ(n.gpus.size(), 4u);
  EXPECT_EQ(n.gpus[1].vendor, Vendor::Nvidia);
  EXPECT_EQ(n.gpus[1].index, 1);
  EXPECT_EQ(n.gpus[1].numaNode, 0);
  EXPECT_EQ(n.gpus[2].vendor, Vendor::Amd);
  EXPECT_EQ(n.gpus[2].index, 0);  // the first AMD GPU
  EXPECT_EQ(n.gpus[2].pciBusId, "0000:c1:00.0");
  EXPECT_EQ(n.gpus[2].numaNode, -1);
  EXPECT_EQ(n.gpus[3].index, 7);
  ASSERT_EQ(n.nics.size(), 3u);
  EXPECT_EQ(n.nics[0].name, "mlx5_0");
  EXPECT_EQ(n.nics[1].name, "mlx5_1");
  EXPECT_TRUE(n.nics[1].rdma);
  EXPECT_EQ(n.nics[1].numaNode, 1);
  EXPECT_EQ(n.nics[2].name, "eth0");
  EXPECT_FALSE(n.nics[2].rdma);
  EXPECT_EQ(n.nics[2].pciBusId, "0000:01:00.0");
  EXPECT_EQ(n.networkGbps(), 825);
  EXPECT_EQ(t.nodes[3].nics[0].name, "eth0");
  // One rank per GPU, then one CPU rank for the GPU-less node.
  ASSERT_EQ(t.nranks(), 13);
  EXPECT_EQ(t.ranks[4].node, 1);
  EXPECT_EQ(t.ranks[4].gpu, 0);
  EXPECT_EQ(t.ranks[11].gpu, 3);
  EXPECT_EQ(t.ranks[12].node, 3);
  EXPECT_EQ(t.ranks[12].gpu, -1);
}

TEST(TopologyFile, SingleGpuEntryMayBeAnObject) {
  Topology t = parseOk(R"({"nodes": [{"gpus": {"vendor": "hip", "count": 4}}]})");
  ASSERT_EQ(t.nodes[0].gpus.size(), 4u);
  EXPECT_EQ(t.nodes[0].gpus[3].vendor, Vendor::Amd);
  EXPECT_EQ(t.nodes[0].gpus[3].index, 3);
}

TEST(TopologyFile, RanksPerNode) {
  Topology t = parseOk(R"({"nodes": [
      {"name": "shared", "gpus": {"vendor": "nvidia", "count": 2}, "ranks_per_node": 5},
      {"name": "idle", "ranks_per_node": 0},
      {"name": "cpus", "ranks_per_node": 3}]})");
  ASSERT_EQ(t.nranks(), 8);
  // Ranks share the GPUs round-robin; a GPU-less node's ranks are CPU ranks.
  int expectedGpu[] = {0, 1, 0, 1, 0, -1, -1, -1};
  for (int r = 0; r < 8; ++r) EXPECT_EQ(t.ranks[r].gpu, expectedGpu[r]) << r;
  EXPECT_EQ(t.ranks[4].node, 0);
  EXPECT_EQ(t.ranks[5].node, 2);
}

TEST(TopologyFile, ExplicitRanks) {
  Topology t = parseOk(R"({"nodes": [
      {"name": "a", "gpus": {"vendor": "nvidia", "count": 2}}, {"name": "b"}],
      "ranks": [{"node": "b"}, {"node": 0, "gpu": 1}, {"node": "a", "gpu": 0}, {"node": 0, "gpu": 1}, {"node": "a"}]})");
  ASSERT_EQ(t.nranks(), 5);
  EXPECT_EQ(t.ranks[0].node, 1);
  EXPECT_EQ(t.ranks[0].gpu, -1);
  EXPECT_EQ(t.ranks[1].node, 0);
  EXPECT_EQ(t.ranks[1].gpu, 1);
  EXPECT_EQ(t.ranks[2].gpu, 0);
  EXPECT_EQ(t.ranks[3].gpu, 1);  // two ranks may share a GPU
  EXPECT_EQ(t.ranks[4].gpu, -1);  // a CPU rank on a GPU node
}

TEST(TopologyFile, ErrorsSayWhereAndWhat) {
  const char* node = R"({"nodes": [{"name": "a", "gpus": {"vendor": "nvidia", "count": 2}}], )";
  struct Case {
    std::string text;
    const char* words;
  };
  const Case cases[] = {
      {"{\"nodes\": [}", "topology:1:12: expected a value"},
      {"[]", "topology:1:1: topology: expected an object, found an array"},
      {"{}", "\"nodes\" is required"},
      {R"({"nodes": []})", "at least one node"},
      {R"({"nodes": {}})", "nodes: expected an array, found an object"},
      {R"({"nodes": [{}], "colour": 1})", "unknown member \"colour\""},
      {R"({"hccl_topology": 2, "nodes": [{}]})", "reads format version 1"},
      {R"({"nodes": [{"nmae": "x"}]})", "1:13: nodes[0]: unknown member \"nmae\""},
      {R"({"nodes": [{"name": 5}]})", "nodes[0].name: expected a string, found a number"},
      {R"({"nodes": [{"count": 0}]})", "nodes[0].count: 0 is outside 1..65536"},
      {R"({"nodes": [{"count": 2.5}]})", "nodes[0].count: expected a whole number, found 2.5"},
      {R"({"nodes": [{"count": 70000}]})", "outside 1..65536"},
      {R"({"nodes": [{"count": -1e300}]})", "nodes[0].count: -1e+300 is outside 1..65536"},
      {R"({"nodes": [{"count": 40000}, {"count": 40000}]})", "nodes[1]: more than 65536 nodes"},
      {R"({"nodes": [{"cores": -4}]})", "nodes[0].cores: -4 is outside"},
      {R"({"nodes": [{"numa": 0}]})", "nodes[0].numa: 0 is outside 1..1024"},
      {R"({"nodes": [{"intra": {"gbps": -1}}]})", "nodes[0].intra.gbps: -1 is negative"},
      {R"({"nodes": [{"intra": {"latency_us": "fast"}}]})", "nodes[0].intra.latency_us: expected a number"},
      {R"({"nodes": [{"intra": {"bw": 1}}]})", "unknown member \"bw\""},
      {R"({"network": {"latency_us": -3}, "nodes": [{}]})", "network.latency_us: -3 is negative"},
      {R"({"network": {"latency_us": 1e99}, "nodes": [{}]})", "network.latency_us: 1e+99 is above 10000000"},
      {"{\"nodes\": [{\"nics\": [\n  {\"name\": \"e\", \"gbps\": -5}]}]}", "topology:2:25: nodes[0].nics[0].gbps: -5 is negative"},
      {R"({"nodes": [{"nics": [{"name": "e", "gbps": 2e6}]}]})", "is above 1000000"},
      {R"({"nodes": [{"nics": [{"gbps": 1}]}]})", "nodes[0].nics[0]: \"name\" is required"},
      {R"({"nodes": [{"nics": [{"name": "e"}]}]})", "nodes[0].nics[0]: \"gbps\" is required"},
      {R"({"nodes": [{"nics": [{"name": "e", "gbps": 1, "rdma": 1}]}]})", "nics[0].rdma: expected a boolean"},
      {R"({"nodes": [{"nics": {"name": "e", "gbps": 1}}]})", "nodes[0].nics: expected an array"},
      {R"({"nodes": [{"nics": [{"name": "e", "gbps": 1, "count": 2, "pci": "0000:01:00.0"}]}]})",
       "\"pci\" names one NIC"},
      {R"({"nodes": [{"nics": [{"name": "e", "gbps": 1, "count": 1000}, {"name": "f", "gbps": 1, "count": 100}]}]})",
       "nodes[0].nics[1]: more than 1024 NICs"},
      {R"({"nodes": [{"nics": [{"name": "e", "gbps": 1, "numa": -2}]}]})", "nics[0].numa: -2 is outside -1..1023"},
      {R"({"nodes": [{"gpus": {"vendor": "intel"}}]})", "nodes[0].gpus.vendor: unknown vendor \"intel\""},
      {R"({"nodes": [{"gpus": [{"count": 2}]}]})", "nodes[0].gpus[0]: \"vendor\" is required"},
      {R"({"nodes": [{"gpus": "8"}]})", "nodes[0].gpus: expected an object or an array"},
      {R"({"nodes": [{"gpus": {"vendor": "amd", "count": 2000}}]})", "gpus.count: 2000 is outside 1..1024"},
      {R"({"nodes": [{"gpus": [{"vendor": "amd", "count": 1000}, {"vendor": "amd", "count": 30}]}]})",
       "more than 1024 GPUs"},
      {R"({"nodes": [{"gpus": {"vendor": "amd", "count": 2, "pci": "0000:01:00.0"}}]})", "\"pci\" names one GPU"},
      {R"({"nodes": [{"gpus": {"vendor": "amd", "index": -1}}]})", "gpus.index: -1 is outside"},
      {R"({"nodes": [{"gpus": {"vendor": "amd", "size": 1}}]})", "unknown member \"size\""},
      {R"({"nodes": [{"ranks_per_node": -1}]})", "ranks_per_node: -1 is outside"},
      {R"({"nodes": [{"ranks_per_node": 0}]})", "no node holds a rank"},
      {R"({"nodes": [{"count": 60000, "ranks_per_node": 60}]})", "more than 1048576 ranks"},
      {std::string(node) + R"("ranks": []})", "no node holds a rank"},
      {std::string(node) + R"("ranks": {}})", "ranks: expected an array"},
      {std::string(node) + R"("ranks": [{"node": 1}]})", "ranks[0].node: 1 is outside 0..0"},
      {std::string(node) + R"("ranks": [{"node": "z"}]})", "ranks[0].node: no node is named \"z\""},
      {std::string(node) + R"("ranks": [{"node": 0, "gpu": 2}]})", "ranks[0].gpu: 2 is outside -1..1"},
      {std::string(node) + R"("ranks": [{"gpu": 0}]})", "ranks[0]: \"node\" is required"},
      {std::string(node) + R"("ranks": [{"node": 0, "cpu": 1}]})", "unknown member \"cpu\""},
      {std::string(node) + R"("ranks": [{"node": true}]})", "ranks[0].node: expected a number"},
      {R"({"nodes": [{"name": "a"}, {"name": "b"}], "ranks": [{"node": "b", "gpu": 0}]})",
       "ranks[0].gpu: node 1 (b) has no GPUs"},
      {R"({"nodes": [{"name": "a"}, {"name": "a"}], "ranks": [{"node": "a"}]})", "several nodes are named \"a\""},
      {R"({"nodes": [{"ranks_per_node": 2}], "ranks": [{"node": 0}]})", "cannot be combined with a \"ranks\" list"},
  };
  for (const Case& c : cases) expectError(c.text, c.words);
}

TEST(TopologyFile, MissingFileIsReported) {
  Topology t;
  EXPECT_EQ(loadTopologyFile("/nonexistent/topo.json", &t), Status::InvalidArgument);
  EXPECT_NE(threadLastError().find("cannot open topology file /nonexistent/topo.json"), std::string::npos);
}

TEST(TopologyFile, FileErrorsNameTheFile) {
  std::string path = testing::TempDir() + "/topology_file_test_bad.json";
  FILE* f = fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("{\"nodes\": [{\"cores\": -1}]}\n", f);
  fclose(f);
  Topology t;
  EXPECT_EQ(loadTopologyFile(path, &t), Status::InvalidArgument);
  EXPECT_NE(threadLastError().find(path + ":1:22: nodes[0].cores: -1 is outside"), std::string::npos) << threadLastError();
  remove(path.c_str());
}

TEST(TopologyFile, ExampleFilesLoadAndValidate) {
  for (const char* name : kExampleFiles) {
    Topology t;
    clearThreadLastError();
    ASSERT_EQ(loadTopologyFile(repoPath("topologies/") + name, &t), Status::Success) << name << ": " << threadLastError();
    EXPECT_EQ(t.validate(), Status::Success) << name;
    expectRoundTrip(t);
  }
}

TEST(TopologyFile, ExampleFilesDescribeWhatTheirNamesSay) {
  struct Expect {
    const char* name;
    size_t nodes;
    int ranks;
    bool heterogeneous;
  };
  for (const Expect& e : {Expect{"hetero-16.json", 2, 16, true}, Expect{"hetero-128.json", 16, 128, true},
                          Expect{"hetero-1024.json", 128, 1024, true}, Expect{"hetero-8192.json", 1024, 8192, true},
                          Expect{"homo-16.json", 2, 16, false}, Expect{"homo-128.json", 16, 128, false},
                          Expect{"homo-1024.json", 128, 1024, false}, Expect{"homo-8192.json", 1024, 8192, false}}) {
    Topology t;
    ASSERT_EQ(loadTopologyFile(repoPath("topologies/") + e.name, &t), Status::Success) << e.name;
    EXPECT_EQ(t.nodes.size(), e.nodes) << e.name;
    EXPECT_EQ(t.nranks(), e.ranks) << e.name;
    EXPECT_EQ(t.heterogeneousNetwork(), e.heterogeneous) << e.name;
    size_t half = e.nodes / 2;
    EXPECT_EQ(t.nodes[0].gpus[0].vendor, Vendor::Nvidia);
    EXPECT_EQ(t.nodes[half].gpus[7].vendor, Vendor::Amd);
    EXPECT_EQ(t.nodes[0].networkGbps(), 3200);
    EXPECT_EQ(t.nodes[half].networkGbps(), e.heterogeneous ? 1600 : 3200);
    EXPECT_GE(t.nodes[half].intraGbps, 1000);
    for (int r = 0; r < t.nranks(); ++r) ASSERT_EQ(t.ranks[r].gpu, r % 8);
  }
  Topology ns;
  ASSERT_EQ(loadTopologyFile(repoPath("topologies/netns-4.json"), &ns), Status::Success);
  ASSERT_EQ(ns.nranks(), 4);
  double gbps[] = {0.4, 0.4, 0.2, 0.2};
  for (int r = 0; r < 4; ++r) {
    EXPECT_EQ(ns.ranks[r].node, r);
    EXPECT_EQ(ns.ranks[r].gpu, -1);
    EXPECT_EQ(ns.nodes[r].networkGbps(), gbps[r]);
  }
}

TEST(TopologyFile, WriterIsCompactForLargeClusters) {
  Topology t;
  ASSERT_EQ(loadTopologyFile(repoPath("topologies/hetero-8192.json"), &t), Status::Success);
  std::string json = topologyToJson(t);
  EXPECT_LT(std::count(json.begin(), json.end(), '\n'), 30) << json;
  EXPECT_NE(json.find("\"name\": \"nv-\",\n      \"count\": 512,"), std::string::npos) << json;
  EXPECT_EQ(json.find("\"ranks\""), std::string::npos);
}

TEST(TopologyFile, RoundTripOfUnusualTopologies) {
  // Explicit ranks, PCI ids, mixed vendors, names that do not count up, NIC names that do.
  Topology t = parseOk(R"({"network": {"latency_us": 0.7},
    "nodes": [
      {"name": "x0", "cores": 3, "gpus": [{"vendor": "amd", "pci": "0000:c1:00.0", "numa": 1},
                                          {"vendor": "nvidia", "index": 3}, {"vendor": "amd"}], "numa": 2},
      {"name": "x1", "nics": [{"name": "eth10", "gbps": 0.1}, {"name": "eth11", "gbps": 0.1},
                              {"name": "ib0", "gbps": 100, "rdma": true, "pci": "0000:3b:00.0", "numa": 0}]},
      {"name": "weird \"name\" \\ é", "intra": {"gbps": 0.125, "latency_us": 1e-3}}],
    "ranks": [{"node": 2}, {"node": 0, "gpu": 2}, {"node": 0, "gpu": 0}, {"node": 1}]})");
  expectRoundTrip(t);
  EXPECT_NE(topologyToJson(t).find("\"name\": \"eth1\", \"count\": 2"), std::string::npos) << topologyToJson(t);

  // Built in code: numbers with no short decimal form, nodes that count up but differ.
  Topology c;
  for (int i = 0; i < 4; ++i) {
    Node n;
    n.name = "n" + std::to_string(i);
    n.intraGbps = 1.0 / 3;
    n.nics.push_back(Nic{"eth0", i < 2 ? 0.1 + 0.2 : 0.3, false, "", -1});
    c.nodes.push_back(n);
    c.ranks.push_back(RankPlace{i, -1});
  }
  c.ranks.push_back(RankPlace{3, -1});  // two ranks on the last node: ranks_per_node
  c.networkLatencyUs = 2.0 / 3;
  expectRoundTrip(c);
  EXPECT_NE(topologyToJson(c).find("\"ranks_per_node\": 2"), std::string::npos) << topologyToJson(c);
}

TEST(TopologyFile, NodeRecordRoundTrip) {
  Topology t = parseOk(R"({"nodes": [{"name": "h", "cores": 96, "numa": 2,
      "gpus": [{"vendor": "nvidia", "count": 2, "numa": 0}, {"vendor": "amd", "pci": "0000:c1:00.0"}],
      "nics": [{"name": "mlx5_", "count": 2, "gbps": 400, "rdma": true}, {"name": "eth0", "gbps": 0}],
      "intra": {"gbps": 900, "latency_us": 0.3}}]})");
  std::string bytes = encodeNode(t.nodes[0]);
  EXPECT_EQ(bytes.find('\n'), std::string::npos);
  Node back;
  ASSERT_EQ(decodeNode(bytes, &back), Status::Success) << threadLastError();
  expectSameNode(t.nodes[0], back);
}

TEST(TopologyFile, NodeRecordRefusesDamage) {
  Node n;
  n.name = "host";
  n.cores = 4;
  n.gpus.push_back(Gpu{Vendor::Amd, 0, "0000:c1:00.0", 0});
  n.nics.push_back(Nic{"eth0", 25, false, "", -1});
  std::string good = encodeNode(n);
  Node out;
  // Every truncation is refused.
  for (size_t length = 0; length < good.size(); ++length)
    EXPECT_EQ(decodeNode(good.substr(0, length), &out), Status::RemoteError) << length;
  // Any single corrupted byte is refused or still decodes to a valid node, never more.
  for (size_t i = 0; i < good.size(); ++i) {
    for (char c : {'\0', '\xff', '"', '{', '9', '-', ' '}) {
      std::string bad = good;
      bad[i] = c;
      Node decoded;
      if (decodeNode(bad, &decoded) == Status::Success) {
        EXPECT_EQ(decoded.validate(), Status::Success) << bad;
      }
    }
  }
  const char* refused[] = {
      "", "null", "[]", "\"node\"", "{\"name\": \"h\", \"count\": 2}", "{\"ranks_per_node\": 1}",
      "{\"cores\": -1}", "{\"nics\": [{\"name\": \"e\", \"gbps\": -1}]}", "{\"gpus\": {\"vendor\": \"x\"}}",
      "{\"gpus\": {\"vendor\": \"amd\", \"count\": 1e9}}", "{\"a\": [[[[[[[[[[[]]]]]]]]]]]}", "{} trailing"};
  for (const char* text : refused) EXPECT_EQ(decodeNode(text, &out), Status::RemoteError) << text;
  std::string huge = "{\"name\": \"" + std::string(size_t{2} << 20, 'a') + "\"}";
  EXPECT_EQ(decodeNode(huge, &out), Status::RemoteError);
  EXPECT_EQ(out.name, "");  // untouched by every failure
}

TEST(TopologyFile, DamagedFilesNeverCrashTheParser) {
  Topology good;
  ASSERT_EQ(loadTopologyFile(repoPath("topologies/hetero-16.json"), &good), Status::Success);
  std::string text = topologyToJson(good);
  std::mt19937 random(12345);
  const char bytes[] = "{}[],:\"\\-0123456789.eE \ntrufalsn\xff\x00";
  for (int round = 0; round < 3000; ++round) {
    std::string damaged = text;
    for (int k = 0, edits = 1 + static_cast<int>(random() % 4); k < edits; ++k) {
      size_t at = random() % damaged.size();
      switch (random() % 3) {
        case 0: damaged[at] = bytes[random() % (sizeof(bytes) - 1)]; break;
        case 1: damaged.erase(at, 1 + random() % 8); break;
        default: damaged.insert(at, 1, bytes[random() % (sizeof(bytes) - 1)]); break;
      }
    }
    Topology t;
    if (parseTopology(damaged, &t) == Status::Success) {
      EXPECT_EQ(t.validate(), Status::Success) << damaged;
    } else {
      EXPECT_FALSE(threadLastError().empty());
    }
  }
}

// Braces and quotes balance (outside quoted strings, honouring escapes).
void expectWellFormedDot(const std::string& dot) {
  int depth = 0;
  bool quoted = false;
  for (size_t i = 0; i < dot.size(); ++i) {
    char c = dot[i];
    if (quoted) {
      if (c == '\\') ++i;
      else if (c == '"') quoted = false;
      else ASSERT_NE(c, '\n') << "line break inside a string";
      continue;
    }
    if (c == '"') quoted = true;
    if (c == '{') ++depth;
    if (c == '}') {
      ASSERT_GT(depth--, 0) << "unbalanced '}'";
    }
  }
  EXPECT_FALSE(quoted);
  EXPECT_EQ(depth, 0);
  EXPECT_NE(dot.find("graph hccl_topology {"), std::string::npos);
}

size_t occurrences(const std::string& text, const std::string& word) {
  size_t n = 0;
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) ++n;
  return n;
}

TEST(TopologyRender, DotCollapsesIdenticalNodes) {
  Topology t;
  ASSERT_EQ(loadTopologyFile(repoPath("topologies/hetero-1024.json"), &t), Status::Success);
  std::string dot = topologyToDot(t);
  expectWellFormedDot(dot);
  EXPECT_EQ(occurrences(dot, "subgraph cluster_"), 2u);
  EXPECT_NE(dot.find("64 × node type nv (nv-0 … nv-63)"), std::string::npos) << dot;
  EXPECT_NE(dot.find("64 × node type amd (amd-0 … amd-63)"), std::string::npos) << dot;
  EXPECT_NE(dot.find("label=\"400 Gb/s\""), std::string::npos);
  EXPECT_NE(dot.find("label=\"200 Gb/s\""), std::string::npos);
  EXPECT_EQ(occurrences(dot, "-- network"), 16u);  // 8 NICs per node type
  EXPECT_EQ(occurrences(dot, "_gpu"), 32u);        // 8 GPUs, each declared and linked, per type
  EXPECT_NE(dot.find("3 us per hop"), std::string::npos);
}

TEST(TopologyRender, DotOfOddNodes) {
  Topology t = parseOk(R"({"nodes": [
      {"name": "q\"uote\\", "gpus": {"vendor": "amd", "count": 40}, "nics": [{"name": "e", "gbps": 0, "count": 20}]},
      {"name": "plain"}]})");
  std::string dot = topologyToDot(t);
  expectWellFormedDot(dot);
  EXPECT_NE(dot.find("node q\\\"uote\\\\"), std::string::npos) << dot;
  EXPECT_NE(dot.find("40 × amd 0-39"), std::string::npos) << dot;  // many devices: one box per run
  EXPECT_NE(dot.find("20 × unknown speed"), std::string::npos) << dot;
  EXPECT_EQ(occurrences(dot, "subgraph cluster_"), 2u);
}

TEST(TopologyRender, TextNamesTypesAndBandwidths) {
  Topology t;
  ASSERT_EQ(loadTopologyFile(repoPath("topologies/hetero-1024.json"), &t), Status::Success);
  std::string text = topologyToText(t);
  EXPECT_NE(text.find("128 nodes, 1024 ranks"), std::string::npos) << text;
  EXPECT_NE(text.find("heterogeneous network (1600 to 3200 Gb/s per node)"), std::string::npos) << text;
  EXPECT_NE(text.find("64 × node type amd (amd-0 … amd-63): 8 ranks each"), std::string::npos) << text;
  EXPECT_NE(text.find("8 × mlx5_0 … mlx5_7: 400 Gb/s RDMA each"), std::string::npos) << text;
  EXPECT_NE(text.find("4 × amd 4-7, NUMA 1"), std::string::npos) << text;
  EXPECT_NE(text.find("intra    3584 Gb/s, 1.5 us"), std::string::npos) << text;
}

}  // namespace
}  // namespace hccl::topo
