// Reading the settings: the environment (HCCL_* over NCCL_*), once per communicator. The only
// place besides logging (base/log.cc) that declares parameters, so `hccl-info --params` lists
// them all from here.
#pragma once

#include "exec/config.h"

namespace hccl {

Config configFromEnvironment();
// HCCL_BACKEND and HCCL_BACKEND_PLUGIN alone, for the calls that have no communicator
// (ncclMemAlloc, ncclMemFree).
BackendChoice backendChoiceFromEnvironment();

}  // namespace hccl
