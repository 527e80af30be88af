#include "exec/executor.h"

#include <poll.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <memory_resource>
#include <span>

#include "algorithms/extents.h"
#include "base/backoff.h"
#include "base/error.h"
#include "base/log.h"
#include "exec/comm_context.h"

namespace hccl {
namespace {

// Idle waits back off (base/backoff.h); ranks that outnumber the cores yield at once. Peers are
// checked for life this often while nothing moves.
constexpr auto kLivenessInterval = std::chrono::milliseconds(20);
// The longest sleep on a doorbell: aborts, timeouts and dead peers are noticed at least this often.
constexpr int kDoorbellSleepMicros = 1000;

// Elements of the input this rank reads (what PreMulSum scales and an FNUZ rank converts), and
// of the output it writes (what Avg divides and an FNUZ rank converts back). A send to self has
// no input to read (its paired receive copies it) and that receive writes a copy of the user's
// own bytes, which needs no conversion.
bool isSelf(const CollArgs& a) { return isPointToPoint(a.kind) && a.root == a.rank; }
size_t inputElements(const Operation& o) {
  return isSelf(o.args) && o.args.kind == CollKind::Send ? 0 : blocksOf(o.args, o.args.rank).in * o.args.count;
}
size_t outputElements(const Operation& o) {
  return isSelf(o.args) && o.args.kind == CollKind::Recv ? 0 : blocksOf(o.args, o.args.rank).out * o.args.count;
}

Backend& backendOf(Operation& o) { return o.backend != nullptr ? *o.backend : o.comm->backend(); }

char* resolve(Operation& o, const Region& r) {
  switch (r.buffer) {
    case BufferRef::Send: return const_cast<char*>(o.send) + r.offset;
    case BufferRef::Recv: return o.recv + r.offset;
    case BufferRef::Scratch: return o.scratch + r.offset;
  }
  return nullptr;
}

Status start(Operation& o) {
  CommContext& comm = *o.comm;
  if (!o.planned) o.plan = comm.schedules().plan(o.args);
  // The input is staged when it must change before it is sent: converted from FNUZ, scaled by
  // PreMulSum's factor, or both. A collective stages in the communicator's scratch (collectives
  // of one communicator run one at a time); a send runs beside other calls of its group, so it
  // stages in its own buffer.
  const size_t inputs = inputElements(o);
  const bool convert = convertsFp8(o) && inputs > 0;
  const size_t stagedBytes = convert || o.preMultiply ? inputs * dataTypeSize(o.type) : 0;
  const bool ownStaging = o.args.kind == CollKind::Send;
  const size_t scratchBytes = o.plan->scratchBytes + (ownStaging ? 0 : stagedBytes);
  if (scratchBytes > 0) o.scratch = comm.scratch(scratchBytes);
  if (stagedBytes > 0) {
    if (ownStaging && o.send != o.stagedInput.data()) {
      o.stagedInput.assign(o.send, o.send + stagedBytes);
      o.send = o.stagedInput.data();  // converted in place below
    }
    char* staged = ownStaging ? o.stagedInput.data() : o.scratch + o.plan->scratchBytes;
    const char* input = o.send;
    if (convert) {
      const uint8_t* toOcp = fp8ConversionTable(o.type, Fp8Encoding::Fnuz, Fp8Encoding::Ocp);
      convertFp8(reinterpret_cast<uint8_t*>(staged), reinterpret_cast<const uint8_t*>(input), inputs, toOcp);
      if (o.preMultiply) o.scalar[0] = toOcp[o.scalar[0]];
      input = staged;
    }
    if (o.preMultiply) HCCL_TRY(backendOf(o).scale(staged, input, inputs, o.type, o.scalar));
    o.send = staged;
  }
  HCCL_TRACE(Coll, "%s seq tag 0x%llx plan:\n%s", collKindName(o.args.kind),
             static_cast<unsigned long long>(o.tagBase), o.plan->describe().c_str());
  o.started = true;
  return Status::Success;
}

// Runs a phase's local steps and posts its transfers.
Status startPhase(Operation& o) {
  CommContext& comm = *o.comm;
  const Phase& phase = o.plan->phases[o.phase];
  size_t transfers = std::count_if(phase.steps.begin(), phase.steps.end(),
                                   [](const Step& s) { return s.isTransfer(); });
  o.requests.assign(transfers, Request{});  // sized once: messengers keep pointers into it
  size_t next = 0;
  for (const Step& step : phase.steps) {
    if (step.kind == StepKind::Copy) {
      char* dst = resolve(o, step.dst);
      const char* src = resolve(o, step.src);
      if (dst != src) HCCL_TRY(backendOf(o).copy(dst, src, step.bytes));
      continue;
    }
    Request& r = o.requests[next++];
    r.tag = o.tagBase | step.tag;
    r.bytes = step.bytes;
    if (step.kind == StepKind::Send) {
      r.kind = Request::Kind::Send;
      r.buffer = resolve(o, step.src);
      comm.messenger(step.peer)->postSend(&r);
    } else {
      r.kind = Request::Kind::Recv;
      r.buffer = resolve(o, step.dst);
      r.type = o.type;
      if (step.kind == StepKind::RecvReduce) {
        r.reduceSource = resolve(o, step.src);
        r.op = o.op;
        r.backend = &backendOf(o);
      }
      comm.messenger(step.peer)->postRecv(&r);
    }
  }
  return Status::Success;
}

Status finish(Operation& o) {
  const size_t outputs = outputElements(o);
  if (o.average && outputs > 0) HCCL_TRY(backendOf(o).divide(o.recv, outputs, o.type, o.args.nranks));
  if (convertsFp8(o) && outputs > 0)
    convertFp8(reinterpret_cast<uint8_t*>(o.recv), reinterpret_cast<const uint8_t*>(o.recv), outputs,
               fp8ConversionTable(o.type, Fp8Encoding::Ocp, Fp8Encoding::Fnuz));
  o.done = true;
  return Status::Success;
}

// Moves an operation forward as far as its completed transfers allow.
Status advance(Operation& o, bool* moved) {
  if (!o.started) {
    HCCL_TRY(start(o));
    *moved = true;
    if (o.plan->phases.empty()) return finish(o);
    HCCL_TRY(startPhase(o));
  }
  for (;;) {
    for (const Request& r : o.requests)
      if (!r.done) return Status::Success;
    *moved = true;
    if (++o.phase == o.plan->phases.size()) return finish(o);
    HCCL_TRY(startPhase(o));
  }
}

class Runner {
 public:
  explicit Runner(std::span<Operation* const> ops) : ops_(ops), backoff_(anyOversubscribed(ops)) {
    for (Operation* o : ops)
      if (std::find(comms_.begin(), comms_.end(), o->comm) == comms_.end()) comms_.push_back(o->comm);
    timeout_ = secondsToDuration(comms_.empty() ? 600.0 : comms_[0]->config().timeoutSeconds);
  }

