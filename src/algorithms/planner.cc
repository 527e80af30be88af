#include "algorithms/planner.h"

#include <strings.h>

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
    case Algorithm::Tree: return "tree";
    case Algorithm::HalvingDoubling: return "halving-doubling";
    case Algorithm::Hierarchical: return "hierarchical";
    case Algorithm::Weighted: return "weighted";
  }
  return "?";
}

bool parseAlgorithm(const std::string& name, Algorithm* out) {
  static const struct {
    const char* name;
    Algorithm algorithm;
  } kNames[] = {{"ring", Algorithm::Ring},
                {"tree", Algorithm::Tree},
                {"rd", Algorithm::RecursiveDoubling},
                {"recursive_doubling", Algorithm::RecursiveDoubling},
                {"recursive-doubling", Algorithm::RecursiveDoubling},
                {"rhd", Algorithm::HalvingDoubling},
                {"halving_doubling", Algorithm::HalvingDoubling},
                {"halving-doubling", Algorithm::HalvingDoubling},
                {"hierarchical", Algorithm::Hierarchical},
                {"weighted", Algorithm::Weighted}};
  for (const auto& entry : kNames)
    if (strcasecmp(name.c_str(), entry.name) == 0) {
      *out = entry.algorithm;
      return true;
    }
  return false;
}

namespace {

Plan planAllReduce(const CollArgs& args) {
  Algorithm algorithm = args.algorithm;
  if (algorithm == Algorithm::Auto)
    algorithm = args.count * args.elemSize <= args.recursiveDoublingMaxBytes ? Algorithm::RecursiveDoubling
                                                                              : Algorithm::Ring;
  switch (algorithm) {
    case Algorithm::RecursiveDoubling: return planRecursiveDoublingAllReduce(args);
    case Algorithm::Tree: return planTreeAllReduce(args);
    case Algorithm::HalvingDoubling: return planHalvingDoublingAllReduce(args);
    case Algorithm::Hierarchical: return planHierarchicalAllReduce(args);
    case Algorithm::Weighted: return planWeightedAllReduce(args);
    case Algorithm::Auto:
    case Algorithm::Ring: break;
  }
  return planRingAllReduce(args);
}

}  // namespace

Plan planCollective(const CollArgs& args) {
  switch (args.kind) {
    case CollKind::AllReduce: return planAllReduce(args);
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
