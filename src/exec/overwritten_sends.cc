#include "exec/overwritten_sends.h"

#include <algorithm>
#include <utility>

namespace hccl {

std::vector<bool> overwrittenSends(std::span<Operation* const> ops) {
  std::vector<std::pair<const char*, const char*>> written;  // receive ranges, sorted by start
  for (const Operation* o : ops)
    if (o->args.kind == CollKind::Recv && o->args.count > 0)
      written.emplace_back(o->recv, o->recv + o->args.count * o->args.elemSize);
  if (written.empty()) return {};
  std::sort(written.begin(), written.end());
  std::vector<bool> out(ops.size(), false);
  for (size_t i = 0; i < ops.size(); ++i) {
    const Operation* o = ops[i];
    if (o->args.kind != CollKind::Send || o->args.count == 0 || o->args.root == o->args.rank) continue;
    const char* begin = o->send;
    const char* end = begin + o->args.count * o->args.elemSize;
    // Ranges starting before `end` overlap the send when they end after its start.
    const auto last = std::lower_bound(written.begin(), written.end(), std::make_pair(end, end));
    out[i] = std::any_of(written.begin(), last, [&](const auto& r) { return r.second > begin; });
  }
  return out;
}

}  // namespace hccl
