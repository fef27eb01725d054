// The CPU reference backend: a pool of threads running interp/ over host words.
#pragma once

#include <atomic>
#include <memory>

#include "cpu/thread_pool.h"
#include "mk/backend.h"

namespace mk::detail {

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(CpuBackendOptions options);

  std::string_view name() const noexcept override { return "cpu"; }
  bool supports(Feature feature) const noexcept override;
  std::vector<DeviceInfo> devices() const override;
  Result<std::shared_ptr<const Pipeline>> build_pipeline(const PipelineSpec& spec) override;
  Result<LaunchStats> launch_one_shot(const Pipeline& pipeline, const BufferSet& buffers,
                                      std::vector<TraceEvent>* trace) override;
  // Compact batches: each thread runs a contiguous range of records (cpu_batch.cpp).
  Result<LaunchStats> launch_batch(const Pipeline& pipeline, const BatchLaunch& launch) override;
  // Worker threads polling a host ring until stopped (cpu_live.cpp).
  Result<std::unique_ptr<LiveEngine>> start_live(const Pipeline& pipeline, const LiveEngineConfig& config) override;

  std::uint32_t threads() const noexcept { return m_pool.size(); }

 private:
  CpuBackendOptions m_options;
  ThreadPool m_pool;
  std::atomic<std::uint64_t> m_next_pipeline_id{1};
};

}  // namespace mk::detail
