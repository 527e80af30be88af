// hccl-info: what hccl sees on this machine, (--params) every setting it reads, and (--topo*)
// the topology: this machine's as discovered, HCCL_TOPO_FILE's when set, or a file's (--file).
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <utility>
#include <string>

#include "backends/backend.h"
#include "base/error.h"
#include "base/params.h"
#include "core/bootstrap.h"
#include "core/config.h"
#include "topology/discover.h"
#include "topology/topology_file.h"
#include "topology/topology_render.h"
#include "topology/topology_writer.h"
#include "transport/socket.h"

namespace {

void printParams() {
  hccl::configFromEnvironment();  // makes sure every parameter is registered
  printf("%-28s %-12s %s\n", "setting", "default", "meaning (HCCL_<NAME> wins over NCCL_<NAME>)");
  for (const hccl::ParamInfo* p : hccl::allParams()) {
    std::string name = std::string(p->ncclAlias ? "[NCCL_|HCCL_]" : "HCCL_") + p->name;
    const char* value = hccl::rawParam(*p);
    printf("%-28s %-12s %s%s%s\n", name.c_str(), p->defaultText[0] ? p->defaultText : "-", p->description,
           value ? "  [set: " : "", value ? (std::string(value) + "]").c_str() : "");
  }
}

void printMachine() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  cpu_set_t cpus;
  int cores = sched_getaffinity(0, sizeof(cpus), &cpus) == 0 ? CPU_COUNT(&cpus) : -1;
  hccl::SocketAddress address;
  std::string interfaceName;
  bool haveAddress = !hccl::failed(hccl::findLocalAddress(hccl::configFromEnvironment().sockets, &address, &interfaceName));
  hccl::Backend& backend = hccl::hostBackend();
  printf("hccl %s (NCCL ABI %d)\n", HCCL_VERSION_STRING, HCCL_NCCL_VERSION_CODE);
  printf("host         %s, %d usable cores, host hash %016llx\n", host, cores,
         static_cast<unsigned long long>(hccl::localHostHash()));
  printf("backends     %s (device %d)\n", backend.name(), backend.deviceIndex());
  printf("bootstrap    %s via %s\n", haveAddress ? address.str().c_str() : "no usable interface",
         haveAddress ? interfaceName.c_str() : "-");
  hccl::Config config = hccl::configFromEnvironment();
  printf("transports   shm (%s, %zu-byte rings), tcp\n", config.shmDisable ? "disabled" : "enabled",
         config.bufferBytes);
}

enum class TopoFormat { None, Text, Json, Dot };

// The topology to show: `file` when given, else HCCL_TOPO_FILE when set, else this machine.
int printTopology(TopoFormat format, std::string file) {
  if (file.empty()) file = hccl::configFromEnvironment().topologyFile;
  hccl::topo::Topology topology;
  if (!file.empty()) {
    if (hccl::failed(hccl::topo::loadTopologyFile(file, &topology))) {
      fprintf(stderr, "hccl-info: %s\n", hccl::threadLastError().c_str());
      return 1;
    }
  } else {
    hccl::topo::Node node;
    if (hccl::failed(hccl::topo::discoverLocalNode(&node))) {
      fprintf(stderr, "hccl-info: topology discovery failed: %s\n", hccl::threadLastError().c_str());
      return 1;
    }
    topology = hccl::topo::singleNodeTopology(std::move(node));
  }
  switch (format) {
    case TopoFormat::Json: fputs(hccl::topo::topologyToJson(topology).c_str(), stdout); break;
    case TopoFormat::Dot: fputs(hccl::topo::topologyToDot(topology).c_str(), stdout); break;
    case TopoFormat::None:
    case TopoFormat::Text: fputs(hccl::topo::topologyToText(topology).c_str(), stdout); break;
  }
  return 0;
}

int usage() {
  fprintf(stderr,
          "usage: hccl-info                        this machine and hccl's view of it\n"
          "       hccl-info --params               every setting hccl reads\n"
          "       hccl-info --topo|--topo-json|--topo-dot [--file PATH]\n"
          "                                        the topology (this machine, HCCL_TOPO_FILE, or PATH)\n"
          "                                        as text, JSON or Graphviz\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  bool params = false;
  TopoFormat format = TopoFormat::None;
  std::string file;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--params") params = true;
    else if (arg == "--topo") format = TopoFormat::Text;
    else if (arg == "--topo-json") format = TopoFormat::Json;
    else if (arg == "--topo-dot") format = TopoFormat::Dot;
    else if (arg == "--file" && i + 1 < argc) file = argv[++i];
    else return usage();
  }
  if (params && (format != TopoFormat::None || !file.empty())) return usage();
  if (params) {
    printParams();
    return 0;
  }
  if (format != TopoFormat::None || !file.empty()) return printTopology(format, file);
  printMachine();
  return 0;
}
