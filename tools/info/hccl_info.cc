// hccl-info: what hccl sees on this machine, and (--params) every setting it reads.
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "backends/backend.h"
#include "core/bootstrap.h"
#include "core/config.h"
#include "core/params.h"
#include "core/socket.h"

namespace {

void printParams() {
  hccl::Config::fromEnvironment();  // makes sure every parameter is registered
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
  bool haveAddress = !hccl::failed(hccl::findLocalAddress(&address, &interfaceName));
  hccl::Backend& backend = hccl::hostBackend();
  printf("hccl %s (NCCL ABI %d)\n", HCCL_VERSION_STRING, HCCL_NCCL_VERSION_CODE);
  printf("host         %s, %d usable cores, host hash %016llx\n", host, cores,
         static_cast<unsigned long long>(hccl::localHostHash()));
  printf("backends     %s (device %d)\n", backend.name(), backend.deviceIndex());
  printf("bootstrap    %s via %s\n", haveAddress ? address.str().c_str() : "no usable interface",
         haveAddress ? interfaceName.c_str() : "-");
  hccl::Config config = hccl::Config::fromEnvironment();
  printf("transports   shm (%s, %zu-byte rings), tcp\n", config.shmDisable ? "disabled" : "enabled",
         config.bufferBytes);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--params") == 0) {
    printParams();
    return 0;
  }
  if (argc > 1) {
    fprintf(stderr, "usage: hccl-info [--params]\n");
    return 2;
  }
  printMachine();
  return 0;
}
