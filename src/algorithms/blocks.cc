#include "algorithms/blocks.h"

#include <algorithm>
#include <numeric>

namespace hccl {

std::vector<size_t> splitCounts(size_t count, size_t parts, const std::vector<double>& weights) {
  std::vector<size_t> out(parts, 0);
  if (parts == 0) return out;
  double total = 0;
  for (double w : weights) total += std::max(w, 0.0);
  if (weights.size() != parts || total <= 0) {
    ChunkSplit split{count, parts};
    for (size_t i = 0; i < parts; ++i) out[i] = split.size(i);
    return out;
  }
  std::vector<double> remainder(parts);
  size_t given = 0;
  for (size_t i = 0; i < parts; ++i) {
    double exact = static_cast<double>(count) * std::max(weights[i], 0.0) / total;
    out[i] = std::min(static_cast<size_t>(exact), count - given);
    given += out[i];
    remainder[i] = exact - static_cast<double>(out[i]);
  }
  std::vector<size_t> order(parts);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return remainder[a] > remainder[b]; });
  for (size_t i = 0; given < count; i = (i + 1) % parts, ++given) ++out[order[i]];
  return out;
}

std::vector<size_t> pipelineCounts(size_t count, size_t chunks) {
  const ChunkSplit split{count, std::max<size_t>(chunks, 1)};
  if (chunks < kRampedChunks) {
    std::vector<size_t> out;
    for (size_t c = 0; c < split.parts; ++c) out.push_back(split.size(c));
    return out;
  }
  std::vector<size_t> out;
  auto cut = [&](size_t whole, bool growing) {
    const std::vector<size_t> pieces = splitCounts(whole, 4, growing ? std::vector<double>{1, 1, 2, 4}
                                                                     : std::vector<double>{4, 2, 1, 1});
    out.insert(out.end(), pieces.begin(), pieces.end());
  };
  cut(split.size(0), true);
  for (size_t c = 1; c + 1 < chunks; ++c) out.push_back(split.size(c));
  cut(split.size(chunks - 1), false);
  return out;
}

namespace {

std::vector<size_t> offsetsOf(const std::vector<size_t>& counts) {
  std::vector<size_t> offsets(counts.size() + 1, 0);
  for (size_t i = 0; i < counts.size(); ++i) offsets[i + 1] = offsets[i] + counts[i];
  return offsets;
}

}  // namespace

std::vector<int> sharePieces(const std::vector<double>& shares, size_t parts) {
  std::vector<int> out(parts, 1);
  if (shares.size() != parts) return out;
  double smallest = 0;
  for (double s : shares)
    if (s > 0 && (smallest == 0 || s < smallest)) smallest = s;
  for (size_t i = 0; i < parts; ++i)
    out[i] = shares[i] <= 0 || smallest == 0 ? 0 : std::clamp(static_cast<int>(shares[i] / smallest + 0.5), 1, kMaxPieces);
  return out;
}

namespace {

// Calls f(element offset, count, tag) for each piece of `count` elements at `offset`.
template <typename F>
void forPieces(size_t offset, size_t count, const std::vector<int>& pieces, int member, uint32_t tag, F f) {
  const size_t n = pieces.empty() ? 1 : static_cast<size_t>(std::max(pieces[member], 1));
  const ChunkSplit split{count, n};
  for (size_t p = 0; p < n; ++p) f(offset + split.offset(p), split.size(p), tag + static_cast<uint32_t>(p));
}

}  // namespace

void directReduceScatter(PlanBuilder& b, const Group& g, BufferRef input, const Span& span,
                         const std::vector<size_t>& counts, uint32_t tag, const std::vector<int>& pieces) {
  const std::vector<size_t> at = offsetsOf(counts);
  const int n = g.size(), me = g.me;
  // Local step first: the owner's own input is the start of its sum; every arrival then adds to
  // it in place, in whatever order the pieces arrive.
  if (input != BufferRef::Recv) b.copy(span.at(BufferRef::Recv, at[me]), span.at(input, at[me]), span.bytes(counts[me]));
  for (int k = 1; k < n; ++k) {  // staggered peers spread the load over all links
    const int to = mod(me + k, n), from = mod(me - k, n);
    forPieces(at[to], counts[to], pieces, to, tag, [&](size_t offset, size_t count, uint32_t t) {
      b.send(g.members[to], t, span.at(input, offset), span.bytes(count));
    });
    forPieces(at[me], counts[me], pieces, me, tag, [&](size_t offset, size_t count, uint32_t t) {
      b.recvReduce(g.members[from], t, span.at(BufferRef::Recv, offset), span.at(BufferRef::Recv, offset),
                   span.bytes(count));
    });
  }
}

