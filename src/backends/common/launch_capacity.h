// How many blocks of a kernel a device runs at once: its processors (SMs, compute units) and the
// kernel's resident blocks per processor (the occupancy API). A plugin asks its runtime once per
// device and kernel, when the kernels are preloaded at init, and every launch reads the answer
// to cap its grid, with no runtime query on the way.
#pragma once

#include <map>
#include <mutex>
#include <utility>

namespace hccl {
namespace dev {

struct LaunchCapacity {
  int units = 0;
  int perUnit = 0;
};

class LaunchCapacities {
 public:
  // The capacity of `kernel` on `device`; `ask()` gives it the first time.
  template <class Ask>
  LaunchCapacity get(int device, const void* kernel, Ask&& ask) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto key = std::make_pair(device, kernel);
    auto it = table_.find(key);
    if (it == table_.end()) it = table_.emplace(key, ask()).first;
    return it->second;
  }

 private:
  std::mutex mutex_;
  std::map<std::pair<int, const void*>, LaunchCapacity> table_;
};

}  // namespace dev
}  // namespace hccl
