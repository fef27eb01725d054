// Mapping of CUDA runtime errors onto mk::Error kinds with a fix.
#include "cuda/cuda_check.h"

#include <string>

namespace mk::detail {

bool is_sticky_cuda_error(cudaError_t error) noexcept {
  switch (error) {
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchFailure:
    case cudaErrorAssert:
    case cudaErrorHardwareStackError:
    case cudaErrorIllegalInstruction:
    case cudaErrorMisalignedAddress:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorLaunchTimeout:
    case cudaErrorECCUncorrectable:
    case cudaErrorDevicesUnavailable:
      return true;
    default:
      return false;
  }
}

Error cuda_error(cudaError_t error, const char* expr, const char* file, int line) {
  const bool sticky = is_sticky_cuda_error(error);
  if (!sticky) (void)cudaGetLastError();
  std::string message = std::string(cudaGetErrorName(error)) + " (" + cudaGetErrorString(error) + ") from `" + expr +
                        "` at " + file + ":" + std::to_string(line);
  if (sticky)
    return Error(ErrorKind::DeviceLost, std::move(message),
                 "the CUDA context is unusable: call Megakernel::recover_after_device_loss() or restart the process");
  return Error(ErrorKind::Backend, std::move(message),
               "check the device with `megakernel info` and `nvidia-smi`; reduce geometry if out of resources");
}

}  // namespace mk::detail
