// CUDA error handling: one check macro that turns a failed runtime call into mk::Error.
#pragma once

#include <cuda_runtime.h>

#include "mk/error.h"

namespace mk::detail {

// Sticky errors leave the context unusable: they become DeviceLost.
bool is_sticky_cuda_error(cudaError_t error) noexcept;

// Build the Error for a failed call; clears the (non-sticky) last error.
Error cuda_error(cudaError_t error, const char* expr, const char* file, int line);

}  // namespace mk::detail

// Evaluate a CUDA runtime call; on failure return the error from the enclosing
// function (which returns mk::Result<T> or mk::Status).
#define MK_CUDA_CHECK(expr)                                                      \
  do {                                                                           \
    const cudaError_t mk_cuda_status_ = (expr);                                  \
    if (mk_cuda_status_ != cudaSuccess)                                          \
      return ::cuda::std::unexpected<::mk::Error>(                               \
          ::mk::detail::cuda_error(mk_cuda_status_, #expr, __FILE__, __LINE__)); \
  } while (0)

// For destructors: report nothing, never throw, but clear a non-sticky error.
#define MK_CUDA_CHECK_NOEXCEPT(expr)                     \
  do {                                                   \
    if ((expr) != cudaSuccess) (void)cudaGetLastError(); \
  } while (0)
