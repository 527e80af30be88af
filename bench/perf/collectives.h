// The collectives hccl-perf measures, described as nccl-tests describes them: how a size in
// bytes becomes element counts and in-place offsets, how bandwidth is computed, how to call it,
// and what every rank's output must hold.
#pragma once

#include <cstddef>
#include <string_view>

#include "nccl.h"

namespace hccl::perf {

// Element counts for one size, as nccl-tests' getCollByteCount returns them.
struct Counts {
  size_t send = 0;          // elements in this rank's send buffer
  size_t recv = 0;          // elements in this rank's receive buffer
  size_t param = 0;         // the count argument passed to the call
  size_t sendInplace = 0;   // in place: send = recvbuf + sendInplace * rank (elements)
  size_t recvInplace = 0;   // in place: recv = recvbuf + recvInplace * rank (elements)
};

// Where rank `rank`'s output element k comes from.
struct Source {
  enum Kind { Unchecked, Copy, Reduce } kind = Unchecked;
  int rank = 0;        // Copy: the rank whose input element `index` lands here
  size_t index = 0;    // Copy: index into that rank's send buffer; Reduce: the reduced index
};

struct Collective {
  const char* name;       // nccl-tests' name, e.g. "all_reduce"
  const char* aliases;    // other accepted spellings, space separated
  const char* api;        // the NCCL call(s) it makes, for error messages
  bool hasOp;             // takes a reduction operator
  bool hasRoot;           // takes a root
  Counts (*counts)(size_t count, size_t eltSize, int nranks);
  // algbw = count * eltSize * algFactor(n) / time; busbw = algbw * busFactor(n).
  double (*algFactor)(int nranks);
  double (*busFactor)(int nranks);
  ncclResult_t (*run)(const void* send, void* recv, size_t count, ncclDataType_t type,
                      ncclRedOp_t op, int root, int rank, int nranks, ncclComm_t comm,
                      cudaStream_t stream);
  Source (*source)(size_t k, const Counts& c, int rank, int nranks, int root);
};

// nullptr when the name is unknown; accepts nccl-tests' names, aliases and "<name>_perf".
const Collective* findCollective(std::string_view name);
// "all_reduce all_gather ..." for the usage text.
const char* collectiveNames();

}  // namespace hccl::perf
