#include "topology/device_runs.h"

namespace hccl::topo {

bool countPrefix(const std::string& name, std::string* prefix) {
  if (name.empty() || name.back() != '0') return false;
  *prefix = name.substr(0, name.size() - 1);
  return true;
}

std::vector<DeviceRun> findGpuRuns(const std::vector<Gpu>& gpus) {
  std::vector<DeviceRun> runs;
  for (size_t i = 0; i < gpus.size();) {
    const Gpu& a = gpus[i];
    size_t j = i + 1;
    while (a.pciBusId.empty() && j < gpus.size() && gpus[j].vendor == a.vendor && gpus[j].numaNode == a.numaNode &&
           gpus[j].pciBusId.empty() && gpus[j].index == a.index + static_cast<int>(j - i))
      ++j;
    runs.push_back(DeviceRun{i, j - i, ""});
    i = j;
  }
  return runs;
}

std::vector<DeviceRun> findNicRuns(const std::vector<Nic>& nics) {
  std::vector<DeviceRun> runs;
  for (size_t i = 0; i < nics.size();) {
    const Nic& a = nics[i];
    DeviceRun run{i, 1, ""};
    if (a.pciBusId.empty() && countPrefix(a.name, &run.prefix)) {
      for (size_t j = i + 1; j < nics.size(); ++j) {
        const Nic& b = nics[j];
        if (b.name != run.prefix + std::to_string(j - i) || b.gbps != a.gbps || b.rdma != a.rdma ||
            b.numaNode != a.numaNode || !b.pciBusId.empty())
          break;
        ++run.count;
      }
    }
    runs.push_back(run);
    i += run.count;
  }
  return runs;
}

}  // namespace hccl::topo