  Status run() {
    lastLivenessCheck_ = Clock::now();
    while (pending() || sending()) {
      bool moved = false;
      step(&moved);
      if (moved) backoff_.reset();
      else wait();
    }
    return firstError_;
  }

 private:
  bool pending() const {
    return std::any_of(ops_.begin(), ops_.end(), [](const Operation* o) { return !o->done; });
  }

  // Whether a link still holds bytes of these calls that only further calls on it move out
  // (Link::sending): the call returns once they left, or a peer could wait on them forever.
  bool sending() const {
    for (CommContext* comm : comms_) {
      if (failed(comm->state())) continue;
      for (int peer = 0; peer < comm->nranks(); ++peer) {
        Messenger* m = comm->messenger(peer);
        if (m != nullptr && m->link().sending()) return true;
      }
    }
    return false;
  }

  void failComm(CommContext* comm, Status error) {
    std::string text = threadLastError();
    comm->fail(error);
    comm->setLastError(text);
    for (Operation* o : ops_) {
      if (o->comm != comm || o->done) continue;
      o->done = true;
      o->status = error;
    }
    if (!failed(firstError_)) firstError_ = error;
  }

  void step(bool* moved) {
    for (Operation* o : ops_) {
      if (o->done || (o->after != nullptr && !o->after->done)) continue;
      Status s = advance(*o, moved);
      if (failed(s)) failComm(o->comm, s);
    }
    for (CommContext* comm : comms_) {
      if (comm->abortRequested()) {
        ::hccl::fail(Status::Aborted, "rank %d: communicator aborted while an operation was running",
                     comm->rank());
        failComm(comm, Status::Aborted);
        continue;
      }
      if (failed(comm->state())) continue;
      for (int peer = 0; peer < comm->nranks(); ++peer) {
        Messenger* m = comm->messenger(peer);
        if (m == nullptr || !m->busy()) continue;
        Status s = m->progress(moved);
        if (failed(s)) {
          failComm(comm, s);
          break;
        }
      }
    }
  }

  static bool anyOversubscribed(std::span<Operation* const> ops) {
    return std::any_of(ops.begin(), ops.end(), [](const Operation* o) { return o->comm->oversubscribed(); });
  }

