// cudaHostRegister / cudaHostUnregister for the worker's shared segments.
#include "isolate/worker/host_register.h"

#include <string>

#if MK_HAVE_CUDA
#include <cuda_runtime.h>
#endif

namespace mk::isolate::worker {

#if MK_HAVE_CUDA
Status register_host(void* data, std::size_t bytes) {
  const cudaError_t e = cudaHostRegister(data, bytes, cudaHostRegisterMapped | cudaHostRegisterPortable);
  if (e == cudaSuccess) return {};
  (void)cudaGetLastError();
  return fail(ErrorKind::Backend,
              std::string("cudaHostRegister of a shared segment of ") + std::to_string(bytes) +
                  " bytes failed: " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")",
              "raise the locked-memory limit (ulimit -l) or use smaller rings and buffers");
}
void unregister_host(void* data) noexcept {
  if (cudaHostUnregister(data) != cudaSuccess) (void)cudaGetLastError();
}
#else
Status register_host(void*, std::size_t) { return {}; }
void unregister_host(void*) noexcept {}
#endif

}  // namespace mk::isolate::worker
