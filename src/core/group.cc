#include "core/group.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <memory_resource>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "backends/device_backend.h"
#include "base/error.h"
#include "core/comm.h"
#include "device/gpu_queue.h"
#include "device/staged_pipeline.h"
#include "device/stream_steps.h"
#include "exec/executor.h"
#include "exec/overwritten_sends.h"
#include "tuning/cost_model.h"

namespace hccl {
namespace {

struct PendingInit {
  Communicator* comm;
  UniqueIdContent id;
};

struct GroupState {
  int depth = 0;
  std::vector<std::unique_ptr<Operation>> ops;
  std::vector<PendingInit> inits;
  std::vector<std::function<Status()>> jobs;
};

thread_local GroupState tGroup;

Status runJobs(std::vector<std::function<Status()>>& jobs) {
  std::vector<Status> results(jobs.size(), Status::Success);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < jobs.size(); ++i) threads.emplace_back([&, i] { results[i] = jobs[i](); });
  for (std::thread& t : threads) t.join();
  for (Status s : results)
    if (failed(s)) return s;
  return Status::Success;
}

Status runInits(std::vector<PendingInit>& inits) {
  // Every init waits on its peers, so they all run at once, one thread each.
  for (PendingInit& p : inits) p.comm->initAsync(p.id);
  Status first = Status::Success;
  for (PendingInit& p : inits) {
    if (!p.comm->config().blocking) continue;  // the caller polls ncclCommGetAsyncError
    p.comm->joinInit();
    if (failed(p.comm->state()) && !failed(first)) first = p.comm->state();
  }
  return first;
}

// A send to this same rank is paired, in call order, with a receive from this rank; the
// receive becomes a local copy and the send has nothing left to do.
Status pairSelfTransfers(std::span<Operation* const> order) {
  std::vector<Operation*> sends, recvs;
  for (Operation* o : order) {
    if (o->args.root != o->args.rank) continue;
    if (o->args.kind == CollKind::Send) sends.push_back(o);
    if (o->args.kind == CollKind::Recv) recvs.push_back(o);
  }
  for (size_t i = 0; i < sends.size() || i < recvs.size(); ++i) {
    Operation* s = i < sends.size() ? sends[i] : nullptr;
    Operation* r = i < recvs.size() ? recvs[i] : nullptr;
    if (s == nullptr || r == nullptr || s->comm != r->comm)
      return reject(Status::InvalidUsage,
                    "a send to self needs a matching receive from self in the same group");
    if (s->args.count * s->args.elemSize != r->args.count * r->args.elemSize)
      return reject(Status::InvalidUsage, "send to self of %zu bytes paired with a receive of %zu bytes",
                    s->args.count * s->args.elemSize, r->args.count * r->args.elemSize);
    r->send = s->send;
  }
  return Status::Success;
}

// Sends whose input a receive of the same group overwrites get a private copy of it first.
void stageOverwrittenSends(std::span<Operation* const> order) {
  const std::vector<bool> overwritten = overwrittenSends(order);
  for (size_t i = 0; i < overwritten.size(); ++i) {
    if (!overwritten[i]) continue;
    Operation* o = order[i];
    o->stagedInput.assign(o->send, o->send + o->args.count * o->args.elemSize);
    o->send = o->stagedInput.data();
  }
}

// The GPU ranks' batches go onto their streams, step k of every batch before step k + 1 of any
// (src/device/stream_steps.h: one thread may drive several GPU ranks of one clique, whose streams
// may share one hardware queue). The caller's current device is restored afterwards.
Status enqueueOnStreams(std::vector<std::pair<GpuQueue*, GpuBatch>>& batches) {
  if (batches.empty()) return Status::Success;
  DeviceScope restore(*batches[0].second.ops[0]->comm->backend().asDevice());
  std::vector<StreamSteps*> lists;
  for (auto& [queue, batch] : batches) lists.push_back(&batch.steps);
  const std::vector<Status> outcome = emitInterleaved(lists);
  Status first = Status::Success;
  for (size_t i = 0; i < batches.size(); ++i) {
    batches[i].first->submit(std::move(batches[i].second), outcome[i]);
    if (failed(outcome[i]) && !failed(first)) first = outcome[i];
  }
  return first;
}

// Calls of communicators that hold GPU ranks: a GPU rank's calls are enqueued on its streams
// (returning at once), a CPU rank's run now, in pieces (src/device/staged_pipeline.h).
Status executeWithDevices(std::vector<std::unique_ptr<Operation>>& ops) {
  std::vector<Communicator*> comms;
  for (auto& o : ops)
    if (std::find(comms.begin(), comms.end(), &communicatorOf(*o)) == comms.end()) comms.push_back(&communicatorOf(*o));
  // GPU ranks first: they only enqueue, so one thread may drive GPU and CPU ranks of one clique.
  std::vector<Operation*> hostOps;
  std::vector<std::pair<GpuQueue*, GpuBatch>> batches;
  for (Communicator* comm : comms) {
    comm->joinInit();
    if (failed(comm->state()))
      return reject(comm->state(), "rank %d: the communicator is in an error state (%s); abort it",
                    comm->rank(), statusName(comm->state()));
  }
  for (Communicator* comm : comms) {
    std::vector<std::unique_ptr<Operation>> mine;
    for (auto& o : ops)
      if (o && o->comm == comm) mine.push_back(std::move(o));
    GpuQueue* queue = comm->gpuQueue();
    if (queue == nullptr) {
      for (auto& o : mine) hostOps.push_back(o.get());
      for (auto& o : mine) ops.push_back(std::move(o));  // kept alive until run below
      continue;
    }
    GpuBatch batch;
    HCCL_TRY(queue->prepare(std::move(mine), &batch));
    batches.emplace_back(queue, std::move(batch));
  }
  HCCL_TRY(enqueueOnStreams(batches));
  if (hostOps.empty()) return Status::Success;
  std::sort(comms.begin(), comms.end());
  std::vector<std::unique_lock<std::mutex>> locks;
  for (Communicator* comm : comms)
    if (comm->gpuQueue() == nullptr) locks.emplace_back(comm->busy());
  StagingSlots slots(nullptr);
  return runInPieces(hostOps, slots);
}

}  // namespace

