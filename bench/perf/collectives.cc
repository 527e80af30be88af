// nccl-tests' definitions, one entry per collective (src/<coll>.cu's GetCollByteCount, GetBw,
// RunColl), so hccl-perf's numbers compare line for line with nccl-tests' on NCCL.
#include "collectives.h"

#include <array>
#include <cstring>
#include <string>

namespace hccl::perf {
namespace {

// Per-rank chunk of a size split over ranks, rounded down to 16 bytes as nccl-tests does.
size_t chunk(size_t count, size_t eltSize, int nranks) {
  size_t align = 16 / eltSize;
  return (count / nranks) & ~(align - 1);
}

Counts whole(size_t count, size_t, int) { return {count, count, count, 0, 0}; }
Counts gathered(size_t count, size_t elt, int n) {  // all_gather, gather
  size_t base = chunk(count, elt, n);
  return {base, base * n, base, base, 0};
}
Counts scattered(size_t count, size_t elt, int n) {  // reduce_scatter, scatter
  size_t base = chunk(count, elt, n);
  return {base * n, base, base, 0, base};
}
Counts allToAll(size_t count, size_t elt, int n) {
  size_t base = chunk(count, elt, n);
  return {base * n, base * n, base, 0, 0};
}

double one(int) { return 1.0; }
double ranks(int n) { return n; }
double allReduceBus(int n) { return 2.0 * (n - 1) / n; }
double spreadBus(int n) { return double(n - 1) / n; }

ncclResult_t runAllReduce(const void* s, void* r, size_t c, ncclDataType_t t, ncclRedOp_t op, int,
                          int, int, ncclComm_t comm, cudaStream_t stream) {
  return ncclAllReduce(s, r, c, t, op, comm, stream);
}
ncclResult_t runAllGather(const void* s, void* r, size_t c, ncclDataType_t t, ncclRedOp_t, int,
                          int, int, ncclComm_t comm, cudaStream_t stream) {
  return ncclAllGather(s, r, c, t, comm, stream);
}
ncclResult_t runReduceScatter(const void* s, void* r, size_t c, ncclDataType_t t, ncclRedOp_t op,
                              int, int, int, ncclComm_t comm, cudaStream_t stream) {
  return ncclReduceScatter(s, r, c, t, op, comm, stream);
}
ncclResult_t runBroadcast(const void* s, void* r, size_t c, ncclDataType_t t, ncclRedOp_t,
                          int root, int, int, ncclComm_t comm, cudaStream_t stream) {
  return ncclBroadcast(s, r, c, t, root, comm, stream);
}
ncclResult_t runReduce(const void* s, void* r, size_t c, ncclDataType_t t, ncclRedOp_t op,
                       int root, int, int, ncclComm_t comm, cudaStream_t stream) {
  return ncclReduce(s, r, c, t, op, root, comm, stream);
}
ncclResult_t runAlltoAll(const void* s, void* r, size_t c, ncclDataType_t t, ncclRedOp_t, int,
                         int, int, ncclComm_t comm, cudaStream_t stream) {
  return ncclAlltoAll(s, r, c, t, comm, stream);
}
ncclResult_t runGather(const void* s, void* r, size_t c, ncclDataType_t t, ncclRedOp_t, int root,
                       int, int, ncclComm_t comm, cudaStream_t stream) {
  return ncclGather(s, r, c, t, root, comm, stream);
}
ncclResult_t runScatter(const void* s, void* r, size_t c, ncclDataType_t t, ncclRedOp_t, int root,
                        int, int, ncclComm_t comm, cudaStream_t stream) {
  return ncclScatter(s, r, c, t, root, comm, stream);
}
// nccl-tests' sendrecv: each rank sends to rank+1 and receives from rank-1, in one group.
ncclResult_t runSendRecv(const void* s, void* r, size_t c, ncclDataType_t t, ncclRedOp_t, int,
                         int rank, int n, ncclComm_t comm, cudaStream_t stream) {
  ncclResult_t res = ncclGroupStart();
  if (res != ncclSuccess) return res;
  ncclResult_t sres = ncclSend(s, c, t, (rank + 1) % n, comm, stream);
  ncclResult_t rres = ncclRecv(r, c, t, (rank - 1 + n) % n, comm, stream);
  res = ncclGroupEnd();  // always close the group, even when a call inside failed
  if (sres != ncclSuccess) return sres;
  if (rres != ncclSuccess) return rres;
  return res;
}

// What each rank's output element k must hold. `c` holds this size's counts.
Source srcAllReduce(size_t k, const Counts&, int, int, int) { return {Source::Reduce, 0, k}; }
Source srcReduce(size_t k, const Counts&, int rank, int, int root) {
  if (rank != root) return {};
  return {Source::Reduce, 0, k};
}
Source srcReduceScatter(size_t k, const Counts& c, int rank, int, int) {
  return {Source::Reduce, 0, rank * c.param + k};
}
Source srcBroadcast(size_t k, const Counts&, int, int, int root) { return {Source::Copy, root, k}; }
Source srcAllGather(size_t k, const Counts& c, int, int, int) {
  return {Source::Copy, int(k / c.param), k % c.param};
}
Source srcGather(size_t k, const Counts& c, int rank, int, int root) {
  if (rank != root) return {};
  return {Source::Copy, int(k / c.param), k % c.param};
}
Source srcScatter(size_t k, const Counts& c, int rank, int, int root) {
  return {Source::Copy, root, rank * c.param + k};
}
Source srcAlltoAll(size_t k, const Counts& c, int rank, int, int) {
  return {Source::Copy, int(k / c.param), rank * c.param + k % c.param};
}
Source srcSendRecv(size_t k, const Counts&, int rank, int n, int) {
  return {Source::Copy, (rank - 1 + n) % n, k};
}

// clang-format off
const std::array<Collective, 9> kCollectives{{
  // name            aliases          api                  op     root   counts     alg    bus           run               output
  {"all_reduce",     "allreduce",     "ncclAllReduce",     true,  false, whole,     one,   allReduceBus, runAllReduce,     srcAllReduce},
  {"all_gather",     "allgather",     "ncclAllGather",     false, false, gathered,  ranks, spreadBus,    runAllGather,     srcAllGather},
  {"reduce_scatter", "reducescatter", "ncclReduceScatter", true,  false, scattered, ranks, spreadBus,    runReduceScatter, srcReduceScatter},
  {"broadcast",      "bcast",         "ncclBroadcast",     false, true,  whole,     one,   one,          runBroadcast,     srcBroadcast},
  {"reduce",         "",              "ncclReduce",        true,  true,  whole,     one,   one,          runReduce,        srcReduce},
  {"alltoall",       "all_to_all",    "ncclAlltoAll",      false, false, allToAll,  ranks, spreadBus,    runAlltoAll,      srcAlltoAll},
  {"gather",         "",              "ncclGather",        false, true,  gathered,  ranks, spreadBus,    runGather,        srcGather},
  {"scatter",        "",              "ncclScatter",       false, true,  scattered, ranks, spreadBus,    runScatter,       srcScatter},
  {"sendrecv",       "send_recv",     "ncclSend/ncclRecv", false, false, whole,     one,   one,          runSendRecv,      srcSendRecv},
}};
// clang-format on

bool matches(const Collective& c, std::string_view name) {
  if (name == c.name) return true;
  std::string_view aliases = c.aliases;
  while (!aliases.empty()) {
    size_t space = aliases.find(' ');
    if (aliases.substr(0, space) == name) return true;
    if (space == std::string_view::npos) break;
    aliases.remove_prefix(space + 1);
  }
  return false;
}

}  // namespace

const Collective* findCollective(std::string_view name) {
  constexpr std::string_view kSuffix = "_perf";  // nccl-tests' binary names: all_reduce_perf
  if (name.size() > kSuffix.size() && name.substr(name.size() - kSuffix.size()) == kSuffix)
    name.remove_suffix(kSuffix.size());
  for (const Collective& c : kCollectives)
    if (matches(c, name)) return &c;
  return nullptr;
}

const char* collectiveNames() {
  static const std::string names = [] {
    std::string s;
    for (const Collective& c : kCollectives) s += (s.empty() ? "" : " ") + std::string(c.name);
    return s;
  }();
  return names.c_str();
}

}  // namespace hccl::perf
