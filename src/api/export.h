// Every exported function is defined with NCCL_API and followed by NCCL_PROFILING_ALIAS, which
// exports the same code as pncclX (NCCL's profiling interface). Everything else stays hidden.
#pragma once

#include "nccl.h"

#define NCCL_API extern "C" __attribute__((visibility("default")))
#define NCCL_PROFILING_ALIAS(name) \
  extern "C" __attribute__((visibility("default"), alias(#name))) __typeof__(name) p##name
