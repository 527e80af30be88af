#include "exec/comm_context.h"

#include <sched.h>

#include <algorithm>

namespace hccl {
namespace {

constexpr uint64_t kP2pTagBit = uint64_t{1} << 63;

}  // namespace

CommContext::CommContext(const Config& config, int rank, int nranks, Backend& backend)
    : config_(config), rank_(rank), nranks_(nranks), backend_(&backend), sendSeq_(nranks), recvSeq_(nranks) {}

CommContext::~CommContext() = default;

CpuMask currentCpus() {
  CpuMask mask{};
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return mask;
  for (int cpu = 0; cpu < static_cast<int>(mask.size() * 64) && cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &set)) mask[cpu / 64] |= uint64_t{1} << (cpu % 64);
  return mask;
}

// Oversubscribed: more ranks on this host than the CPUs that they may run on, together (a
// launcher that binds each rank to its own core leaves every rank one CPU, and none is
// oversubscribed).
void CommContext::setRanks(std::vector<RankInfo> ranks) {
  ranks_ = std::move(ranks);
  const uint64_t myHost = ranks_[rank_].hostHash;
  CpuMask together{};
  long localRanks = 0;
  for (const RankInfo& r : ranks_) {
    if (r.hostHash != myHost) continue;
    ++localRanks;
    const CpuMask mine = r.cpus == CpuMask{} ? currentCpus() : r.cpus;
    for (size_t w = 0; w < together.size(); ++w) together[w] |= mine[w];
  }
  long cores = 0;
  for (uint64_t w : together) cores += __builtin_popcountll(w);
  oversubscribed_ = localRanks > std::max(cores, 1L);
  anyDeviceRank_ = std::any_of(ranks_.begin(), ranks_.end(), [](const RankInfo& r) { return r.backend != BackendKind::Host; });
}

void CommContext::setMessengers(std::vector<std::unique_ptr<Messenger>> messengers) {
  messengers_ = std::move(messengers);
}

void CommContext::fail(Status error) {
  int expected = static_cast<int>(Status::Success);
  state_.compare_exchange_strong(expected, static_cast<int>(error), std::memory_order_acq_rel);
  for (auto& m : messengers_) {
    if (!m) continue;
    m->dropRequests();
    m->link().shutdown();
  }
}

uint64_t CommContext::nextCollectiveTag() {
  uint64_t seq = collectiveSeq_++ & 0x7fffffffu;
  return seq << 32;
}

uint64_t CommContext::nextSendTag(int peer) { return kP2pTagBit | ((sendSeq_[peer]++ & 0x7fffffffu) << 32); }

uint64_t CommContext::nextRecvTag(int peer) { return kP2pTagBit | ((recvSeq_[peer]++ & 0x7fffffffu) << 32); }

char* CommContext::scratch(size_t bytes) {
  if (scratch_.size() < bytes) scratch_.resize(bytes);
  return scratch_.data();
}

void CommContext::setLastError(const std::string& text) {
  std::lock_guard<std::mutex> lock(errorMutex_);
  lastError_ = text;
}

std::string CommContext::lastError() const {
  std::lock_guard<std::mutex> lock(errorMutex_);
  return lastError_;
}

}  // namespace hccl
