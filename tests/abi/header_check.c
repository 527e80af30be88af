/* hccl's public headers compile cleanly as C11 (built with -Wall -Wextra -pedantic -Werror).
 * Both spellings, twice each, to check the include guards. */
#include <hccl.h>
#include <nccl.h>
#include <hccl.h>
#include <nccl.h>

int hcclAbiHeaderCheckC(void);
int hcclAbiHeaderCheckC(void) {
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  ncclSimInfo_t sim = NCCL_SIM_INFO_INITIALIZER;
  ncclComm_t comm = NCCL_COMM_NULL;
  cudaStream_t stream = NULL;
  (void)comm;
  (void)stream;
  return (int)config.version + (int)sim.version;
}
