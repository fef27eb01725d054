// The CUDA backend: the interp/ step compiled by nvcc, run by persistent lanes.
#pragma once

#include <cuda_runtime.h>

#include <atomic>
#include <mutex>

#include "cuda/device_buffer.h"
#include "mk/backend.h"

namespace mk::detail {

class CudaBackend final : public Backend {
 public:
  static Result<std::shared_ptr<CudaBackend>> create(int device);
  ~CudaBackend() override;

  std::string_view name() const noexcept override { return "cuda"; }
  bool supports(Feature feature) const noexcept override;
  std::vector<DeviceInfo> devices() const override;
  Result<std::shared_ptr<const Pipeline>> build_pipeline(const PipelineSpec& spec) override;
  Result<LaunchStats> launch_one_shot(const Pipeline& pipeline, const BufferSet& buffers,
                                      std::vector<TraceEvent>* trace) override;

 private:
  explicit CudaBackend(int device) : m_device(device) {}
  Status init();

  int m_device;
  cudaDeviceProp m_props{};
  int m_driver_version = 0;
  cudaStream_t m_stream = nullptr;
  cudaEvent_t m_start = nullptr;
  cudaEvent_t m_stop = nullptr;
  std::mutex m_mutex;  // one launch at a time over the pooled buffers
  DeviceBuffer m_control, m_ring, m_log, m_io, m_round_state, m_trace;
  std::atomic<std::uint64_t> m_next_pipeline_id{1};
};

}  // namespace mk::detail
