// The CUDA backend: the interp/ step compiled by nvcc, run by persistent lanes.
#pragma once

#include <cuda_runtime.h>

#include <atomic>
#include <mutex>

#include "cuda/cuda_allocation.h"
#include "cuda/ring_transfer.h"
#include "mk/backend.h"

namespace mk::detail {

class JitModule;
struct OneShotParams;

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

  // Resident buffers and many-launch graphs (cuda_resident.cpp).
  Result<std::unique_ptr<ResidentBuffers>> create_resident(const HostBuffers& initial) override;
  Result<LaunchStats> launch_resident(const Pipeline& pipeline, ResidentBuffers& buffers) override;
  Result<LaunchStats> launch_resident_many(const Pipeline& pipeline, ResidentBuffers& buffers,
                                           std::span<const Submission> submissions, std::uint32_t* rejected) override;
  // Compact batches: chunked over streams so copies overlap execution (cuda_batch.cpp).
  Result<LaunchStats> launch_batch(const Pipeline& pipeline, const BatchLaunch& launch) override;
  // Page-locked host memory (cudaHostAlloc): batches built in it are copied by DMA.
  Result<HostMemory> allocate_host(std::size_t bytes) override;
  // Live sessions: the live kernel over a mapped ring (cuda_live.cpp).
  Result<std::unique_ptr<LiveEngine>> start_live(const Pipeline& pipeline, const LiveEngineConfig& config) override;
  // Device-loss recovery (cuda_recovery.cpp).
  Result<RecoveryDecision> recover() override;

 private:
  explicit CudaBackend(int device) : m_device(device) {}
  Status init();
  // Blocks for a launch of `threads` per block over `groups` groups, clamped to what
  // can be co-resident.
  Result<unsigned> co_resident_blocks(std::uint32_t groups, std::uint32_t threads, bool traced) const;
  // The same for a JIT kernel (null: the built-in kernel), and the cooperative launch of
  // that kernel on m_stream (jit_module_for_launch picks the module of a pipeline).
  Result<unsigned> co_resident_blocks(const JitModule* jit, std::uint32_t groups, std::uint32_t threads,
                                      bool traced) const;
  Status launch_kernel(const JitModule* jit, const OneShotParams& params, unsigned blocks, unsigned threads);

  int m_device;
  cudaDeviceProp m_props{};
  int m_driver_version = 0;
  cudaStream_t m_stream = nullptr;
  cudaEvent_t m_start = nullptr;
  cudaEvent_t m_stop = nullptr;
  std::mutex m_mutex;  // one launch at a time over the pooled buffers
  DeviceBuffer m_control, m_ring, m_log, m_io, m_round_state, m_trace;
  RingTransfer m_ring_transfer;  // large rings: staged up, STATUS and RESULT back
  // The bulk path's streams and pooled buffers (grow-only; created on first use).
  static constexpr unsigned BATCH_STREAMS = 4;
  Status init_batch_streams();
  cudaStream_t m_batch_streams[BATCH_STREAMS] = {};
  cudaEvent_t m_batch_events[BATCH_STREAMS] = {};  // per stream: its chunks are done
  cudaEvent_t m_batch_staged[BATCH_STREAMS] = {};  // per stream: its staging buffer is free
  DeviceBuffer m_batch_records, m_batch_results;
  DeviceBuffer m_batch_tail;  // [control | fault bits], one copy each way
  PinnedBuffer m_batch_staging[BATCH_STREAMS];
  PinnedBuffer m_batch_tail_host;  // its host staging
  std::atomic<std::uint64_t> m_next_pipeline_id{1};
  // Bumped by recover(): resident buffers of an older generation were lost.
  std::atomic<std::uint64_t> m_generation{1};
  std::atomic<std::uint32_t> m_live_resident{0};
  friend class CudaResidentBuffers;
};

}  // namespace mk::detail
