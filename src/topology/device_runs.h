// Runs of alike devices in a node (consecutive GPUs of one vendor and NUMA node, NICs named
// prefix0, prefix1, ... of one speed), which the JSON writer writes as one entry with a count and
// the pictures draw as one box.
#pragma once

#include <string>
#include <vector>

#include "topology/topology.h"

namespace hccl::topo {

struct DeviceRun {
  size_t first = 0;
  size_t count = 1;
  std::string prefix;  // NICs: the name the run's names count up from
};

std::vector<DeviceRun> findGpuRuns(const std::vector<Gpu>& gpus);
std::vector<DeviceRun> findNicRuns(const std::vector<Nic>& nics);

// The prefix that name + 0, 1, 2... would expand from, when `name` ends in 0.
bool countPrefix(const std::string& name, std::string* prefix);

}  // namespace hccl::topo
