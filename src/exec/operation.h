// One NCCL call on one rank, as the executor runs it: the planned schedule plus the buffers,
// the reduction, and the run state.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "algorithms/planner.h"
#include "backends/backend.h"
#include "base/datatype.h"
#include "transport/messenger.h"

namespace hccl {

class CommContext;

struct Operation {
  CommContext* comm = nullptr;
  CollArgs args;
  DataType type = DataType::Uint8;
  ReduceOp op = ReduceOp::Sum;
  bool average = false;      // ncclAvg: divide the reduced result by nranks
  bool preMultiply = false;  // PreMulSum: scale the input by `scalar` first
  uint8_t scalar[8] = {};
  const void* scalarSource = nullptr;  // GPU rank: where `scalar` is read from when the call runs
  const char* send = nullptr;
  char* recv = nullptr;
  uint64_t tagBase = 0;
  Operation* after = nullptr;  // starts only once this one is done (collective order per comm)
  std::vector<char> stagedInput;  // a copy of `send` when the group overwrites it or it is converted
  void* stream = nullptr;           // the caller's stream (GPU ranks order the call on it)
  std::vector<uint64_t> pieceTags;  // one wire tag per piece (communicators with GPU ranks)
  // Does the call's host work (copies, reductions, scaling); nullptr: the communicator's. A GPU
  // rank's staged pieces name the host backend: they live in host memory, and its progress
  // thread makes no device runtime call.
  Backend* backend = nullptr;

  // Run state, owned by the executor. A Plan given before the run (planned) is run as it is;
  // otherwise the executor asks the communicator's schedule chooser.
  bool planned = false;
  std::shared_ptr<const Plan> plan;  // shared with the communicator's kept plans
  char* scratch = nullptr;
  size_t phase = 0;
  bool started = false;
  bool done = false;
  Status status = Status::Success;
  std::vector<Request> requests;
};

}  // namespace hccl
