// The data movement of device-to-device calls (device_direct.h): the one phase of a mapped call,
// and the phases of a call through device scratch, piece by piece.
#include "device/ipc_path.h"

#include <algorithm>

#include "backends/device_backend.h"
#include "base/error.h"

namespace hccl {

Status IpcPath::copy(void* dst, const void* src, size_t bytes) {
  if (bytes == 0 || dst == src) return Status::Success;
  return device_.copyAsync(dst, src, bytes, stream_, "device-direct copy");
}

Status IpcPath::reduceInto(Operation& o, char* dst, char* dst2, const std::vector<const char*>& sources,
                                size_t count) {
  if (count == 0) return Status::Success;
  if (o.preMultiply)
    for (const char* s : sources) HCCL_TRY(device_.scaleAsync(const_cast<char*>(s), s, count, o.type, o.scalar, stream_));
  if (sources.size() == 1) {
    HCCL_TRY(copy(dst, sources[0], count * o.args.elemSize));
    if (dst2 != nullptr) HCCL_TRY(copy(dst2, sources[0], count * o.args.elemSize));
  }
  for (size_t k = 1; k < sources.size(); ++k) {
    const char* a = k == 1 ? sources[0] : dst;
    char* second = k + 1 == sources.size() ? dst2 : nullptr;
    HCCL_TRY(device_.reduceAsync(dst, second, a, sources[k], count, o.type, o.op, stream_));
  }
  if (o.average && o.args.nranks > 1)
    HCCL_TRY(device_.divideAsync(dst, count, o.type, o.args.nranks, stream_));
  return Status::Success;
}

// ---- mapped calls ---------------------------------------------------------------------------

// One phase on the mapped buffers; all ranks' inputs are ready (every rank has reached the call)
// and nobody reads an output before the closing barrier.
Status IpcPath::runMapped(Operation& o) {
  const int n = o.args.nranks, me = o.args.rank, root = o.args.root;
  const size_t es = o.args.elemSize, count = o.args.count, bytes = count * es;
  const std::vector<const char*>& in = peerSend_;
  const std::vector<char*>& out = peerRecv_;
  // Sources in rank order starting at `first`, whose input may be the destination (in place).
  auto sourcesFrom = [&](int first, size_t at) {
    std::vector<const char*> sources(n);
    for (int k = 0; k < n; ++k) sources[k] = in[(first + k) % n] + at;
    return sources;
  };
  Status s = Status::Success;
  switch (o.args.kind) {
    case CollKind::AllReduce: case CollKind::Reduce: {
      const bool all = o.args.kind == CollKind::AllReduce;
      const size_t chunk = (count + n - 1) / n, begin = std::min(count, me * chunk);
      const size_t len = std::min(count, begin + chunk) - begin, at = begin * es;
      char* dst = (all ? out[me] : out[root]) + at;
      // Two ranks: one pass writes both outputs (not with Avg, which divides afterwards).
      char* dst2 = all && n == 2 && !o.average ? out[1 - me] + at : nullptr;
      s = reduceInto(o, dst, dst2, sourcesFrom(all ? me : root, at), len);
      for (int j = 0; j < n && all && dst2 == nullptr && !failed(s); ++j)
        if (j != me) s = copy(out[j] + at, dst, len * es);
      break;
    }
    case CollKind::ReduceScatter:
      s = reduceInto(o, out[me], nullptr, sourcesFrom(me, me * bytes), count);
      break;
    case CollKind::AllGather:
      for (int j = 0; j < n && !failed(s); ++j) s = copy(out[j] + me * bytes, in[me], bytes);
      break;
    case CollKind::Broadcast: s = copy(out[me], in[root], bytes); break;
    case CollKind::Gather: s = copy(out[root] + me * bytes, in[me], bytes); break;
    case CollKind::Scatter: s = copy(out[me], in[root] + me * bytes, bytes); break;
    case CollKind::AllToAll:
      for (int j = 0; j < n && !failed(s); ++j) s = copy(out[j] + me * bytes, in[me] + j * bytes, bytes);
      break;
    case CollKind::Send: case CollKind::Recv: return fail(Status::InternalError, "direct path given a send or receive");
  }
  return phaseEnd(o, s);
}

// ---- scratch calls --------------------------------------------------------------------------

// AllReduce and Reduce: the piece is cut into one chunk per rank; each rank pushes chunk j of
// its input to rank j, which reduces its chunk into its output region; ranks that deliver pull
// every chunk from its owner.
Status IpcPath::allReduce(Operation& o, const Piece& p, bool deliver) {
  const int n = o.args.nranks, me = o.args.rank;
  const size_t es = o.args.elemSize;
  const size_t chunk = (p.elems + n - 1) / n, stride = slotBytes(chunk * es);
  auto range = [&](int j) {
    const size_t begin = std::min(p.elems, j * chunk);
    return std::make_pair(begin, std::min(p.elems, begin + chunk) - begin);
  };
  Status s = Status::Success;
  for (int j = 0; j < n && !failed(s); ++j) {
    auto [begin, len] = range(j);
    s = copy(scratch_[j] + me * stride, o.send + (p.offset + begin) * es, len * es);
  }
  HCCL_TRY(phaseEnd(o, s));
  std::vector<const char*> sources(n);
  for (int k = 0; k < n; ++k) sources[k] = scratch_[me] + k * stride;
  HCCL_TRY(phaseEnd(o, reduceInto(o, scratch_[me] + regionBytes_ + me * stride, nullptr, sources,
                                  range(me).second)));
  for (int j = 0; j < n && deliver && !failed(s); ++j) {
    auto [begin, len] = range(j);
    s = copy(o.recv + (p.offset + begin) * es, scratch_[j] + regionBytes_ + j * stride, len * es);
  }
  return phaseEnd(o, s);
}

// ReduceScatter: block j of every rank's piece goes to rank j's slot of the sender; rank j
// reduces its slots.
Status IpcPath::reduceScatter(Operation& o, const Piece& p) {
  const int n = o.args.nranks, me = o.args.rank;
  const size_t es = o.args.elemSize, bytes = p.elems * es, stride = slotBytes(bytes);
  Status s = Status::Success;
  for (int j = 0; j < n && !failed(s); ++j)
    s = copy(scratch_[j] + me * stride, o.send + (j * o.args.count + p.offset) * es, bytes);
  HCCL_TRY(phaseEnd(o, s));
  std::vector<const char*> sources(n);
  for (int k = 0; k < n; ++k) sources[k] = scratch_[me] + k * stride;
  char* result = scratch_[me] + regionBytes_;
  s = reduceInto(o, result, nullptr, sources, p.elems);
  if (!failed(s)) s = copy(o.recv + p.offset * es, result, bytes);
  return phaseEnd(o, s);
}

// AllGather, Broadcast, Gather: the ranks with input put their piece in their own scratch; the
// ranks with output pull from there.
Status IpcPath::gatherLike(Operation& o, const Piece& p) {
  const int n = o.args.nranks, me = o.args.rank, root = o.args.root;
  const size_t es = o.args.elemSize, bytes = p.elems * es;
  const CollKind kind = o.args.kind;
  const bool hasInput = kind != CollKind::Broadcast || me == root;
  HCCL_TRY(phaseEnd(o, hasInput ? copy(scratch_[me], o.send + p.offset * es, bytes) : Status::Success));
  Status s = Status::Success;
  if (kind == CollKind::Broadcast) {
    s = copy(o.recv + p.offset * es, scratch_[root], bytes);
  } else if (kind == CollKind::AllGather || me == root) {
    for (int j = 0; j < n && !failed(s); ++j)
      s = copy(o.recv + (j * o.args.count + p.offset) * es, scratch_[j], bytes);
  }
  return phaseEnd(o, s);
}

// AllToAll, Scatter: senders push block j into their slot of rank j's scratch; every rank then
// copies its slots out.
Status IpcPath::pushLike(Operation& o, const Piece& p) {
  const int n = o.args.nranks, me = o.args.rank, root = o.args.root;
  const size_t es = o.args.elemSize, bytes = p.elems * es, stride = slotBytes(bytes);
  const bool all = o.args.kind == CollKind::AllToAll;
  Status s = Status::Success;
  if (all || me == root) {
    const size_t slot = all ? me : 0;
    for (int j = 0; j < n && !failed(s); ++j)
      s = copy(scratch_[j] + slot * stride, o.send + (j * o.args.count + p.offset) * es, bytes);
  }
  HCCL_TRY(phaseEnd(o, s));
  if (all) {
    for (int j = 0; j < n && !failed(s); ++j)
      s = copy(o.recv + (j * o.args.count + p.offset) * es, scratch_[me] + j * stride, bytes);
  } else {
    s = copy(o.recv + p.offset * es, scratch_[me], bytes);
  }
  return phaseEnd(o, s);
}

}  // namespace hccl
