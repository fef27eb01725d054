// Backend selection by name ("auto", "cpu", "cuda") and CUDA device detection.
#include <string>

#include "mk/backend.h"
#if MK_HAVE_CUDA
#include "cuda/factory.h"
#endif

namespace mk {

bool cuda_available() noexcept {
#if MK_HAVE_CUDA
  return detail::cuda_device_count() > 0;
#else
  return false;
#endif
}

Result<std::shared_ptr<Backend>> make_backend(std::string_view name) {
  if (name == "cpu") return make_cpu_backend();
  if (name == "cuda") {
#if MK_HAVE_CUDA
    if (detail::cuda_device_count() == 0)
      return fail(ErrorKind::Unsupported, "no CUDA device is visible to this process",
                  "run on a machine with an NVIDIA GPU and driver, or use the CPU backend (make_backend(\"cpu\"))");
    return detail::make_cuda_backend();
#else
    return fail(ErrorKind::Unsupported, "this build has no CUDA backend (nvcc was not found at configure time)",
                "install the CUDA toolkit and reconfigure with -DMK_ENABLE_CUDA=ON, or use the CPU backend "
                "(make_backend(\"cpu\"))");
#endif
  }
  if (name == "auto") {
#if MK_HAVE_CUDA
    // A present device whose backend fails to start is an error, never a silent CPU run.
    if (detail::cuda_device_count() > 0) return detail::make_cuda_backend();
#endif
    return make_cpu_backend();
  }
  return fail(ErrorKind::InvalidArgument, "unknown backend \"" + std::string(name) + "\"",
              "use one of: auto, cpu, cuda");
}

}  // namespace mk
