#include "exec/mesh.h"

#include <cstring>
#include <memory>

#include "algorithms/schedules.h"
#include "exec/comm_context.h"
#include "exec/executor.h"

namespace hccl {

Status allGatherOnMesh(CommContext& comm, uint64_t tag, const void* mine, size_t bytes, void* all) {
  // In place: the record is copied here, host memory to host memory, so the Plan's own copy is
  // a no-op and no device runtime is asked about these buffers (init may run on a thread that
  // has no device selected).
  char* own = static_cast<char*>(all) + static_cast<size_t>(comm.rank()) * bytes;
  memmove(own, mine, bytes);
  Operation o;
  o.comm = &comm;
  o.args.kind = CollKind::AllGather;
  o.args.rank = comm.rank();
  o.args.nranks = comm.nranks();
  o.args.count = bytes;
  o.args.elemSize = 1;
  o.args.inPlace = true;
  o.send = own;
  o.recv = static_cast<char*>(all);
  o.tagBase = tag;
  o.plan = std::make_shared<const Plan>(planDirectAllGather(o.args));
  o.planned = true;
  Operation* const ops[] = {&o};
  return runOperations(ops);
}

}  // namespace hccl
