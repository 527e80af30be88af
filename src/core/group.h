// ncclGroupStart/End: per-thread aggregation of calls. Inside a group, operations and
// communicator inits are only recorded; the outermost ncclGroupEnd runs all inits together,
// then all operations together with one executor call, so their order across ranks and
// communicators cannot deadlock.
#pragma once

#include <functional>
#include <memory>

#include "core/bootstrap.h"
#include "exec/operation.h"

namespace hccl {

class Communicator;

bool inGroup();
void groupStart();
// Runs what the group recorded when the outermost group ends. InvalidUsage without a start.
Status groupEnd();
// Ends the outermost group as groupEnd() does, except that its collectives and point-to-point
// calls are not run: *seconds gets the cost model's estimate of how long they would take.
Status groupSimulateEnd(double* seconds);

// Runs `op` now, or records it in the open group.
Status submit(std::unique_ptr<Operation> op);
// Runs a set of operations now, in order per communicator, holding each communicator's lock.
Status execute(std::vector<std::unique_ptr<Operation>>& ops);
// Initialises `comm` now (asynchronously when it is non-blocking), or when the group ends.
Status submitInit(Communicator* comm, const UniqueIdContent& id);
// Runs `job` now, or when the group ends, each recorded job on a thread of its own (a job that
// waits on peers, such as a split, must not wait on a call this thread makes later).
Status submitJob(std::function<Status()> job);

}  // namespace hccl
