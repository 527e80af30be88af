/* hccl's nccl.h and CUDA's runtime header in one translation unit, in the order chosen by
 * HCCL_CUDA_FIRST: both declare cudaStream_t, identically. Built where CUDA's headers exist,
 * as C11 and (from header_with_cuda.cc) as C++. */
#if HCCL_CUDA_FIRST
#include <cuda_runtime.h>
#include <nccl.h>
#else
#include <nccl.h>
#include <cuda_runtime.h>
#endif

#if !defined(HCCL_H_)
#error "expected hccl's nccl.h"
#endif

/* one name per (order, language): all four objects link into the layout test */
#if HCCL_CUDA_FIRST && defined(__cplusplus)
#define HCCL_CHECK_NAME hcclAbiCudaFirstCxx
#elif HCCL_CUDA_FIRST
#define HCCL_CHECK_NAME hcclAbiCudaFirstC
#elif defined(__cplusplus)
#define HCCL_CHECK_NAME hcclAbiCudaLastCxx
#else
#define HCCL_CHECK_NAME hcclAbiCudaLastC
#endif

#ifdef __cplusplus
extern "C" {
#endif
int HCCL_CHECK_NAME(cudaStream_t stream);
int HCCL_CHECK_NAME(cudaStream_t stream) {
  cudaStream_t same = stream; /* the two typedefs name one type */
  return same == (cudaStream_t)0;
}
#ifdef __cplusplus
}
#endif
