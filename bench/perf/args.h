// hccl-perf's command line: nccl-tests' flags, plus -np for the built-in launcher.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "nccl.h"

namespace hccl::perf {

struct Collective;

// Exit statuses: 0 every value right, 1 a wrong value or a runtime error, 2 a usage error.
constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

struct Options {
  const Collective* coll = nullptr;
  size_t minBytes = 32u << 20;     // -b  (nccl-tests' defaults)
  size_t maxBytes = 32u << 20;     // -e
  size_t stepBytes = 1u << 20;     // -i  used when stepFactor <= 1
  size_t stepFactor = 1;           // -f  >1: multiply the size each step
  int iters = 20;                  // -n
  int warmupIters = 1;             // -w
  int aggIters = 1;                // -m  collectives per ncclGroupStart/End in the timed loop
  int check = 1;                   // -c  number of checked runs per measurement (0: none)
  std::vector<ncclDataType_t> types{ncclFloat};  // -d
  std::vector<ncclRedOp_t> ops{ncclSum};         // -o
  int root = 0;                    // -r  -1: every rank in turn
  int average = 1;                 // -a  0 rank 0, 1 average, 2 min, 3 max
  int blocking = 0;                // -z  accepted; host ranks always block
  int graphLaunches = 0;           // -G  accepted and ignored
  int timeoutSec = 0;              // -T  0: none
  int np = 0;                      // -np 0: not given
  bool bindToCore = true;          // --bind-to core|none (built-in launcher)
  std::string device;              // --device cuda|hip: buffers in GPU memory ("": host)
  int deviceRanks = -1;            // --device-ranks k: only ranks below k use the GPU (-1: all)
  std::vector<std::string> notes;  // printed in the header ("# ..." lines)
};

// Parses argv. On -h prints the usage and exits 0; on a bad flag prints why and exits 2.
Options parseArgs(int argc, char** argv);

const char* typeName(ncclDataType_t type);
const char* opName(ncclRedOp_t op);

}  // namespace hccl::perf
