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

std::string_view to_string(BufferKind kind) noexcept {
  switch (kind) {
    case BufferKind::Control: return "control";
    case BufferKind::Ring: return "ring";
    case BufferKind::DebugLog: return "debug log";
    case BufferKind::IoQueue: return "I/O queue";
  }
  return "buffer";
}

Result<std::unique_ptr<ResidentBuffers>> Backend::create_resident(const HostBuffers&) {
  return cuda::std::unexpected(unsupported(*this, Feature::ResidentHandles));
}

Result<LaunchStats> Backend::launch_resident(const Pipeline&, ResidentBuffers&) {
  return cuda::std::unexpected(unsupported(*this, Feature::ResidentHandles));
}

Result<LaunchStats> Backend::launch_resident_many(const Pipeline&, ResidentBuffers&, std::span<const Submission>,
                                                  std::uint32_t*) {
  return cuda::std::unexpected(unsupported(*this, Feature::ManyLaunch));
}

Result<RecoveryDecision> Backend::recover() {
  return fail(ErrorKind::Unsupported, "the " + std::string(name()) + " backend cannot recover from device loss",
              "restart the process");
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
