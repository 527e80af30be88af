// Fills the ABI table from NVIDIA's NCCL 2.28.9 headers (the reference). Built only where
// they exist; the include path holds the reference directory and not hccl's include/.
#include <nccl.h>
#include <nccl_device.h>

#if defined(HCCL_H_)
#error "table_real.cc must see NVIDIA's nccl.h, not hccl's"
#endif

// Pick the host overload of an overloaded device-API function; compiles only if it exists.
#define ABI_SIGNATURE_AS(f, ...) \
  abiAdd(table, "type of " #f, 0, typeid(decltype(static_cast<__VA_ARGS__>(&f))).name());
#include "abi_fill.h"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

extern "C" void abiFillReference(AbiTable* table) {
  table->count = 0;
  table->overflow = 0;
  ncclConfig_t cfg = NCCL_CONFIG_INITIALIZER;
  ncclSimInfo_t sim = NCCL_SIM_INFO_INITIALIZER;
#include "abi_items.inc"
}
