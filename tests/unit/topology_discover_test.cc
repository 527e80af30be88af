// Discovery: sysfs against a fake tree (RDMA devices, physical, virtual and loopback netdevs,
// NUMA), this real machine, and the init entry points HCCL_TOPO_FILE and HCCL_TOPO_DUMP_FILE.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "base/error.h"
#include "core/config.h"
#include "topology/discover.h"
#include "topology/node_record.h"
#include "topology/topology_file.h"
#include "topology/topology_render.h"
#include "topology/topology_writer.h"

namespace hccl::topo {
namespace {

namespace fs = std::filesystem;

// A sysfs look-alike in a fresh temporary directory, removed at the end of the test.
class FakeSysfs {
 public:
  FakeSysfs() {
    root_ = fs::path(testing::TempDir()) / ("hccl_fake_sys_" + std::to_string(getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  ~FakeSysfs() { fs::remove_all(root_); }

  std::string root() const { return root_.string(); }

  void file(const std::string& path, const std::string& text) {
    fs::create_directories((root_ / path).parent_path());
    std::ofstream(root_ / path) << text << "\n";
  }
  void dir(const std::string& path) { fs::create_directories(root_ / path); }
  // A relative link, as sysfs has them, to a directory under the root.
  void link(const std::string& path, const std::string& target) {
    fs::create_directories((root_ / path).parent_path());
    fs::create_directory_symlink(fs::relative(root_ / target, (root_ / path).parent_path()), root_ / path);
  }
  // A PCI function with its NUMA node.
  void pci(const std::string& busPath, int numa) { file("devices/pci0000:00/" + busPath + "/numa_node", std::to_string(numa)); }
  void netdev(const std::string& name, const std::string& speed, const std::string& operstate, int type = 1) {
    if (!speed.empty()) file("class/net/" + name + "/speed", speed);
    file("class/net/" + name + "/operstate", operstate);
    file("class/net/" + name + "/type", std::to_string(type));
  }

 private:
  fs::path root_;
};

const Nic* findNic(const Node& node, const std::string& name) {
  for (const Nic& n : node.nics)
    if (n.name == name) return &n;
  return nullptr;
}

TEST(TopologyDiscover, SysfsTree) {
  FakeSysfs sys;
  sys.dir("devices/system/node/node0");
  sys.dir("devices/system/node/node1");
  sys.file("devices/system/node/possible", "0-1");
  // mlx5_0: one active 400G port and one down; its IPoIB netdev ib0 is the same PCI function.
  sys.pci("0000:17:00.0", 1);
  sys.file("class/infiniband/mlx5_0/ports/1/rate", "400 Gb/sec (4X NDR)");
  sys.file("class/infiniband/mlx5_0/ports/1/state", "4: ACTIVE");
  sys.file("class/infiniband/mlx5_0/ports/2/rate", "200 Gb/sec (4X HDR)");
  sys.file("class/infiniband/mlx5_0/ports/2/state", "1: DOWN");
  sys.link("class/infiniband/mlx5_0/device", "devices/pci0000:00/0000:17:00.0");
  sys.netdev("ib0", "400000", "up", 32);
  sys.link("class/net/ib0/device", "devices/pci0000:00/0000:17:00.0");
  // mlx5_1: no ports directory at all.
  sys.dir("class/infiniband/mlx5_1");
  // A 100G Ethernet port, a virtio NIC below its PCI function, a virtual bridge, a down port, loopback.
  sys.pci("0000:3b:00.0", 0);
  sys.netdev("ens1", "100000", "up");
  sys.link("class/net/ens1/device", "devices/pci0000:00/0000:3b:00.0");
  sys.pci("0000:00:03.0/virtio2", -1);
  sys.netdev("eth0", "-1", "up");
  sys.link("class/net/eth0/device", "devices/pci0000:00/0000:00:03.0/virtio2");
  sys.netdev("br0", "", "unknown");
  sys.netdev("ens2", "25000", "down");
  sys.netdev("lo", "", "unknown", 772);
  sys.netdev("lo2", "", "unknown", 772);
  // A GPU the backend found, with the bus id in capitals.
  sys.file("bus/pci/devices/0000:af:00.0/numa_node", "1");

  Node node;
  node.gpus.push_back(Gpu{Vendor::Nvidia, 0, "0000:AF:00.0", -1});
  node.gpus.push_back(Gpu{Vendor::Nvidia, 1, "0000:b0:00.0", -1});  // not in sysfs: stays unknown
  node.gpus.push_back(Gpu{Vendor::Nvidia, 2, "", 0});                // known already: kept
  ASSERT_EQ(discoverFromSysfs(sys.root(), &node), Status::Success) << threadLastError();
  EXPECT_EQ(node.numaNodes, 2);
  EXPECT_EQ(node.gpus[0].numaNode, 1);
  EXPECT_EQ(node.gpus[1].numaNode, -1);
  EXPECT_EQ(node.gpus[2].numaNode, 0);

  // RDMA devices first, then netdevs, each in name order; ib0, ens2, lo and lo2 left out.
  ASSERT_EQ(node.nics.size(), 5u);
  EXPECT_EQ(node.nics[0].name, "mlx5_0");
  EXPECT_EQ(node.nics[1].name, "mlx5_1");
  EXPECT_EQ(node.nics[2].name, "br0");
  EXPECT_EQ(node.nics[3].name, "ens1");
  EXPECT_EQ(node.nics[4].name, "eth0");
  const Nic* mlx = findNic(node, "mlx5_0");
  EXPECT_TRUE(mlx->rdma);
  EXPECT_EQ(mlx->gbps, 400);
  EXPECT_EQ(mlx->pciBusId, "0000:17:00.0");
  EXPECT_EQ(mlx->numaNode, 1);
  EXPECT_EQ(findNic(node, "mlx5_1")->gbps, 0);
  const Nic* ens = findNic(node, "ens1");
  EXPECT_FALSE(ens->rdma);
  EXPECT_EQ(ens->gbps, 100);
  EXPECT_EQ(ens->pciBusId, "0000:3b:00.0");
  EXPECT_EQ(ens->numaNode, 0);
  const Nic* virtio = findNic(node, "eth0");
  EXPECT_EQ(virtio->gbps, 0);  // speed -1: unknown
  EXPECT_EQ(virtio->pciBusId, "0000:00:03.0");
  const Nic* bridge = findNic(node, "br0");
  EXPECT_EQ(bridge->gbps, 0);
  EXPECT_EQ(bridge->pciBusId, "");
  EXPECT_EQ(bridge->numaNode, -1);
  EXPECT_EQ(node.networkGbps(), 500);
  EXPECT_EQ(node.validate(), Status::Success);
}

TEST(TopologyDiscover, EmptyAndMissingTrees) {
  FakeSysfs sys;
  Node node;
  node.nics.push_back(Nic{"stale", 1, false, "", -1});
  ASSERT_EQ(discoverFromSysfs(sys.root(), &node), Status::Success);
  EXPECT_EQ(node.numaNodes, 1);
  EXPECT_TRUE(node.nics.empty());
  EXPECT_EQ(discoverFromSysfs(sys.root() + "/absent", &node), Status::SystemError);
}

TEST(TopologyDiscover, GarbageInSysfsIsTolerated) {
  FakeSysfs sys;
  sys.netdev("eth0", "fast", "up");
  sys.file("class/net/eth0/device/numa_node", "99999");
  sys.file("class/infiniband/x/ports/1/rate", "-400 Gb/sec");
  sys.file("class/infiniband/y/ports/1/rate", "1e300 Gb/sec");
  sys.dir("devices/system/node/nodeX");
  Node node;
  ASSERT_EQ(discoverFromSysfs(sys.root(), &node), Status::Success);
  EXPECT_EQ(node.numaNodes, 1);
  ASSERT_EQ(node.nics.size(), 3u);
  for (const Nic& n : node.nics) EXPECT_EQ(n.gbps, 0) << n.name;
  EXPECT_EQ(findNic(node, "eth0")->numaNode, -1);
  EXPECT_EQ(node.validate(), Status::Success);
}

TEST(TopologyDiscover, ThisMachine) {
  Node node;
  std::vector<Gpu> gpus = {Gpu{Vendor::Amd, 0, "", -1}};
  ASSERT_EQ(discoverLocalNode(&node, gpus), Status::Success) << threadLastError();
  EXPECT_FALSE(node.name.empty());
  EXPECT_GE(node.cores, 1);
  EXPECT_GE(node.numaNodes, 1);
  ASSERT_EQ(node.gpus.size(), 1u);
  EXPECT_EQ(node.gpus[0].vendor, Vendor::Amd);
  EXPECT_GT(node.intraGbps, 0);
  for (const Nic& n : node.nics) EXPECT_NE(n.name, "lo");
  EXPECT_EQ(node.validate(), Status::Success);

  Node back;
  ASSERT_EQ(decodeNode(encodeNode(node), &back), Status::Success) << threadLastError();
  EXPECT_EQ(encodeNode(back), encodeNode(node));

  Topology t = singleNodeTopology(node);
  EXPECT_EQ(t.validate(), Status::Success);
  ASSERT_EQ(t.nranks(), 1);
  EXPECT_EQ(t.ranks[0].gpu, 0);
  node.gpus.clear();
  t = singleNodeTopology(node);
  ASSERT_EQ(t.nranks(), 1);
  EXPECT_EQ(t.ranks[0].gpu, -1);
  Topology parsed;
  ASSERT_EQ(parseTopology(topologyToJson(t), &parsed), Status::Success) << threadLastError();
  EXPECT_FALSE(topologyToText(t).empty());
}

// Sets an environment variable for one test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) { setenv(name, value.c_str(), 1); }
  ~ScopedEnv() { unsetenv(name_); }

 private:
  const char* name_;
};

std::string examplePath(const std::string& name) {
  std::string file = __FILE__;
  return file.substr(0, file.rfind("/tests/unit/")) + "/topologies/" + name;
}

TEST(TopologyDiscover, LoadOrDiscoverDiscoversByDefault) {
  Topology t;
  bool fromFile = true;
  ASSERT_EQ(loadOrDiscover("", 8, {}, &t, &fromFile), Status::Success) << threadLastError();
  EXPECT_FALSE(fromFile);
  ASSERT_EQ(t.nodes.size(), 1u);
  EXPECT_TRUE(t.ranks.empty());
  EXPECT_GE(t.nodes[0].cores, 1);
}

TEST(TopologyDiscover, LoadOrDiscoverReadsTheTopologyFile) {
  const std::string file = examplePath("netns-4.json");
  Topology t;
  bool fromFile = false;
  ASSERT_EQ(loadOrDiscover(file, 4, {}, &t, &fromFile), Status::Success) << threadLastError();
  EXPECT_TRUE(fromFile);
  EXPECT_EQ(t.nranks(), 4);
  EXPECT_EQ(loadOrDiscover(file, 3, {}, &t, &fromFile), Status::InvalidArgument);
  EXPECT_NE(threadLastError().find("describes 4 ranks, but the communicator has 3"), std::string::npos)
      << threadLastError();
  EXPECT_EQ(loadOrDiscover("/nonexistent.json", 4, {}, &t, &fromFile), Status::InvalidArgument);
}

TEST(TopologyDiscover, TheSettingsNameTheFiles) {
  ScopedEnv file("HCCL_TOPO_FILE", examplePath("netns-4.json"));
  ScopedEnv dump("HCCL_TOPO_DUMP_FILE", "/tmp/dump.json");
  const Config config = configFromEnvironment();
  EXPECT_EQ(config.topologyFile, examplePath("netns-4.json"));
  EXPECT_EQ(config.topologyDumpFile, "/tmp/dump.json");
}

TEST(TopologyDiscover, NcclTopoFileIsNotOurs) {
  // NCCL_TOPO_FILE is NCCL's XML: hccl must not try to read it as its own.
  ScopedEnv nccl("NCCL_TOPO_FILE", "/some/nccl.xml");
  unsetenv("HCCL_TOPO_FILE");
  EXPECT_EQ(configFromEnvironment().topologyFile, "");
}

TEST(TopologyDiscover, DumpWritesWhatWasUsed) {
  Topology t;
  ASSERT_EQ(loadTopologyFile(examplePath("hetero-128.json"), &t), Status::Success);
  EXPECT_EQ(dumpTopology("", t), Status::Success);  // nothing asked: nothing written
  std::string path = testing::TempDir() + "/hccl_topo_dump_" + std::to_string(getpid()) + ".json";
  ASSERT_EQ(dumpTopology(path, t), Status::Success);
  Topology back;
  ASSERT_EQ(loadTopologyFile(path, &back), Status::Success) << threadLastError();
  EXPECT_EQ(topologyToJson(back), topologyToJson(t));
  std::remove(path.c_str());
  EXPECT_EQ(dumpTopology("/nonexistent/dir/dump.json", t), Status::SystemError);
}

}  // namespace
}  // namespace hccl::topo