bool inGroup() { return tGroup.depth > 0; }

void groupStart() { ++tGroup.depth; }

Status execute(std::vector<std::unique_ptr<Operation>>& ops) {
  if (ops.empty()) return Status::Success;
  // Communicators with GPU ranks run their calls in pieces (src/device).
  auto withDevices = std::stable_partition(ops.begin(), ops.end(),
                                           [](const auto& o) { return !o->comm->anyDeviceRank(); });
  if (withDevices != ops.end()) {
    std::vector<std::unique_ptr<Operation>> device(std::make_move_iterator(withDevices),
                                                   std::make_move_iterator(ops.end()));
    ops.erase(withDevices, ops.end());
    std::vector<Operation*> order;
    for (auto& o : device) order.push_back(o.get());
    HCCL_TRY(pairSelfTransfers(order));
    HCCL_TRY(executeWithDevices(device));
    if (ops.empty()) return Status::Success;
  }
  // A call's lists live on the stack (a large group's spill to the heap): a small call costs
  // no allocation here.
  std::array<std::byte, 2048> stack;
  std::pmr::monotonic_buffer_resource arena(stack.data(), stack.size());
  std::pmr::vector<Operation*> order(&arena);
  std::pmr::vector<Communicator*> comms(&arena);
  for (auto& o : ops) {
    order.push_back(o.get());
    if (std::find(comms.begin(), comms.end(), &communicatorOf(*o)) == comms.end()) comms.push_back(&communicatorOf(*o));
  }
  HCCL_TRY(pairSelfTransfers(order));
  stageOverwrittenSends(order);
  // Collectives of one communicator run in call order; point-to-point runs alongside them.
  for (Communicator* comm : comms) {
    Operation* previous = nullptr;
    for (Operation* o : order) {
      if (o->comm != comm || isPointToPoint(o->args.kind)) continue;
      o->after = previous;
      previous = o;
    }
  }
  std::sort(comms.begin(), comms.end());  // one lock order for every thread
  std::pmr::vector<std::unique_lock<std::mutex>> locks(&arena);
  for (Communicator* comm : comms) {
    comm->joinInit();  // a non-blocking init must finish before the comm carries data
    locks.emplace_back(comm->busy());
  }
  for (Communicator* comm : comms) {
    if (failed(comm->state())) {
      Status broken = comm->state();
      return reject(broken, "rank %d: the communicator is in an error state (%s); abort it",
                    comm->rank(), statusName(broken));
    }
  }
  return runOperations(order);
}

