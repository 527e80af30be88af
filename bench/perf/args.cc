#include "args.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "collectives.h"

namespace hccl::perf {
namespace {

struct NamedType {
  const char* name;
  const char* aliases;
  ncclDataType_t type;
};
const NamedType kTypes[] = {
    {"int8", "char", ncclInt8},           {"uint8", "", ncclUint8},
    {"int32", "int", ncclInt32},          {"uint32", "", ncclUint32},
    {"int64", "", ncclInt64},             {"uint64", "", ncclUint64},
    {"half", "float16 fp16", ncclFloat16}, {"float", "float32 fp32", ncclFloat32},
    {"double", "float64 fp64", ncclFloat64}, {"bfloat16", "bf16", ncclBfloat16},
    {"f8e4m3", "fp8_e4m3 float8e4m3", ncclFloat8e4m3},
    {"f8e5m2", "fp8_e5m2 float8e5m2", ncclFloat8e5m2},
};
const char* kOpNames[] = {"sum", "prod", "max", "min", "avg"};

const char* kUsage =
    "Usage: hccl-perf <collective> [flags]\n"
    "\n"
    "  collective: %s\n"
    "              (nccl-tests' names; also allreduce, allgather, reducescatter, bcast,\n"
    "              all_to_all, send_recv and <name>_perf)\n"
    "\n"
    "  -b,--minbytes <size>      smallest size (default 32M); sizes take K/M/G (powers of 1024)\n"
    "  -e,--maxbytes <size>      largest size (default 32M)\n"
    "  -i,--stepbytes <size>     additive step, used when -f is 1 (default 1M)\n"
    "  -f,--stepfactor <n>       multiplicative step when > 1 (default 1)\n"
    "  -n,--iters <n>            timed iterations per size (default 20)\n"
    "  -w,--warmup_iters <n>     untimed iterations at the largest and smallest size (default 1)\n"
    "  -m,--agg_iters <n>        collectives per ncclGroupStart/End in the timed loop (default 1)\n"
    "  -c,--check <n>            checked runs per measurement, 0 to skip checking (default 1)\n"
    "  -d,--datatype <type|all>  int8 uint8 int32 uint32 int64 uint64 half float double bfloat16\n"
    "                            f8e4m3 f8e5m2 (default float)\n"
    "  -o,--op <op|all>          sum prod max min avg (default sum)\n"
    "  -r,--root <rank|-1>       root of rooted collectives; -1 runs every root (default 0)\n"
    "  -a,--average <0|1|2|3>    how ranks' times combine, as nccl-tests: 0 rank 0's time,\n"
    "                            1 average (default), 2 minimum, 3 maximum\n"
    "  -z,--blocking <0|1>       accepted; host ranks always block until the collective is done\n"
    "  -G,--cudagraph <n>        accepted and ignored: host ranks have no CUDA graphs\n"
    "  -T,--timeout <seconds>    a rank gives up after this long on one measurement (0: never)\n"
    "  -t,--nthreads 1, -g,--ngpus 1, -p,--parallel_init, -y,--stream_null, -C,--report_cputime\n"
    "                            accepted for nccl-tests scripts (only -t 1 and -g 1)\n"
    "  -np <n>                   built-in launcher: fork n ranks on this host (default 1)\n"
    "  --bind-to <core|none>     built-in launcher: with no more ranks than cores, each rank on a\n"
    "                            core of its own, as mpirun does (core, the default), or anywhere\n"
    "  --device <cuda|hip>       buffers in GPU memory, through hccl's device plugin; each rank\n"
    "                            uses device rank %% count and a stream of its own (default: host)\n"
    "  --device-ranks <k>        with --device: only ranks below k are GPU ranks, the others CPU\n"
    "                            ranks (a mixed communicator; default: all)\n"
    "  -h,--help                 this text\n"
    "\n"
    "Launchers: without -np and without the variables below, one rank (-np 1).\n"
    "  mpirun -np N hccl-perf ...        OMPI_COMM_WORLD_*/PMI_* detected; the id travels by\n"
    "                                    MPI_Bcast (or HCCL_ID_FILE when built without MPI)\n"
    "  HCCL_RANK=r HCCL_NRANKS=N HCCL_ID_FILE=/shared/path hccl-perf ...\n"
    "                                    rank 0 writes the id there, the others wait for it\n"
    "\n"
    "Exit status: 0 all values correct, 1 wrong values or an error, 2 bad usage.\n";

[[noreturn]] void usageError(const std::string& msg) {
  std::fprintf(stderr, "hccl-perf: %s\n(hccl-perf -h lists the flags)\n", msg.c_str());
  std::exit(kExitUsage);
}

bool inList(std::string_view list, std::string_view name) {
  while (!list.empty()) {
    size_t space = list.find(' ');
    if (list.substr(0, space) == name) return true;
    if (space == std::string_view::npos) break;
    list.remove_prefix(space + 1);
  }
  return false;
}

// nccl-tests' parsesize: a number with an optional K, M or G (powers of 1024).
size_t parseSize(const std::string& flag, const char* s) {
  char* end;
  errno = 0;
  double v = std::strtod(s, &end);
  double unit = 1;
  if (*end == 'K' || *end == 'k') unit = 1024.0, end++;
  else if (*end == 'M' || *end == 'm') unit = 1024.0 * 1024, end++;
  else if (*end == 'G' || *end == 'g') unit = 1024.0 * 1024 * 1024, end++;
  if (*end == 'B' || *end == 'b') end++;
  if (end == s || *end || errno || !(v >= 0) || v * unit > 1e18)
    usageError("invalid size for " + flag + ": '" + s + "' (a number of bytes, with K/M/G)");
  return size_t(std::llround(v * unit));
}

long parseLong(const std::string& flag, const char* s, long lo, long hi) {
  char* end;
  errno = 0;
  long v = std::strtol(s, &end, 0);
  if (end == s || *end || errno || v < lo || v > hi)
    usageError("invalid value for " + flag + ": '" + s + "' (an integer from " +
               std::to_string(lo) + " to " + std::to_string(hi) + ")");
  return v;
}

std::vector<ncclDataType_t> parseTypes(const char* s) {
  std::vector<ncclDataType_t> out;
  for (const NamedType& t : kTypes) {
    if (std::strcmp(s, "all") == 0) out.push_back(t.type);
    else if (s == std::string_view(t.name) || inList(t.aliases, s)) return {t.type};
  }
  if (out.empty())
    usageError(std::string("unknown datatype '") + s + "' (int8 uint8 int32 uint32 int64 uint64 "
               "half float double bfloat16 f8e4m3 f8e5m2, or all)");
  return out;
}

std::vector<ncclRedOp_t> parseOps(const char* s) {
  std::vector<ncclRedOp_t> out;
  for (int i = 0; i < 5; i++) {
    if (std::strcmp(s, "all") == 0) out.push_back(ncclRedOp_t(i));
    else if (std::strcmp(s, kOpNames[i]) == 0) return {ncclRedOp_t(i)};
  }
  if (out.empty()) {
    if (std::strcmp(s, "mulsum") == 0) usageError("-o mulsum (PreMulSum) is not supported yet");
    usageError(std::string("unknown op '") + s + "' (sum prod max min avg, or all)");
  }
  return out;
}

struct Flag {
  char shortName;  // 0: none
  const char* longName;
};
const Flag kFlags[] = {{'b', "minbytes"},     {'e', "maxbytes"},       {'i', "stepbytes"},
                       {'f', "stepfactor"},   {'n', "iters"},          {'w', "warmup_iters"},
                       {'m', "agg_iters"},    {'c', "check"},          {'d', "datatype"},
                       {'o', "op"},           {'r', "root"},           {'a', "average"},
                       {'z', "blocking"},     {'G', "cudagraph"},      {'T', "timeout"},
                       {'t', "nthreads"},     {'g', "ngpus"},          {'p', "parallel_init"},
                       {'y', "stream_null"},  {'C', "report_cputime"}};

void apply(Options& o, char flag, const std::string& name, const char* v) {
  switch (flag) {
    case 'b': o.minBytes = parseSize(name, v); break;
    case 'e': o.maxBytes = parseSize(name, v); break;
    case 'i': o.stepBytes = parseSize(name, v); break;
    case 'f': o.stepFactor = size_t(parseLong(name, v, 1, 1 << 20)); break;
    case 'n': o.iters = int(parseLong(name, v, 1, 1 << 30)); break;
    case 'w': o.warmupIters = int(parseLong(name, v, 0, 1 << 30)); break;
    case 'm': o.aggIters = int(parseLong(name, v, 1, 1 << 20)); break;
    case 'c': o.check = int(parseLong(name, v, 0, 1 << 20)); break;
    case 'd': o.types = parseTypes(v); break;
    case 'o': o.ops = parseOps(v); break;
    case 'r': o.root = int(parseLong(name, v, -1, 1 << 24)); break;
    case 'a': o.average = int(parseLong(name, v, 0, 3)); break;
    case 'z': o.blocking = int(parseLong(name, v, 0, 1)); break;
    case 'G': o.graphLaunches = int(parseLong(name, v, 0, 1 << 20)); break;
    case 'T': o.timeoutSec = int(parseLong(name, v, 0, 1 << 24)); break;
    case 't': case 'g': parseLong(name, v, 1, 1); break;  // one rank per process, one "device"
    case 'p': case 'y': case 'C': parseLong(name, v, 0, 1); break;
  }
}

}  // namespace

const char* typeName(ncclDataType_t type) {
  for (const NamedType& t : kTypes)
    if (t.type == type) return t.name;
  return "?";
}

const char* opName(ncclRedOp_t op) { return int(op) >= 0 && int(op) < 5 ? kOpNames[op] : "?"; }

Options parseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; i++) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::printf(kUsage, collectiveNames());
      std::exit(kExitOk);
    }
    if (arg == "-np" || arg == "--np") {
      if (i + 1 >= argc) usageError("-np needs a value");
      o.np = int(parseLong("-np", argv[++i], 1, 4096));
      continue;
    }
    if (arg == "--bind-to") {
      if (i + 1 >= argc) usageError("--bind-to needs core or none");
      const std::string how = argv[++i];
      if (how != "core" && how != "none") usageError("--bind-to takes core or none");
      o.bindToCore = how == "core";
      continue;
    }
    // hccl-perf's own long flags: --device cuda, --device=cuda, --device-ranks 1.
    if (arg.rfind("--device", 0) == 0) {
      const size_t eq = arg.find('=');
      const std::string key = arg.substr(0, eq);
      if (key != "--device" && key != "--device-ranks") usageError("unknown flag '" + arg + "'");
      if (eq == std::string::npos && i + 1 >= argc) usageError(key + " needs a value");
      const std::string value = eq != std::string::npos ? arg.substr(eq + 1) : argv[++i];
      if (key == "--device-ranks") {
        o.deviceRanks = int(parseLong(key, value.c_str(), 0, 1 << 24));
      } else if (value == "cuda" || value == "hip") {
        o.device = value;
      } else {
        usageError("--device '" + value + "': cuda or hip");
      }
      continue;
    }
    if (arg.size() < 2 || arg[0] != '-' || (arg[1] >= '0' && arg[1] <= '9')) {
      if (o.coll) usageError("unexpected argument '" + arg + "' (the collective is already " +
                             o.coll->name + ")");
      o.coll = findCollective(arg);
      if (!o.coll) usageError("unknown collective '" + arg + "' (one of: " + collectiveNames() + ")");
      continue;
    }
    // -b 8, -b8, --minbytes 8, --minbytes=8
    const Flag* flag = nullptr;
    std::string name, value;
    bool haveValue = false;
    if (arg[1] == '-') {
      std::string body = arg.substr(2);
      size_t eq = body.find('=');
      std::string key = body.substr(0, eq);
      for (const Flag& f : kFlags)
        if (key == f.longName) flag = &f;
      name = "--" + key;
      if (eq != std::string::npos) value = body.substr(eq + 1), haveValue = true;
    } else {
      for (const Flag& f : kFlags)
        if (arg[1] == f.shortName) flag = &f;
      name = arg.substr(0, 2);
      if (arg.size() > 2) value = arg.substr(2), haveValue = true;
    }
    if (!flag) usageError("unknown flag '" + arg + "'");
    if (!haveValue) {
      if (i + 1 >= argc) usageError(name + " needs a value");
      value = argv[++i];
    }
    apply(o, flag->shortName, name, value.c_str());
  }

  if (!o.coll) usageError(std::string("no collective given (one of: ") + collectiveNames() + ")");
  if (o.minBytes > o.maxBytes)
    usageError("-b (" + std::to_string(o.minBytes) + ") is larger than -e (" +
               std::to_string(o.maxBytes) + ")");
  if (o.stepFactor <= 1 && o.stepBytes == 0 && o.minBytes < o.maxBytes)
    usageError("-i 0 with -f 1 would never reach -e");
  if (o.stepFactor > 1 && o.minBytes == 0 && o.maxBytes > 0)
    usageError("-b 0 with -f > 1 would never grow; start at -b 1 or more");
  if (o.deviceRanks >= 0 && o.device.empty()) usageError("--device-ranks needs --device");
  if (o.blocking) o.notes.push_back("-z 1: host ranks always block until the collective is done");
  if (o.graphLaunches)
    o.notes.push_back("-G " + std::to_string(o.graphLaunches) +
                      " ignored: host ranks have no CUDA graphs; collectives are called directly");
  return o;
}

}  // namespace hccl::perf