  // Nothing moved: back off, look for dead peers, and give up after the timeout.
  void wait() {
    if (!backoff_.tick()) return;
    if (backoff_.now() - lastLivenessCheck_ >= kLivenessInterval) {
      lastLivenessCheck_ = backoff_.now();
      checkPeers();
    }
    if (backoff_.idle() > timeout_) {
      for (CommContext* comm : comms_) {
        if (failed(comm->state())) continue;
        ::hccl::fail(Status::RemoteError, "rank %d: no progress for %.0f s (HCCL_TIMEOUT); peers %s",
                     comm->rank(), std::chrono::duration<double>(timeout_).count(),
                     waitingOn(comm).c_str());
        failComm(comm, Status::RemoteError);
      }
      return;
    }
    // With a core of its own a rank spins, then sleeps on its doorbell: a yield would hand the
    // core to whatever else runs here (other work, another job) for a whole time slice. Ranks
    // that share cores yield first (the rank waited for is often runnable on this core; a
    // wake-up from a doorbell costs more, tens of microseconds on a VM), then sleep.
    switch (backoff_.step()) {
      case Backoff::Step::Spin: return;
      case Backoff::Step::Yield:
        if (backoff_.yieldsAtOnce() || !sleepOnDoorbell()) sched_yield();
        return;
      case Backoff::Step::Sleep:
        if (!sleepOnDoorbell()) sleepOnLinks();
        return;
    }
  }

  // When every link this rank waits on is shared memory of one communicator: sleeps on that
  // communicator's doorbell, which those peers ring as they write to us or make room for us. The
  // core goes to whoever needs it at once, and the rank wakes as soon as there is work, rather
  // than yielding (the scheduler may hand the core to an unrelated process for a whole slice).
  bool sleepOnDoorbell() {
    Doorbell* bell = nullptr;
    for (CommContext* comm : comms_) {
      if (failed(comm->state())) continue;
      for (int peer = 0; peer < comm->nranks(); ++peer) {
        Messenger* m = comm->messenger(peer);
        if (m == nullptr || !m->busy()) continue;
        if (!m->link().ringsDoorbell() || (bell != nullptr && bell != comm->doorbell())) return false;
        bell = comm->doorbell();
      }
    }
    if (bell == nullptr) return false;
    uint32_t armed = 0;
    const bool canSleep = bell->arm(&armed);
    bool moved = false;
    step(&moved);  // once more, now that a ring cannot be missed
    if (!moved && canSleep) bell->sleep(armed, kDoorbellSleepMicros);
    bell->disarm();
    if (moved) backoff_.reset();
    return true;
  }

  void checkPeers() {
    for (CommContext* comm : comms_) {
      if (failed(comm->state())) continue;
      for (int peer = 0; peer < comm->nranks(); ++peer) {
        Messenger* m = comm->messenger(peer);
        if (m == nullptr || !m->busy() || !failed(m->link().checkAlive())) continue;
        // The peer may have written its last bytes and exited: drain before judging.
        bool moved = false;
        Status s = m->progress(&moved);
        if (!failed(s) && moved) continue;
        ::hccl::fail(Status::RemoteError, "rank %d: peer rank %d (%s) is gone", comm->rank(), peer,
                     m->link().name());
        failComm(comm, Status::RemoteError);
        break;
      }
    }
  }

  // Sleeps until a socket turns readable, or briefly when some link is shared memory.
  void sleepOnLinks() {
    std::vector<pollfd> fds;
    bool spinOnly = false;
    for (CommContext* comm : comms_) {
      if (failed(comm->state())) continue;
      for (int peer = 0; peer < comm->nranks(); ++peer) {
        Messenger* m = comm->messenger(peer);
        if (m == nullptr || !m->busy()) continue;
        int fd = m->link().waitFd();
        if (fd < 0) spinOnly = true;
        else if (!m->link().armWait()) return;  // work arrived meanwhile: no sleep
        else fds.push_back({fd, POLLIN, 0});
      }
    }
    if (spinOnly || fds.empty()) {
      usleep(50);
      return;
    }
    ::poll(fds.data(), fds.size(), 1);
  }

  std::string waitingOn(CommContext* comm) {
    std::string out;
    for (int peer = 0; peer < comm->nranks(); ++peer) {
      Messenger* m = comm->messenger(peer);
      if (m == nullptr || !m->busy()) continue;
      if (!out.empty()) out += ',';
      out += std::to_string(peer);
    }
    return out.empty() ? "none" : out;
  }

  std::span<Operation* const> ops_;
  std::array<std::byte, 256> commsStack_;  // comms_ lives here unless a group spans many communicators
  std::pmr::monotonic_buffer_resource commsArena_{commsStack_.data(), commsStack_.size()};
  std::pmr::vector<CommContext*> comms_{&commsArena_};
  Backoff backoff_;
  Clock::duration timeout_;
  Clock::time_point lastLivenessCheck_;
  Status firstError_ = Status::Success;
};

}  // namespace

Status runOperations(std::span<Operation* const> ops) { return Runner(ops).run(); }

bool convertsFp8(const Operation& o) {
  return o.comm->config().fp8Encoding == Fp8Encoding::Fnuz && isFp8Type(o.type);
}

}  // namespace hccl
