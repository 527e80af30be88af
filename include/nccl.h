/*
 * nccl.h: lets programs written for NCCL compile against hccl unchanged.
 * Everything is declared in hccl.h.
 */
#ifndef HCCL_NCCL_H_
#define HCCL_NCCL_H_

#include "hccl.h"

#endif /* HCCL_NCCL_H_ */
