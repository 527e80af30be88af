/* Fills the ABI table from hccl's nccl.h, compiled as C11 (enum and bool sizes are the
 * C compiler's here). */
#include <nccl.h>

#include "abi_fill.h"

#if !defined(HCCL_H_)
#error "table_ours_c.c must see hccl's nccl.h"
#endif

void abiFillOursC(AbiTable* table) {
  table->count = 0;
  table->overflow = 0;
  ncclConfig_t cfg = NCCL_CONFIG_INITIALIZER;
  ncclSimInfo_t sim = NCCL_SIM_INFO_INITIALIZER;
#include "abi_items.inc"
}
