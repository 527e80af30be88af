#include "topology/discover.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "base/log.h"
#include "topology/topology_file.h"
#include "topology/topology_writer.h"

#ifdef HCCL_HAVE_HWLOC
#include <hwloc.h>
#endif

namespace hccl::topo {
namespace {

namespace fs = std::filesystem;

// The first line of a small sysfs file, or "" when it cannot be read (many attributes of
// virtual devices fail with EINVAL on read).
std::string readLine(const fs::path& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return "";
  return line;
}

int readInt(const fs::path& path, int fallback) {
  std::string text = readLine(path);
  char* end = nullptr;
  long value = std::strtol(text.c_str(), &end, 10);
  return text.empty() || end == text.c_str() ? fallback : static_cast<int>(value);
}

// "0000:17:00.0": domain, bus, device (hex) and function.
bool isPciBusId(const std::string& name) {
  unsigned domain = 0, bus = 0, device = 0, function = 0;
  int length = 0;
  return name.size() >= 12 && sscanf(name.c_str(), "%x:%2x:%2x.%1u%n", &domain, &bus, &device, &function, &length) == 4 &&
         static_cast<size_t>(length) == name.size() && name[name.size() - 8] == ':';
}

// The PCI function behind a class device: the last PCI-looking directory on its device path
// (a virtio NIC sits one level below its PCI function).
std::string pciBusIdOf(const fs::path& deviceLink) {
  std::error_code ec;
  fs::path target = fs::canonical(deviceLink, ec);
  if (ec) target = fs::read_symlink(deviceLink, ec);
  if (ec) return "";
  std::string found;
  for (const fs::path& part : target)
    if (isPciBusId(part.string())) found = part.string();
  return found;
}

std::vector<std::string> sortedEntries(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    names.push_back(it->path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

int countNumaNodes(const fs::path& root) {
  int count = 0;
  for (const std::string& name : sortedEntries(root / "devices/system/node"))
    count += name.size() > 4 && name.compare(0, 4, "node") == 0 &&
             name.find_first_not_of("0123456789", 4) == std::string::npos;
  return std::max(count, 1);
}

// "400 Gb/sec (4X NDR)" → 400, summed over ports that are active (or say nothing of their state).
double rdmaRate(const fs::path& device) {
  double total = 0;
  for (const std::string& port : sortedEntries(device / "ports")) {
    std::string state = readLine(device / "ports" / port / "state");
    if (!state.empty() && state.find("ACTIVE") == std::string::npos) continue;
    std::string rate = readLine(device / "ports" / port / "rate");
    double gbps = std::strtod(rate.c_str(), nullptr);
    if (gbps > 0 && gbps <= kMaxGbps) total += gbps;
  }
  return total;
}

void discoverRdma(const fs::path& root, Node* node) {
  fs::path cls = root / "class/infiniband";
  for (const std::string& name : sortedEntries(cls)) {
    Nic nic;
    nic.name = name;
    nic.rdma = true;
    nic.gbps = rdmaRate(cls / name);
    nic.pciBusId = pciBusIdOf(cls / name / "device");
    nic.numaNode = readInt(cls / name / "device/numa_node", -1);
    node->nics.push_back(nic);
  }
}

void discoverNetdevs(const fs::path& root, Node* node) {
  constexpr int kArphrdLoopback = 772;  // /sys/class/net/X/type of a loopback device
  std::vector<std::string> rdmaFunctions;
  for (const Nic& n : node->nics)
    if (n.rdma && !n.pciBusId.empty()) rdmaFunctions.push_back(n.pciBusId);
  fs::path cls = root / "class/net";
  for (const std::string& name : sortedEntries(cls)) {
    fs::path dir = cls / name;
    if (name == "lo" || readInt(dir / "type", 0) == kArphrdLoopback) continue;
    if (readLine(dir / "operstate") == "down") continue;
    Nic nic;
    nic.name = name;
    nic.pciBusId = pciBusIdOf(dir / "device");
    if (!nic.pciBusId.empty() &&
        std::find(rdmaFunctions.begin(), rdmaFunctions.end(), nic.pciBusId) != rdmaFunctions.end())
      continue;
    // Mb/s; virtual devices report -1 or refuse the read: unknown, kept as 0.
    int mbps = readInt(dir / "speed", -1);
    nic.gbps = mbps > 0 ? std::min(mbps / 1000.0, kMaxGbps) : 0;
    nic.numaNode = readInt(dir / "device/numa_node", -1);
    node->nics.push_back(nic);
  }
}

void clampNuma(int* numaNode) {
  if (*numaNode < -1 || *numaNode >= kMaxDevicesPerNode) *numaNode = -1;
}

#ifdef HCCL_HAVE_HWLOC
// hwloc knows the NUMA node of a PCI device from its bridge's CPU locality where the firmware
// leaves sysfs numa_node at -1, and counts only the NUMA nodes this process may use.
int hwlocNumaOf(hwloc_topology_t topology, hwloc_obj_t object) {
  hwloc_obj_t ancestor = hwloc_get_non_io_ancestor_obj(topology, object);
  if (ancestor == nullptr || ancestor->nodeset == nullptr || hwloc_bitmap_weight(ancestor->nodeset) != 1) return -1;
  return hwloc_bitmap_first(ancestor->nodeset);
}

void refineWithHwloc(Node* node) {
  hwloc_topology_t topology;
  if (hwloc_topology_init(&topology) != 0) return;
  hwloc_topology_set_io_types_filter(topology, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
  // Its GPU plugins would initialise vendor runtimes (or open an X display) inside the
  // communicator's process; GPUs come from hccl's own backends instead.
  for (const char* plugin : {"cuda", "nvml", "opencl", "rsmi", "levelzero", "gl", "pci"})
    hwloc_topology_set_components(topology, HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST, plugin);
  if (hwloc_topology_load(topology) != 0) {
    hwloc_topology_destroy(topology);
    return;
  }
  int numa = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_NUMANODE);
  if (numa > 0) node->numaNodes = std::min(numa, kMaxDevicesPerNode);
  for (hwloc_obj_t os = hwloc_get_next_osdev(topology, nullptr); os != nullptr; os = hwloc_get_next_osdev(topology, os)) {
    for (Nic& nic : node->nics)
      if (os->name != nullptr && nic.name == os->name && nic.numaNode < 0) nic.numaNode = hwlocNumaOf(topology, os);
  }
  for (Gpu& gpu : node->gpus) {
    if (gpu.numaNode >= 0 || gpu.pciBusId.empty()) continue;
    if (hwloc_obj_t pci = hwloc_get_pcidev_by_busidstring(topology, gpu.pciBusId.c_str()))
      gpu.numaNode = hwlocNumaOf(topology, pci);
  }
  hwloc_topology_destroy(topology);
}
#endif

}  // namespace

Status discoverFromSysfs(const std::string& sysRoot, Node* out) {
  fs::path root(sysRoot);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return fail(Status::SystemError, "topology discovery: %s is not a directory", sysRoot.c_str());
  out->numaNodes = std::min(countNumaNodes(root), kMaxDevicesPerNode);
  out->nics.clear();
  discoverRdma(root, out);
  discoverNetdevs(root, out);
  if (out->nics.size() > static_cast<size_t>(kMaxDevicesPerNode)) out->nics.resize(static_cast<size_t>(kMaxDevicesPerNode));
  for (Nic& nic : out->nics) clampNuma(&nic.numaNode);
  for (Gpu& gpu : out->gpus) {
    if (gpu.numaNode >= 0 || gpu.pciBusId.empty()) continue;
    // sysfs spells bus ids in lower case.
    std::string id = gpu.pciBusId;
    std::transform(id.begin(), id.end(), id.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    gpu.numaNode = readInt(root / "bus/pci/devices" / id / "numa_node", -1);
    clampNuma(&gpu.numaNode);
  }
  return Status::Success;
}

Status discoverLocalNode(Node* out, const std::vector<Gpu>& gpus) {
  Node node;
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) snprintf(host, sizeof(host), "localhost");
  node.name = host;
  cpu_set_t cpus;
  node.cores = sched_getaffinity(0, sizeof(cpus), &cpus) == 0 ? CPU_COUNT(&cpus) : static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  node.gpus = gpus;
  HCCL_TRY(discoverFromSysfs("/sys", &node));
#ifdef HCCL_HAVE_HWLOC
  refineWithHwloc(&node);
#endif
  node.intraGbps = kEstimatedSharedMemoryGbps;
  node.intraLatencyUs = kEstimatedSharedMemoryLatencyUs;
  HCCL_TRY(node.validate());
  HCCL_INFO(Graph, "topology: node %s, %d cores, %d NUMA, %zu GPUs, %zu NICs, %g Gb/s network", node.name.c_str(),
            node.cores, node.numaNodes, node.gpus.size(), node.nics.size(), node.networkGbps());
  *out = std::move(node);
  return Status::Success;
}

Topology singleNodeTopology(Node node) {
  Topology t;
  int gpus = static_cast<int>(node.gpus.size());
  if (gpus == 0) t.ranks.push_back(RankPlace{0, -1});
  for (int g = 0; g < gpus; ++g) t.ranks.push_back(RankPlace{0, g});
  t.nodes.push_back(std::move(node));
  t.networkLatencyUs = kEstimatedNetworkLatencyUs;
  return t;
}

Status loadOrDiscover(const std::string& path, int nranks, const std::vector<Gpu>& localGpus, Topology* out,
                      bool* fromFile) {
  *fromFile = !path.empty();
  if (path.empty()) {
    Node node;
    HCCL_TRY(discoverLocalNode(&node, localGpus));
    *out = Topology{};
    out->nodes.push_back(std::move(node));
    out->networkLatencyUs = kEstimatedNetworkLatencyUs;
    return Status::Success;
  }
  Topology t;
  HCCL_TRY(loadTopologyFile(path, &t));
  if (t.nranks() != nranks)
    return reject(Status::InvalidArgument, "HCCL_TOPO_FILE %s describes %d ranks, but the communicator has %d",
                  path.c_str(), t.nranks(), nranks);
  HCCL_INFO(Graph, "topology: %zu nodes, %d ranks from HCCL_TOPO_FILE %s", t.nodes.size(), t.nranks(), path.c_str());
  *out = std::move(t);
  return Status::Success;
}

Status dumpTopology(const std::string& path, const Topology& topology) {
  if (path.empty()) return Status::Success;
  std::ofstream file(path, std::ios::trunc);
  file << topologyToJson(topology);
  file.close();
  if (!file) return fail(Status::SystemError, "cannot write HCCL_TOPO_DUMP_FILE %s", path.c_str());
  HCCL_INFO(Graph, "topology written to %s", path.c_str());
  return Status::Success;
}

}  // namespace hccl::topo