void directAllGather(PlanBuilder& b, const Group& g, const Span& span, const std::vector<size_t>& counts,
                     uint32_t tag, const std::vector<int>& pieces) {
  const std::vector<size_t> at = offsetsOf(counts);
  const int n = g.size(), me = g.me;
  for (int k = 1; k < n; ++k) {
    const int to = mod(me + k, n), from = mod(me - k, n);
    forPieces(at[me], counts[me], pieces, me, tag, [&](size_t offset, size_t count, uint32_t t) {
      b.send(g.members[to], t, span.at(BufferRef::Recv, offset), span.bytes(count));
    });
    forPieces(at[from], counts[from], pieces, from, tag, [&](size_t offset, size_t count, uint32_t t) {
      b.recv(g.members[from], t, span.at(BufferRef::Recv, offset), span.bytes(count));
    });
  }
}

void ringAllReduce(PlanBuilder& b, const Group& g, BufferRef input, const Span& span, uint32_t tag) {
  const int n = g.size(), me = g.me;
  if (n == 1) {
    if (input != BufferRef::Recv) {
      b.phase();
      b.copy(span.at(BufferRef::Recv, 0), span.at(input, 0), span.bytes(span.count));
    }
    return;
  }
  const int next = g.members[mod(me + 1, n)], prev = g.members[mod(me - 1, n)];
  const ChunkSplit split{span.count, static_cast<size_t>(n)};
  auto region = [&](BufferRef buffer, int chunk) { return span.at(buffer, split.offset(chunk)); };
  auto bytes = [&](int chunk) { return span.bytes(split.size(chunk)); };
  // Reduce-scatter: step s sends the partial of chunk me-s-1; after n-1 steps chunk me is whole.
  for (int s = 0; s < n - 1; ++s) {
    b.phase();
    const int out = mod(me - s - 1, n), in = mod(me - s - 2, n);
    b.send(next, tag + s, region(s == 0 ? input : BufferRef::Recv, out), bytes(out));
    b.recvReduce(prev, tag + s, region(BufferRef::Recv, in), region(input, in), bytes(in));
  }
  // All-gather of the whole chunks.
  for (int s = 0; s < n - 1; ++s) {
    b.phase();
    const int out = mod(me - s, n), in = mod(me - s - 1, n);
    b.send(next, tag + n - 1 + s, region(BufferRef::Recv, out), bytes(out));
    b.recv(prev, tag + n - 1 + s, region(BufferRef::Recv, in), bytes(in));
  }
}

Plan mergePlans(std::vector<Plan>& plans, size_t stagger) {
  Plan merged;
  size_t phases = 0;
  for (size_t i = 0; i < plans.size(); ++i) {
    if (!plans[i].phases.empty()) phases = std::max(phases, i * stagger + plans[i].phases.size());
    merged.scratchBytes = std::max(merged.scratchBytes, plans[i].scratchBytes);
  }
  merged.phases.resize(phases);
  for (size_t i = 0; i < plans.size(); ++i)
    for (size_t p = 0; p < plans[i].phases.size(); ++p) {
      std::vector<Step>& into = merged.phases[i * stagger + p].steps;
      std::vector<Step>& from = plans[i].phases[p].steps;
      // Local steps stay ahead of every transfer of the phase (the executor runs steps in order).
      auto firstTransfer = std::find_if(into.begin(), into.end(), [](const Step& s) { return s.isTransfer(); });
      for (const Step& s : from)
        if (!s.isTransfer()) firstTransfer = into.insert(firstTransfer, s) + 1;
      for (const Step& s : from)
        if (s.isTransfer()) into.push_back(s);
    }
  return merged;
}

}  // namespace hccl
