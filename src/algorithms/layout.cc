#include "algorithms/layout.h"

#include <algorithm>

#include "algorithms/planner.h"

namespace hccl {

std::vector<std::vector<int>> nodeGroups(const CollArgs& args) {
  if (args.layout != nullptr && !args.layout->nodes.empty()) return args.layout->nodes;
  std::vector<int> all(static_cast<size_t>(args.nranks));
  for (int r = 0; r < args.nranks; ++r) all[r] = r;
  return {all};
}

std::vector<int> ringOrder(const CollArgs& args, int channel) {
  std::vector<int> order;
  order.reserve(static_cast<size_t>(args.nranks));
  for (const std::vector<int>& node : nodeGroups(args)) {
    const size_t k = node.size(), shift = static_cast<size_t>(channel) % k;
    for (size_t i = 0; i < k; ++i) order.push_back(node[(i + shift) % k]);
  }
  return order;
}

int positionOf(const std::vector<int>& order, int rank) {
  auto it = std::find(order.begin(), order.end(), rank);
  return it == order.end() ? -1 : static_cast<int>(it - order.begin());
}

}  // namespace hccl
