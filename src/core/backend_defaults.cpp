// Out-of-line parts of the Backend interface every backend links: feature and buffer
// names, the Unsupported error, and the default (Unsupported) optional methods. They live
// in the core library so backends need nothing from the public API library.
#include <new>
#include <string>

#include "mk/backend.h"

namespace mk {

std::string_view to_string(Feature feature) noexcept {
  switch (feature) {
    case Feature::OneShot:
      return "one-shot dispatch";
    case Feature::IoQueue:
      return "I/O queue";
    case Feature::DebugLog:
      return "debug log";
    case Feature::CustomOpcodes:
      return "custom opcodes";
    case Feature::PayloadProcessor:
      return "payload processor (bootstrap_jit)";
    case Feature::DeviceTime:
      return "device timing";
    case Feature::ResidentHandles:
      return "resident handles";
    case Feature::ManyLaunch:
      return "many-launch graphs";
    case Feature::LiveSession:
      return "live session";
    case Feature::Trace:
      return "trace";
    case Feature::CompactBatch:
      return "compact batches";
  }
  return "unknown feature";
}

std::string_view to_string(BufferKind kind) noexcept {
  switch (kind) {
    case BufferKind::Control:
      return "control";
    case BufferKind::Ring:
      return "ring";
    case BufferKind::DebugLog:
      return "debug log";
    case BufferKind::IoQueue:
      return "I/O queue";
  }
  return "buffer";
}

Result<DeviceRegion> ResidentBuffers::device_region(BufferKind kind) const {
  return fail(ErrorKind::Unsupported,
              "these resident buffers do not expose the " + std::string(to_string(kind)) + " buffer's device memory",
              "read it with ResidentHandles::readback instead");
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

Result<LaunchStats> Backend::launch_batch(const Pipeline&, const BatchLaunch&) {
  return cuda::std::unexpected(unsupported(*this, Feature::CompactBatch));
}

Result<HostMemory> Backend::allocate_host(std::size_t bytes) {
  if (bytes == 0) return HostMemory{};
  // 64-byte alignment: a record array may be read with 16-byte loads, results by lines.
  void* p = ::operator new (bytes, std::align_val_t{64}, std::nothrow);
  if (p == nullptr)
    return fail(ErrorKind::InvalidArgument, "host allocation of " + std::to_string(bytes) + " bytes failed",
                "use smaller batches, or free memory");
  return HostMemory(p, bytes, [](void* q) noexcept { ::operator delete (q, std::align_val_t{64}); });
}

Result<std::unique_ptr<LiveEngine>> Backend::start_live(const Pipeline&, const LiveEngineConfig&) {
  return cuda::std::unexpected(unsupported(*this, Feature::LiveSession));
}

Result<RecoveryDecision> Backend::recover() {
  return fail(ErrorKind::Unsupported, "the " + std::string(name()) + " backend cannot recover from device loss",
              "restart the process");
}

std::string Backend::unsupported_fix(Feature) const {
  return name() == "cpu" ? "use the cuda backend on a machine with a GPU"
                         : "use a backend that supports it (see `megakernel info`)";
}

Error unsupported(const Backend& backend, Feature feature) {
  return Error(ErrorKind::Unsupported,
               "the " + std::string(backend.name()) + " backend does not support " + std::string(to_string(feature)),
               backend.unsupported_fix(feature));
}

}  // namespace mk
