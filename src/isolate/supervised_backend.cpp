// SupervisedBackend: features, devices, pipelines, live sessions and recovery forwarded to
// the worker; resident handles are refused (device-owned buffers would die with it).
#include "isolate/supervised_backend.h"

#include "isolate/supervised_live.h"
#include "isolate/supervised_pipeline.h"
#include "mk/detail/pipeline_cast.h"

namespace mk::isolate {

SupervisedBackend::~SupervisedBackend() { m_supervisor->drop_segment(m_staging); }

bool SupervisedBackend::supports(Feature feature) const noexcept {
  switch (feature) {
    case Feature::ResidentHandles:
    case Feature::ManyLaunch:
    case Feature::Trace:
      return false;  // not forwarded (docs/architecture.md "Isolation": scope)
    default:
      return (m_supervisor->hello().features & feature_bit(feature)) != 0;
  }
}

std::vector<DeviceInfo> SupervisedBackend::devices() const {
  std::vector<DeviceInfo> devices = m_supervisor->hello().devices;
  for (DeviceInfo& d : devices) d.name += " (isolated worker process)";
  return devices;
}

Result<std::shared_ptr<const Pipeline>> SupervisedBackend::build_pipeline(const PipelineSpec& spec) {
  auto pipeline = std::make_shared<SupervisedPipeline>(m_supervisor, m_next_pipeline++, spec);
  // Built now, so a bad custom opcode or a failed JIT surfaces at bootstrap; a worker
  // restart rebuilds it from the spec on first use.
  auto handle =
      m_supervisor->transact("building a pipeline", [&](Supervisor::Link& link) { return pipeline->handle(link); });
  if (!handle) return cuda::std::unexpected(std::move(handle.error()));
  return std::shared_ptr<const Pipeline>(std::move(pipeline));
}

Error SupervisedBackend::resident_unsupported() const {
  return Error(ErrorKind::Unsupported,
               "the isolated " + std::string(name()) +
                   " backend has no resident handles or many-launch graphs: device-owned buffers would die with "
                   "its worker process",
               "use make_backend(\"" + std::string(name()) +
                   "\") (Isolation::InProcess) for resident dispatch, or the one-shot, batch or live paths here");
}

Result<std::unique_ptr<ResidentBuffers>> SupervisedBackend::create_resident(const HostBuffers&) {
  return cuda::std::unexpected(resident_unsupported());
}

Result<LaunchStats> SupervisedBackend::launch_resident(const Pipeline&, ResidentBuffers&) {
  return cuda::std::unexpected(resident_unsupported());
}

Result<LaunchStats> SupervisedBackend::launch_resident_many(const Pipeline&, ResidentBuffers&,
                                                            std::span<const Submission>, std::uint32_t*) {
  return cuda::std::unexpected(resident_unsupported());
}

Result<std::unique_ptr<LiveEngine>> SupervisedBackend::start_live(const Pipeline& pipeline,
                                                                  const LiveEngineConfig& config) {
  auto cast = detail::pipeline_as<SupervisedPipeline>(pipeline);
  if (!cast) return cuda::std::unexpected(std::move(cast.error()));
  // The link keeps the pipeline: it rebuilds it in every new worker after a restart.
  return start_supervised_live(m_supervisor, (*cast)->shared_from_this(), config);
}

Result<RecoveryDecision> SupervisedBackend::recover() { return m_supervisor->recover(); }

std::string SupervisedBackend::unsupported_fix(Feature feature) const {
  if (feature == Feature::ResidentHandles || feature == Feature::ManyLaunch || feature == Feature::Trace)
    return "isolated backends do not forward " + std::string(to_string(feature)) + ": use make_backend(\"" +
           std::string(name()) + "\") in process (Isolation::InProcess) for it";
  return Backend::unsupported_fix(feature);
}

Result<std::shared_ptr<Backend>> make_supervised_backend(std::string_view name, const BackendOptions& options,
                                                         std::vector<std::string> backends) {
  auto supervisor = Supervisor::start(name, options, std::move(backends));
  if (!supervisor) return cuda::std::unexpected(std::move(supervisor.error()));
  return std::shared_ptr<Backend>(std::make_shared<SupervisedBackend>(std::move(*supervisor)));
}

}  // namespace mk::isolate
