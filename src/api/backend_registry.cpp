// Backend selection by name, feature names, and the Unsupported error.
#include <string>

#include "mk/backend.h"
#if MK_HAVE_CUDA
#include "cuda/factory.h"
#endif

namespace mk {

std::string_view to_string(Feature feature) noexcept {
  switch (feature) {
    case Feature::OneShot: return "one-shot dispatch";
    case Feature::IoQueue: return "I/O queue";
    case Feature::DebugLog: return "debug log";
    case Feature::CustomOpcodes: return "custom opcodes";
    case Feature::PayloadProcessor: return "payload processor (bootstrap_jit)";
    case Feature::DeviceTime: return "device timing";
    case Feature::ResidentHandles: return "resident handles";
    case Feature::ManyLaunch: return "many-launch graphs";
    case Feature::LiveSession: return "live session";
    case Feature::Trace: return "trace";
  }
  return "unknown feature";
}

Error unsupported(const Backend& backend, Feature feature) {
  return Error(ErrorKind::Unsupported,
               "the " + std::string(backend.name()) + " backend does not support " + std::string(to_string(feature)),
               backend.name() == "cpu" ? "use the cuda backend on a machine with a GPU"
                                       : "use a backend that supports it (see `megakernel info`)");
}

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
                  "run on a machine with an NVIDIA GPU and driver, or use --backend cpu");
    return detail::make_cuda_backend();
#else
    return fail(ErrorKind::Unsupported, "this build has no CUDA backend (nvcc was not found at configure time)",
                "install the CUDA toolkit and reconfigure with -DMK_ENABLE_CUDA=ON, or use --backend cpu");
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