Status submit(std::unique_ptr<Operation> op) {
  // Whether the call runs in pieces depends on every rank's backend, known once init is done.
  Communicator& comm = communicatorOf(*op);
  comm.joinInit();
  if (comm.anyDeviceRank()) reservePieceTags(*op);
  if (inGroup()) {
    tGroup.ops.push_back(std::move(op));
    return Status::Success;
  }
  std::vector<std::unique_ptr<Operation>> single;
  single.push_back(std::move(op));
  return execute(single);
}

Status submitInit(Communicator* comm, const UniqueIdContent& id) {
  if (inGroup()) {
    tGroup.inits.push_back({comm, id});
    return Status::Success;
  }
  if (!comm->config().blocking) {
    comm->initAsync(id);
    return Status::InProgress;
  }
  return comm->init(id);
}

Status submitJob(std::function<Status()> job) {
  if (inGroup()) {
    tGroup.jobs.push_back(std::move(job));
    return Status::Success;
  }
  return job();
}

namespace {

// Takes what the outermost group recorded (leaving no group open) and runs its jobs and inits;
// its operations are left in `closed` for the caller.
Status closeGroup(GroupState* closed) {
  *closed = std::move(tGroup);
  tGroup = GroupState{};
  HCCL_TRY(runJobs(closed->jobs));
  return runInits(closed->inits);
}

}  // namespace

Status groupEnd() {
  if (tGroup.depth == 0)
    return reject(Status::InvalidUsage, "ncclGroupEnd called without a matching ncclGroupStart");
  if (--tGroup.depth > 0) return Status::Success;
  GroupState closed;
  HCCL_TRY(closeGroup(&closed));
  HCCL_TRY(execute(closed.ops));
  for (PendingInit& p : closed.inits)
    if (p.comm->state() == Status::InProgress) return Status::InProgress;
  return Status::Success;
}

Status groupSimulateEnd(double* seconds) {
  if (tGroup.depth != 1)
    return reject(Status::InvalidUsage, tGroup.depth == 0 ? "ncclGroupSimulateEnd called without a matching ncclGroupStart"
                                                          : "ncclGroupSimulateEnd must close the outermost group");
  GroupState closed;
  HCCL_TRY(closeGroup(&closed));
  // A communicator's calls run one after another; different communicators' run side by side.
  std::vector<std::pair<CommContext*, double>> perComm;
  for (const auto& o : closed.ops) {
    communicatorOf(*o).joinInit();
    if (failed(o->comm->state()))
      return reject(o->comm->state(), "ncclGroupSimulateEnd: rank %d's communicator is in an error state (%s)",
                    o->comm->rank(), statusName(o->comm->state()));
    auto it = std::find_if(perComm.begin(), perComm.end(), [&](const auto& e) { return e.first == o->comm; });
    if (it == perComm.end()) it = perComm.insert(perComm.end(), {o->comm, 0.0});
    it->second += tuning::estimateSeconds(o->args, o->comm->topology());
  }
  *seconds = 0;
  for (const auto& e : perComm) *seconds = std::max(*seconds, e.second);
  return Status::Success;
}

}  // namespace hccl
