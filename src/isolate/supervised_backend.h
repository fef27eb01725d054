// The isolated backend: implements Backend by forwarding to a supervised worker process,
// so Megakernel and LiveSession work unchanged (docs/architecture.md "Isolation").
#pragma once

#include <atomic>
#include <memory>
#include <string_view>
#include <vector>

#include "isolate/supervisor.h"
#include "mk/backend.h"

namespace mk::isolate {

class SupervisedBackend final : public Backend {
 public:
  explicit SupervisedBackend(std::shared_ptr<Supervisor> supervisor) : m_supervisor(std::move(supervisor)) {}
  ~SupervisedBackend() override;

  std::string_view name() const noexcept override { return m_supervisor->hello().backend; }
  bool supports(Feature feature) const noexcept override;
  std::vector<DeviceInfo> devices() const override;
  Result<std::shared_ptr<const Pipeline>> build_pipeline(const PipelineSpec& spec) override;
  // Buffers are copied into a shared staging segment and back (supervised_dispatch.cpp).
  Result<LaunchStats> launch_one_shot(const Pipeline& pipeline, const BufferSet& buffers,
                                      std::vector<TraceEvent>* trace) override;
  Result<LaunchStats> launch_batch(const Pipeline& pipeline, const BatchLaunch& launch) override;
  Result<std::unique_ptr<ResidentBuffers>> create_resident(const HostBuffers& initial) override;
  Result<LaunchStats> launch_resident(const Pipeline& pipeline, ResidentBuffers& buffers) override;
  Result<LaunchStats> launch_resident_many(const Pipeline& pipeline, ResidentBuffers& buffers,
                                           std::span<const Submission> submissions, std::uint32_t* rejected) override;
  Result<std::unique_ptr<LiveEngine>> start_live(const Pipeline& pipeline, const LiveEngineConfig& config) override;
  Result<RecoveryDecision> recover() override;
  std::string unsupported_fix(Feature feature) const override;

  Supervisor& supervisor() const noexcept { return *m_supervisor; }

 private:
  // Grow-only staging segment for one-shot and batch buffers (inside transact).
  Result<std::byte*> staging(Supervisor::Link& link, std::size_t bytes);
  Error resident_unsupported() const;

  std::shared_ptr<Supervisor> m_supervisor;
  std::atomic<std::uint64_t> m_next_pipeline{1};
  Segment m_staging;  // guarded by the supervisor's command lock
};

// make_backend(name, {.isolation = Isolation::Process}) for a name make_backend checked;
// `backends` are the registry's names (the worker's hello must carry one).
Result<std::shared_ptr<Backend>> make_supervised_backend(std::string_view name, const BackendOptions& options,
                                                         std::vector<std::string> backends);

}  // namespace mk::isolate
