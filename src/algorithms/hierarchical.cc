// Hierarchical and weighted AllReduce for clusters of multi-rank nodes. Per pipeline chunk:
//   1. within each node, a direct reduce-scatter: local rank l owns part l of the chunk;
//   2. across nodes, the ranks with the same local index (one "rail", one NIC each) all-reduce
//      part l: a ring (Hierarchical), or a weighted direct exchange (Weighted), below;
//   3. within each node, a direct all-gather of the parts.
// Chunks enter the pipeline one phase apart (mergePlans), so while one chunk crosses the network
// the next is reduced inside the nodes and the one before is gathered: the network never waits
// for the node-local stages except while the pipeline fills and drains, which the small pieces
// at both ends of the pipeline (pipelineCounts) keep short.
//
// The weighted exchange: node i owns a share f_i of the part, from the bound's linear program, so
// that each node's traffic each way, d(1 + (n-2) f_i), is in proportion to its network bandwidth
// and every port is exactly full at the bound's time. That only holds if every transfer of a
// phase ends when its ports' last one does. Fair sharing gives the transfers of one port equal
// rates, so transfers of different sizes end at different times and leave ports idle (shares as
// they are reach about 85% of the bound on 128 nodes). So the shares are rounded to whole pieces
// of one size (sharePieces: 1 and 5 for 400 and 200 Gb/s nodes, against 1 and 5.1 exactly) and
// each piece is its own transfer. Then every port carries equal transfers, as many as its
// bandwidth allows in the phase's time; each port's fair share is the same rate, every transfer
// gets it and all end together: the exchange runs at the bound (less the rounding) under fair
// sharing as on paper.
//
// Each share is reduced by its owner alone and then copied out, so every rank ends with bitwise
// the same bytes. Nodes with different rank counts have no common rails: then the weighted
// exchange runs flat over all ranks (each rank owning its node's share split evenly), and the
// hierarchical form becomes the plain ring.
#include <algorithm>
#include <vector>

#include "algorithms/blocks.h"
#include "algorithms/plan_shape.h"
#include "algorithms/schedules.h"

