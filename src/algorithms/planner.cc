#include "algorithms/planner.h"

#include <cstdio>

#include "algorithms/schedules.h"

namespace hccl {

const char* collKindName(CollKind kind) {
  switch (kind) {
    case CollKind::AllReduce: return "AllReduce";
    case CollKind::AllGather: return "AllGather";
    case CollKind::ReduceScatter: return "ReduceScatter";
    case CollKind::Broadcast: return "Broadcast";
    case CollKind::Reduce: return "Reduce";
    case CollKind::AllToAll: return "AllToAll";
    case CollKind::Gather: return "Gather";
    case CollKind::Scatter: return "Scatter";
    case CollKind::Send: return "Send";
    case CollKind::Recv: return "Recv";
  }
  return "?";
}

const char* algorithmName(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::Auto: return "auto";
    case Algorithm::Ring: return "ring";
    case Algorithm::RecursiveDoubling: return "recursive-doubling";
  }
  return "?";
}

Plan planCollective(const CollArgs& args) {
  switch (args.kind) {
    case CollKind::AllReduce: {
      Algorithm algorithm = args.algorithm;
      if (algorithm == Algorithm::Auto)
        algorithm = args.count * args.elemSize <= args.recursiveDoublingMaxBytes ? Algorithm::RecursiveDoubling
                                                                                  : Algorithm::Ring;
      return algorithm == Algorithm::Ring ? planRingAllReduce(args) : planRecursiveDoublingAllReduce(args);
    }
    case CollKind::AllGather: return planRingAllGather(args);
    case CollKind::ReduceScatter: return planRingReduceScatter(args);
    case CollKind::Broadcast: return planChainBroadcast(args);
    case CollKind::Reduce: return planChainReduce(args);
    case CollKind::AllToAll: return planDirectAllToAll(args);
    case CollKind::Gather: return planDirectGather(args);
    case CollKind::Scatter: return planDirectScatter(args);
    case CollKind::Send: return planSend(args);
    case CollKind::Recv: return planRecv(args);
  }
  return {};
}

std::string Plan::describe() const {
  static const char* kBuffers[] = {"send", "recv", "scratch"};
  static const char* kKinds[] = {"copy", "send", "recv", "recvReduce"};
  std::string out;
  char line[160];
  for (size_t p = 0; p < phases.size(); ++p) {
    for (const Step& s : phases[p].steps) {
      const Region& r = s.kind == StepKind::Send ? s.src : s.dst;
      snprintf(line, sizeof(line), "phase %zu: %s peer=%d tag=%u %s+%zu", p,
               kKinds[static_cast<int>(s.kind)], s.peer, s.tag,
               kBuffers[static_cast<int>(r.buffer)], r.offset);
      out += line;
      if (s.kind == StepKind::Copy || s.kind == StepKind::RecvReduce) {
        snprintf(line, sizeof(line), " <- %s+%zu", kBuffers[static_cast<int>(s.src.buffer)], s.src.offset);
        out += line;
      }
      snprintf(line, sizeof(line), " bytes=%zu\n", s.bytes);
      out += line;
    }
  }
  return out;
}

}  // namespace hccl
