// hccl's public headers compile cleanly as C++ (built with -Wall -Wextra -pedantic -Werror).
#include <hccl.h>
#include <nccl.h>

int hcclAbiHeaderCheckCxx();
int hcclAbiHeaderCheckCxx() {
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  ncclSimInfo_t sim = NCCL_SIM_INFO_INITIALIZER;
  ncclComm_t comm = NCCL_COMM_NULL;
  cudaStream_t stream = nullptr;
  static_cast<void>(comm);
  static_cast<void>(stream);
  return static_cast<int>(config.version + sim.version);
}
