// Driver entry points through cudaGetDriverEntryPointByVersion, and CUresult -> mk::Error.
#include "cuda/jit/cu_check.h"

#include <cuda_runtime.h>

#include <mutex>
#include <string>

namespace mk::detail {
namespace {

template <class F>
cudaError_t resolve(const char* symbol, F& fn, std::string& missing) {
  void* p = nullptr;
  cudaDriverEntryPointQueryResult status = cudaDriverEntryPointSymbolNotFound;
  const cudaError_t e = cudaGetDriverEntryPointByVersion(symbol, &p, CUDA_VERSION, cudaEnableDefault, &status);
  if (e != cudaSuccess || status != cudaDriverEntryPointSuccess || p == nullptr) {
    missing += (missing.empty() ? "" : ", ") + std::string(symbol);
    return e != cudaSuccess ? e : cudaErrorSymbolNotFound;
  }
  fn = reinterpret_cast<F>(p);
  return cudaSuccess;
}

}  // namespace

Result<const DriverApi*> driver_api() {
  static DriverApi api;
  static std::string missing;
  static cudaError_t first_error = cudaSuccess;
  static std::once_flag once;
  std::call_once(once, [] {
    const cudaError_t results[] = {
        resolve("cuGetErrorName", api.get_error_name, missing),
        resolve("cuGetErrorString", api.get_error_string, missing),
        resolve("cuCtxGetCurrent", api.ctx_get_current, missing),
        resolve("cuCtxPushCurrent", api.ctx_push_current, missing),
        resolve("cuCtxPopCurrent", api.ctx_pop_current, missing),
        resolve("cuModuleLoadData", api.module_load_data, missing),
        resolve("cuModuleUnload", api.module_unload, missing),
        resolve("cuModuleGetFunction", api.module_get_function, missing),
        resolve("cuOccupancyMaxActiveBlocksPerMultiprocessor", api.occupancy_max_active_blocks, missing),
        resolve("cuLaunchKernelEx", api.launch_kernel_ex, missing),
    };
    for (cudaError_t e : results)
      if (e != cudaSuccess && first_error == cudaSuccess) first_error = e;
    (void)cudaGetLastError();  // a failed query is an answer, not a sticky error
  });
  if (!missing.empty())
    return fail(ErrorKind::Backend,
                "the CUDA driver does not provide " + missing + " (" + cudaGetErrorName(first_error) +
                    "), needed to load JIT-compiled opcodes",
                "install an NVIDIA driver that supports CUDA " + std::to_string(CUDA_VERSION / 1000) + "." +
                    std::to_string(CUDA_VERSION % 1000 / 10) + " or newer");
  return &api;
}

bool is_sticky_cu_error(CUresult error) noexcept {
  switch (error) {
    case CUDA_ERROR_ILLEGAL_ADDRESS:
    case CUDA_ERROR_LAUNCH_FAILED:
    case CUDA_ERROR_ASSERT:
    case CUDA_ERROR_HARDWARE_STACK_ERROR:
    case CUDA_ERROR_ILLEGAL_INSTRUCTION:
    case CUDA_ERROR_MISALIGNED_ADDRESS:
    case CUDA_ERROR_INVALID_ADDRESS_SPACE:
    case CUDA_ERROR_INVALID_PC:
    case CUDA_ERROR_LAUNCH_TIMEOUT:
    case CUDA_ERROR_ECC_UNCORRECTABLE:
    case CUDA_ERROR_CONTEXT_IS_DESTROYED:
      return true;
    default:
      return false;
  }
}

Error cu_error(CUresult error, const char* expr, const char* file, int line) {
  const char* name = nullptr;
  const char* text = nullptr;
  if (auto api = driver_api(); api) {
    (*api)->get_error_name(error, &name);
    (*api)->get_error_string(error, &text);
  }
  std::string message = (name ? std::string(name) : "CUresult " + std::to_string(static_cast<int>(error))) + " (" +
                        (text ? text : "unknown driver error") + ") from `" + expr + "` at " + file + ":" +
                        std::to_string(line);
  if (is_sticky_cu_error(error))
    return Error(ErrorKind::DeviceLost, std::move(message),
                 "the CUDA context is unusable: call Megakernel::recover_after_device_loss() or restart the process");
  return Error(ErrorKind::Backend, std::move(message),
               "check the device with `megakernel info` and `nvidia-smi`; reduce geometry if out of resources");
}

}  // namespace mk::detail
