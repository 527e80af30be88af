// Direct exchanges: every transfer in one phase, for the personalised collectives and p2p.
#include "algorithms/plan_builder.h"
#include "algorithms/schedules.h"

namespace hccl {

Plan planDirectAllToAll(const CollArgs& a) {
  Plan plan;
  PlanBuilder b(&plan);
  const int n = a.nranks, r = a.rank;
  const size_t block = a.count * a.elemSize;
  BufferRef source = BufferRef::Send;
  if (a.inputAliasesOutput) {  // received blocks would overwrite blocks not yet sent
    plan.scratchBytes = block * n;
    b.phase();
    b.copy(scratchAt(0), sendAt(0), block * n);
    source = BufferRef::Scratch;
  }
  b.phase();
  b.copy(recvAt(r * block), {source, r * block}, block);
  for (int k = 1; k < n; ++k) {  // staggered peers spread the load over all links
    int to = mod(r + k, n), from = mod(r - k, n);
    b.send(to, 0, {source, to * block}, block);
    b.recv(from, 0, recvAt(from * block), block);
  }
  return plan;
}

Plan planDirectAllGather(const CollArgs& a) {
  Plan plan;
  PlanBuilder b(&plan);
  const int n = a.nranks, r = a.rank;
  const size_t block = a.count * a.elemSize;
  b.phase();
  b.copy(recvAt(r * block), sendAt(0), block);
  for (int k = 1; k < n; ++k) {
    const int to = mod(r + k, n), from = mod(r - k, n);
    b.send(to, 0, sendAt(0), block);
    b.recv(from, 0, recvAt(from * block), block);
  }
  return plan;
}

Plan planDirectGather(const CollArgs& a) {
  Plan plan;
  PlanBuilder b(&plan);
  const size_t block = a.count * a.elemSize;
  b.phase();
  if (a.rank != a.root) {
    b.send(a.root, 0, sendAt(0), block);
    return plan;
  }
  b.copy(recvAt(a.root * block), sendAt(0), block);
  for (int k = 1; k < a.nranks; ++k) {
    int from = mod(a.root + k, a.nranks);
    b.recv(from, 0, recvAt(from * block), block);
  }
  return plan;
}

Plan planDirectScatter(const CollArgs& a) {
  Plan plan;
  PlanBuilder b(&plan);
  const size_t block = a.count * a.elemSize;
  b.phase();
  if (a.rank != a.root) {
    b.recv(a.root, 0, recvAt(0), block);
    return plan;
  }
  b.copy(recvAt(0), sendAt(a.root * block), block);
  for (int k = 1; k < a.nranks; ++k) {
    int to = mod(a.root + k, a.nranks);
    b.send(to, 0, sendAt(to * block), block);
  }
  return plan;
}

// A send to self has nothing to do: its paired receive copies (see planRecv).
Plan planSend(const CollArgs& a) {
  Plan plan;
  if (a.root == a.rank) return plan;
  PlanBuilder b(&plan);
  b.send(a.root, 0, sendAt(0), a.count * a.elemSize);
  return plan;
}

Plan planRecv(const CollArgs& a) {
  Plan plan;
  PlanBuilder b(&plan);
  if (a.root == a.rank) {  // the executor pointed Send at the paired send's buffer
    b.copy(recvAt(0), sendAt(0), a.count * a.elemSize);
    return plan;
  }
  b.recv(a.root, 0, recvAt(0), a.count * a.elemSize);
  return plan;
}

}  // namespace hccl
