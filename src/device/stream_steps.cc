#include "device/stream_steps.h"

#include <algorithm>

namespace hccl {

std::vector<Status> emitInterleaved(const std::vector<StreamSteps*>& lists) {
  size_t longest = 0;
  for (const StreamSteps* l : lists) longest = std::max(longest, l->size());
  std::vector<Status> outcome(lists.size(), Status::Success);
  for (size_t k = 0; k < longest; ++k)
    for (size_t i = 0; i < lists.size(); ++i)
      if (!failed(outcome[i]) && k < lists[i]->size()) outcome[i] = (*lists[i])[k]();
  return outcome;
}

}  // namespace hccl
