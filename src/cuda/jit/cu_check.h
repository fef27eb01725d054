// The CUDA driver API, resolved at run time through the runtime's entry-point query (so
// nothing links libcuda.so and hosts without a driver still load the library), and the
// driver-API equivalent of MK_CUDA_CHECK.
#pragma once

#include <cuda.h>

#include "mk/error.h"

namespace mk::detail {

// The driver functions the JIT uses; every pointer is non-null once resolved.
struct DriverApi {
  decltype(&::cuGetErrorName) get_error_name = nullptr;
  decltype(&::cuGetErrorString) get_error_string = nullptr;
  decltype(&::cuCtxGetCurrent) ctx_get_current = nullptr;
  decltype(&::cuCtxPushCurrent) ctx_push_current = nullptr;
  decltype(&::cuCtxPopCurrent) ctx_pop_current = nullptr;
  decltype(&::cuModuleLoadData) module_load_data = nullptr;
  decltype(&::cuModuleUnload) module_unload = nullptr;
  decltype(&::cuModuleGetFunction) module_get_function = nullptr;
  decltype(&::cuOccupancyMaxActiveBlocksPerMultiprocessor) occupancy_max_active_blocks = nullptr;
  decltype(&::cuLaunchKernelEx) launch_kernel_ex = nullptr;
};

// Resolved once per process; Backend error when the driver lacks a function.
Result<const DriverApi*> driver_api();

// Sticky driver errors leave the context unusable: they become DeviceLost.
bool is_sticky_cu_error(CUresult error) noexcept;
Error cu_error(CUresult error, const char* expr, const char* file, int line);

}  // namespace mk::detail

// Evaluate a driver call; on failure return the error from the enclosing function
// (which returns mk::Result<T> or mk::Status).
#define MK_CU_CHECK(expr)                                                                                            \
  do {                                                                                                               \
    const CUresult mk_cu_status_ = (expr);                                                                           \
    if (mk_cu_status_ != CUDA_SUCCESS)                                                                               \
      return ::cuda::std::unexpected<::mk::Error>(::mk::detail::cu_error(mk_cu_status_, #expr, __FILE__, __LINE__)); \
  } while (0)

// For destructors: report nothing, never throw.
#define MK_CU_CHECK_NOEXCEPT(expr) static_cast<void>(expr)
