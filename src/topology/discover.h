// What this machine is made of, and where the communicator's topology comes from at init.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "topology/topology.h"

namespace hccl::topo {

// Discovery cannot measure links; these are what it assumes until someone measures or a topology
// file says otherwise. Shared memory: one core's memcpy stream. Network: a TCP round trip's half.
inline constexpr double kEstimatedSharedMemoryGbps = 100;
inline constexpr double kEstimatedSharedMemoryLatencyUs = 1;
inline constexpr double kEstimatedNetworkLatencyUs = 20;

// This machine: host name, usable cores (sched_getaffinity), NUMA nodes, NICs with line rate,
// PCI bus id and NUMA node, and estimated intra-node links. hwloc refines NUMA locality where
// hccl was built with it. GPUs come from the device backends: pass the ones the caller found;
// discovery fills in the NUMA node of those that have a PCI bus id but no NUMA node.
Status discoverLocalNode(Node* out, const std::vector<Gpu>& gpus = {});

// The part of discovery that reads sysfs, rooted at `sysRoot` ("/sys"; tests pass a fake tree).
// Sets numaNodes and nics, and the NUMA node of out->gpus that lack one. NICs: RDMA devices
// (class/infiniband, rate summed over active ports), then netdevs (class/net, speed in Mb/s)
// except loopback, interfaces that are down, and netdevs on the PCI function of an RDMA device
// (the same port, counted once). A speed the kernel does not know is 0 (unknown).
Status discoverFromSysfs(const std::string& sysRoot, Node* out);

// A topology of one node holding one rank per GPU, or a single CPU rank when it has none.
Topology singleNodeTopology(Node node);

// At communicator init. With a topology file (HCCL_TOPO_FILE), *out is that file's topology,
// which must hold `nranks` ranks, and *fromFile is true. Without one (empty path), *out holds one
// node, this machine, and no ranks, and *fromFile is false: the caller exchanges
// encodeNode(out->nodes[0]) with its peers and assembles the cluster.
Status loadOrDiscover(const std::string& topologyFile, int nranks, const std::vector<Gpu>& localGpus, Topology* out,
                      bool* fromFile);

// Writes `topology` to `path` as JSON (HCCL_TOPO_DUMP_FILE); nothing when the path is empty.
Status dumpTopology(const std::string& path, const Topology& topology);

}  // namespace hccl::topo
