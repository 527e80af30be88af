#include "exec/mesh.h"

#include "algorithms/schedules.h"
#include "exec/comm_context.h"
#include "exec/executor.h"

namespace hccl {

Status allGatherOnMesh(CommContext& comm, uint64_t tag, const void* mine, size_t bytes, void* all) {
  Operation o;
  o.comm = &comm;
  o.args.kind = CollKind::AllGather;
  o.args.rank = comm.rank();
  o.args.nranks = comm.nranks();
  o.args.count = bytes;
  o.args.elemSize = 1;
  o.send = static_cast<const char*>(mine);
  o.recv = static_cast<char*>(all);
  o.tagBase = tag;
  o.plan = planDirectAllGather(o.args);
  o.planned = true;
  return runOperations({&o});
}

}  // namespace hccl
