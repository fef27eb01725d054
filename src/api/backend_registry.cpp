// Backend selection by name ("auto", "cpu", "cuda"), in process or isolated, and CUDA device detection.
#include <string>

#include "isolate/supervised_backend.h"
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

Result<std::shared_ptr<Backend>> make_backend(std::string_view name) { return make_backend(name, BackendOptions{}); }

Result<std::shared_ptr<Backend>> make_backend(std::string_view name, const BackendOptions& options) {
  // The caller's process never touches CUDA here: the worker decides what "auto" means.
  if (options.isolation == Isolation::Process) return isolate::make_supervised_backend(name, options);
  if (name == "cpu") return make_cpu_backend(options.cpu);
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
    return make_cpu_backend(options.cpu);
  }
  return fail(ErrorKind::InvalidArgument, "unknown backend \"" + std::string(name) + "\"",
              "use one of: auto, cpu, cuda");
}

}  // namespace mk