namespace hccl {
namespace {

constexpr uint32_t kTagSpace = uint32_t{1} << 24;

struct Rails {
  Group local, rail;            // my node's ranks; my rail's ranks, one per node
  std::vector<double> shares;   // per rail member (node)
  bool equalNodes = true;
};

Rails railsOf(const CollArgs& a) {
  Rails out;
  const std::vector<std::vector<int>> nodes = nodeGroups(a);
  for (const std::vector<int>& node : nodes) out.equalNodes = out.equalNodes && node.size() == nodes[0].size();
  const bool shared = a.layout != nullptr && a.layout->nodeShares.size() == nodes.size();
  for (size_t i = 0; i < nodes.size(); ++i) {
    int local = positionOf(nodes[i], a.rank);
    if (local >= 0) out.local = {nodes[i], local};
  }
  if (out.equalNodes) {
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (nodes[i][out.local.me] == a.rank) out.rail.me = static_cast<int>(i);
      out.rail.members.push_back(nodes[i][out.local.me]);
      out.shares.push_back(shared ? a.layout->nodeShares[i] : 1.0);
    }
    return out;
  }
  // Flat: every rank a member, owning its node's share split among the node's ranks.
  for (size_t i = 0; i < nodes.size(); ++i)
    for (int r : nodes[i]) {
      if (r == a.rank) out.rail.me = out.rail.size();
      out.rail.members.push_back(r);
      out.shares.push_back((shared ? a.layout->nodeShares[i] : 1.0) / static_cast<double>(nodes[i].size()));
    }
  out.local = {{a.rank}, 0};
  return out;
}

// Equal chunks, but no more pieces (pipelineCounts) than tags or elements allow.
size_t chunkCount(const CollArgs& a, uint32_t tagsPerChunk) {
  constexpr size_t kRampPieces = 6;  // pipelineCounts' extra pieces
  const size_t bytes = a.count * a.elemSize;
  size_t chunks = a.chunkBytes == 0 ? 1 : (bytes + a.chunkBytes - 1) / a.chunkBytes;
  const size_t tagLimit = kTagSpace / tagsPerChunk;
  const size_t limit = std::min<size_t>(tagLimit > kRampPieces ? tagLimit - kRampPieces : 1, a.count);
  return std::clamp<size_t>(chunks, 1, std::max<size_t>(limit, 1));
}

// How planRails cuts the call: the same on every rank.
struct RailShape {
  Rails rails;
  std::vector<int> pieces;  // per rail member: transfers its share travels in (Weighted)
  uint32_t interTags = 0;   // tags of the exchange across nodes, per chunk
  std::vector<size_t> counts;
};

RailShape railShape(const CollArgs& a, bool weighted) {
  RailShape s;
  s.rails = railsOf(a);
  const int nodes = s.rails.rail.size();
  s.pieces = sharePieces(s.rails.shares, static_cast<size_t>(nodes));
  const uint32_t maxPieces = static_cast<uint32_t>(*std::max_element(s.pieces.begin(), s.pieces.end()));
  s.interTags = weighted ? 2 * std::max(maxPieces, 1u) : 2 * static_cast<uint32_t>(nodes);
  s.counts = pipelineCounts(a.count, chunkCount(a, s.interTags + 2));
  return s;
}

Plan planRails(const CollArgs& a, bool weighted) {
  const RailShape shape = railShape(a, weighted);
  const Rails& rails = shape.rails;
  const std::vector<int>& pieces = shape.pieces;
  const std::vector<size_t>& counts = shape.counts;
  const int k = rails.local.size(), nodes = rails.rail.size();
  const uint32_t interTags = shape.interTags, tagsPerChunk = interTags + 2;
  std::vector<Plan> stages(counts.size());
  size_t offset = 0;
  for (size_t c = 0; c < counts.size(); offset += counts[c], ++c) {
    const uint32_t tag = static_cast<uint32_t>(c) * tagsPerChunk;
    const Span chunk{offset, counts[c], a.elemSize};
    const std::vector<size_t> localParts = splitCounts(chunk.count, k, {});
    size_t partOffset = 0;
    for (int l = 0; l < rails.local.me; ++l) partOffset += localParts[l];
    const Span part{chunk.offset + partOffset, localParts[rails.local.me], a.elemSize};
    PlanBuilder b(&stages[c]);
    BufferRef input = BufferRef::Send;
    if (k > 1) {
      b.phase();
      directReduceScatter(b, rails.local, BufferRef::Send, chunk, localParts, tag);
      input = BufferRef::Recv;
    }
    if (weighted) {
      const std::vector<size_t> owned = splitCounts(part.count, nodes, std::vector<double>(pieces.begin(), pieces.end()));
      b.phase();
      directReduceScatter(b, rails.rail, input, part, owned, tag + 1, pieces);
      b.phase();
      directAllGather(b, rails.rail, part, owned, tag + 1 + interTags / 2, pieces);
    } else {
      ringAllReduce(b, rails.rail, input, part, tag + 1);
    }
    if (k > 1) {
      b.phase();
      directAllGather(b, rails.local, chunk, localParts, tag + interTags + 1);
    }
  }
  return mergePlans(stages, 1);
}

}  // namespace

Plan planHierarchicalAllReduce(const CollArgs& a) {
  const std::vector<std::vector<int>> nodes = nodeGroups(a);
  for (const std::vector<int>& node : nodes)
    if (node.size() != nodes[0].size()) return planRingAllReduce(a);
  return planRails(a, false);
}

Plan planWeightedAllReduce(const CollArgs& a) { return planRails(a, true); }

// Per chunk: the local reduce-scatter and all-gather send and receive to k - 1 ranks each; the
// rail ring sends and receives in each of its 2 (n - 1) phases; the weighted exchange sends a
// member's pieces of every other share (Q - q of them) and receives its own share's q pieces
// from n - 1 members, both ways, which is most for the member of the largest share.
RailPipeline railPipeline(const CollArgs& a, bool weighted) {
  RailPipeline out;
  const std::vector<std::vector<int>> nodes = nodeGroups(a);
  for (const std::vector<int>& node : nodes)
    if (!weighted && node.size() != nodes[0].size()) return out;
  RailShape shape = railShape(a, weighted);
  const size_t k = shape.rails.local.members.size(), n = shape.rails.rail.members.size();
  size_t total = 0, most = 0;
  for (int p : shape.pieces) total += static_cast<size_t>(p), most = std::max(most, static_cast<size_t>(p));
  const size_t exchange = weighted ? 2 * (total - most) + 2 * (n - 1) * most : 4 * (n - 1);
  out.busiestRankSteps = (4 * (k - 1) + exchange) * shape.counts.size();
  out.counts = std::move(shape.counts);
  return out;
}

}  // namespace hccl
