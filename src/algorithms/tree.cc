// Double binary tree AllReduce: two binary trees over the ring order, each reducing half of the
// buffer up to its root and broadcasting the result back down, both pipelined in chunks. The
// second tree is the first mirrored (even n) or shifted by one (odd n), so a rank that is a leaf
// in one tree is mostly an inner node in the other and the load evens out (as in NCCL).
//
// Timing, aligned on both ends of every edge: chunk c leaves a node of height h (leaves 0) for
// its parent in phase c + h, and comes down from a node of depth d in phase c + H + d, H the
// root's height. Children are lower than their parent, so a node has reduced chunk c before it
// sends it up, and gets the result only after that. Only the root's bytes are distributed, so
// every rank ends with bitwise the same result.
#include <algorithm>
#include <vector>

#include "algorithms/blocks.h"
#include "algorithms/plan_shape.h"
#include "algorithms/schedules.h"

namespace hccl {
namespace {

constexpr size_t kMaxChunks = size_t{1} << 20;  // 4 tags per chunk stay below 2^24

// The in-order binary tree over positions 0..n-1 (1-based index i = position + 1): a node's
// level is its lowest set bit, and a parent missing past n is replaced by its own parent.
struct Tree {
  std::vector<int> parent, height, depth;
  std::vector<std::vector<int>> children;
  int root = 0;

  explicit Tree(int n) : parent(n, -1), height(n, 0), depth(n, 0), children(n) {
    auto lowbit = [](long i) { return i & -i; };
    root = static_cast<int>(highestPowerAtMost(n) - 1);
    for (long i = 1; i <= n; ++i) {
      if (i == root + 1) continue;
      long p = i;
      do {
        const long b = lowbit(p);
        p = ((p / (2 * b)) % 2 == 0) ? p + b : p - b;  // one level up
      } while (p > n);
      parent[i - 1] = static_cast<int>(p - 1);
    }
    for (int v = 0; v < n; ++v)
      if (parent[v] >= 0) children[parent[v]].push_back(v);
    // Heights bottom-up and depths top-down, ordered by level (lowest set bit).
    std::vector<int> byLevel(n);
    for (int v = 0; v < n; ++v) byLevel[v] = v;
    std::stable_sort(byLevel.begin(), byLevel.end(), [&](int x, int y) { return lowbit(x + 1) < lowbit(y + 1); });
    for (int v : byLevel)
      for (int c : children[v]) height[v] = std::max(height[v], height[c] + 1);
    for (auto it = byLevel.rbegin(); it != byLevel.rend(); ++it)
      for (int c : children[*it]) depth[c] = depth[*it] + 1;
  }

  static long highestPowerAtMost(long n) {
    long p = 1;
    while (p * 2 <= n) p *= 2;
    return p;
  }
};

// Adds tree `t` over `span` (split in `chunks`) for the rank at position `v` of the tree.
void addTree(PlanBuilder& b, const Tree& tree, const std::vector<int>& rankAt, int v, const Span& span,
             size_t chunks, uint32_t t) {
  const ChunkSplit split{span.count, chunks};
  const int H = tree.height[tree.root];
  auto tag = [&](size_t c, uint32_t down) { return static_cast<uint32_t>((c * 2 + t) * 2 + down); };
  const std::vector<int>& kids = tree.children[v];
  int lowestChild = H;
  for (int k : kids) lowestChild = std::min(lowestChild, tree.height[k]);
  for (size_t c = 0; c < chunks; ++c) {
    const Span part{span.offset + split.offset(c), split.size(c), span.elemSize};
    const size_t bytes = part.bytes(part.count);
    const Region mine = part.at(BufferRef::Recv, 0);
    if (bytes == 0) continue;
    if (kids.empty() && tree.parent[v] < 0) {  // a tree of one rank
      b.phaseAt(c);
      b.copy(mine, part.at(BufferRef::Send, 0), bytes);
      continue;
    }
    if (!kids.empty()) {  // my input starts the sum, then each child's partial adds to it
      b.phaseAt(c + lowestChild);
      b.copy(mine, part.at(BufferRef::Send, 0), bytes);
    }
    for (int k : kids) {
      b.phaseAt(c + tree.height[k]);
      b.recvReduce(rankAt[k], tag(c, 0), mine, mine, bytes);
    }
    if (tree.parent[v] >= 0) {
      b.phaseAt(c + tree.height[v]);
      b.send(rankAt[tree.parent[v]], tag(c, 0), kids.empty() ? part.at(BufferRef::Send, 0) : mine, bytes);
      b.phaseAt(c + H + tree.depth[v] - 1);
      b.recv(rankAt[tree.parent[v]], tag(c, 1), mine, bytes);
    }
    for (int k : kids) {
      b.phaseAt(c + H + tree.depth[v]);
      b.send(rankAt[k], tag(c, 1), mine, bytes);
    }
  }
}

}  // namespace

size_t treeChunks(const CollArgs& a, int tree) {
  const size_t half = ChunkSplit{a.count, 2}.size(static_cast<size_t>(tree));
  const size_t chunks = a.chunkBytes == 0 ? 1 : (half * a.elemSize + a.chunkBytes - 1) / a.chunkBytes;
  return std::clamp<size_t>(chunks, 1, std::min(kMaxChunks, std::max<size_t>(half, 1)));
}

Plan planTreeAllReduce(const CollArgs& a) {
  Plan plan;
  PlanBuilder b(&plan);
  const int n = a.nranks;
  const std::vector<int> order = ringOrder(a, 0);
  const int pos = positionOf(order, a.rank);
  const Tree tree(n);
  const ChunkSplit halves{a.count, 2};
  for (uint32_t t = 0; t < 2; ++t) {
    // Tree t's position v holds the rank at ring position map(v).
    std::vector<int> rankAt(n);
    int v = 0;
    for (int p = 0; p < n; ++p) {
      const int mapped = t == 0 ? p : (n % 2 == 0 ? n - 1 - p : mod(p + 1, n));
      rankAt[p] = order[mapped];
      if (mapped == pos) v = p;
    }
    const Span half{halves.offset(t), halves.size(t), a.elemSize};
    addTree(b, tree, rankAt, v, half, treeChunks(a, static_cast<int>(t)), t);
  }
  // Local steps must run before the phase's transfers.
  for (Phase& phase : plan.phases)
    std::stable_partition(phase.steps.begin(), phase.steps.end(), [](const Step& s) { return !s.isTransfer(); });
  return plan;
}

}  // namespace hccl
