// CudaBackend: pooled device buffers, cooperative one-shot launches timed with events.
#include "cuda/cuda_backend.h"
#include "mk/detail/pipeline_cast.h"

#include <string>

#include "cuda/cuda_pipeline.h"
#include "cuda/factory.h"
#include "cuda/jit/jit_pipeline.h"
#include "cuda/kernels.cuh"
#include "interp/step.h"

namespace mk::detail {
namespace {

std::size_t bytes_of(WordSpan w) { return w.size() * sizeof(Word); }

}  // namespace

Result<std::shared_ptr<CudaBackend>> CudaBackend::create(int device) {
  std::shared_ptr<CudaBackend> backend(new CudaBackend(device));
  MK_TRY(backend->init());
  return backend;
}

Status CudaBackend::init() {
  MK_CUDA_CHECK(cudaSetDevice(m_device));
  MK_CUDA_CHECK(cudaGetDeviceProperties(&m_props, m_device));
  MK_CUDA_CHECK(cudaDriverGetVersion(&m_driver_version));
  if (!m_props.cooperativeLaunch)
    return fail(ErrorKind::Unsupported, std::string("device ") + m_props.name + " cannot launch cooperative kernels",
                "use a GPU of compute capability 6.0 or newer, or the CPU backend (make_backend(\"cpu\"))");
  MK_CUDA_CHECK(cudaStreamCreateWithFlags(&m_stream, cudaStreamNonBlocking));
  MK_CUDA_CHECK(cudaEventCreate(&m_start));
  MK_CUDA_CHECK(cudaEventCreate(&m_stop));
  return {};
}

CudaBackend::~CudaBackend() {
  // After a failed recovery these may already be gone with their context.
  if (m_start) MK_CUDA_CHECK_NOEXCEPT(cudaEventDestroy(m_start));
  if (m_stop) MK_CUDA_CHECK_NOEXCEPT(cudaEventDestroy(m_stop));
  if (m_stream) MK_CUDA_CHECK_NOEXCEPT(cudaStreamDestroy(m_stream));
  for (unsigned i = 0; i < BATCH_STREAMS; ++i) {
    if (m_batch_events[i]) MK_CUDA_CHECK_NOEXCEPT(cudaEventDestroy(m_batch_events[i]));
    if (m_batch_staged[i]) MK_CUDA_CHECK_NOEXCEPT(cudaEventDestroy(m_batch_staged[i]));
    if (m_batch_streams[i]) MK_CUDA_CHECK_NOEXCEPT(cudaStreamDestroy(m_batch_streams[i]));
  }
}

bool CudaBackend::supports(Feature feature) const noexcept {
  switch (feature) {
    case Feature::OneShot:
    case Feature::IoQueue:
    case Feature::DebugLog:
    case Feature::DeviceTime:
    case Feature::Trace:
    case Feature::ResidentHandles:
    case Feature::ManyLaunch:
    case Feature::CustomOpcodes:  // JIT: src/cuda/jit/
    case Feature::PayloadProcessor:
    case Feature::LiveSession:   // built-in opcodes (cuda_live.cpp)
    case Feature::CompactBatch:  // cuda_batch.cpp
      return true;
    default:
      return false;
  }
}

std::vector<DeviceInfo> CudaBackend::devices() const {
  DeviceInfo info;
  info.name = m_props.name;
  info.kind = "cuda";
  info.compute_units = static_cast<std::uint32_t>(m_props.multiProcessorCount);
  info.memory_bytes = m_props.totalGlobalMem;
  info.driver = std::to_string(m_driver_version / 1000) + "." + std::to_string((m_driver_version % 1000) / 10);
  info.arch = "sm_" + std::to_string(m_props.major) + std::to_string(m_props.minor);
  return {info};
}

Result<std::shared_ptr<const Pipeline>> CudaBackend::build_pipeline(const PipelineSpec& spec) {
  if (spec.geometry.workgroup_size_x > static_cast<std::uint32_t>(m_props.maxThreadsPerBlock))
    return fail(ErrorKind::InvalidArgument,
                "workgroup_size_x " + std::to_string(spec.geometry.workgroup_size_x) + " exceeds the device's " +
                    std::to_string(m_props.maxThreadsPerBlock) + " threads per block",
                "use a workgroup size of at most " + std::to_string(m_props.maxThreadsPerBlock));
  // Custom opcodes (or a payload processor) need the JIT kernel; built-ins use nvcc's.
  if (!spec.handlers.empty() || spec.payload_processor)
    return build_jit_pipeline(m_next_pipeline_id++, spec, m_device, m_props.major, m_props.minor);
  return std::shared_ptr<const Pipeline>(std::make_shared<CudaPipeline>(m_next_pipeline_id++, spec));
}

Result<LaunchStats> CudaBackend::launch_one_shot(const Pipeline& pipeline, const BufferSet& buffers,
                                                 std::vector<TraceEvent>* trace) {
  auto cast = pipeline_as<CudaPipeline>(pipeline);
  if (!cast) return cuda::std::unexpected(std::move(cast.error()));
  const CudaPipeline* pipe = *cast;
  std::lock_guard<std::mutex> lock(m_mutex);
  MK_CUDA_CHECK(cudaSetDevice(m_device));
  const std::uint32_t slot_count = static_cast<std::uint32_t>(buffers.ring.size() / abi::SLOT_WORDS);
  const std::size_t trace_bytes = trace ? std::size_t{slot_count} * TRACE_WORDS_PER_SLOT * 8 : 0;
  MK_TRY(m_control.reserve(bytes_of(buffers.control)));
  MK_TRY(m_ring.reserve(bytes_of(buffers.ring)));
  MK_TRY(m_log.reserve(bytes_of(buffers.debug_log)));
  MK_TRY(m_io.reserve(bytes_of(buffers.io_queue)));
  MK_TRY(m_round_state.reserve(ROUND_STATE_WORDS * sizeof(unsigned)));
  MK_TRY(m_trace.reserve(trace_bytes));

  LaunchStats stats;
  auto upload = [&](DeviceBuffer& d, WordSpan h) -> Status {
    if (h.empty()) return {};
    MK_CUDA_CHECK(cudaMemcpyAsync(d.get(), h.data(), bytes_of(h), cudaMemcpyHostToDevice, m_stream));
    stats.bytes_up += bytes_of(h);
    return {};
  };
  auto download = [&](WordSpan h, const DeviceBuffer& d) -> Status {
    if (h.empty()) return {};
    MK_CUDA_CHECK(cudaMemcpyAsync(h.data(), d.get(), bytes_of(h), cudaMemcpyDeviceToHost, m_stream));
    stats.bytes_down += bytes_of(h);
    return {};
  };
  MK_TRY(upload(m_control, buffers.control));
  // A large ring goes up through pinned staging and comes back as STATUS and RESULT
  // only: the kernel writes no other ring word (ring_transfer.cuh).
  const bool staged_ring = bytes_of(buffers.ring) >= RING_STAGED_MIN_BYTES;
  if (staged_ring)
    MK_TRY(m_ring_transfer.upload(buffers.ring, m_ring.get<Word>(), m_stream, stats.bytes_up));
  else
    MK_TRY(upload(m_ring, buffers.ring));
  MK_TRY(upload(m_log, buffers.debug_log));
  MK_TRY(upload(m_io, buffers.io_queue));
  MK_CUDA_CHECK(cudaMemsetAsync(m_round_state.get(), 0, ROUND_STATE_WORDS * sizeof(unsigned), m_stream));
  if (trace) MK_CUDA_CHECK(cudaMemsetAsync(m_trace.get(), 0, trace_bytes, m_stream));

  // View over device pointers; headers come from the validated host copies.
  interp::View view = interp::make_view(buffers.ring.data(), slot_count, buffers.control.data(),
                                        buffers.debug_log.empty() ? nullptr : buffers.debug_log.data(),
                                        buffers.io_queue.empty() ? nullptr : buffers.io_queue.data());
  view.ring = m_ring.get<Word>();
  view.control = m_control.get<Word>();
  view.log = buffers.debug_log.empty() ? nullptr : m_log.get<Word>();
  view.io = buffers.io_queue.empty() ? nullptr : m_io.get<Word>();

  const Geometry& g = pipe->spec().geometry;
  auto jit = jit_module_for_launch(*pipe, trace != nullptr, m_props.major, m_props.minor);
  if (!jit) return cuda::std::unexpected(std::move(jit.error()));
  auto blocks = co_resident_blocks(*jit, g.worker_groups, g.workgroup_size_x, trace != nullptr);
  if (!blocks) return cuda::std::unexpected(std::move(blocks.error()));

  OneShotParams params;
  params.view = view;
  params.round_state = m_round_state.get<unsigned>();
  params.trace = trace ? m_trace.get<unsigned long long>() : nullptr;
  MK_CUDA_CHECK(cudaEventRecord(m_start, m_stream));
  MK_TRY(launch_kernel(*jit, params, *blocks, g.workgroup_size_x));
  MK_CUDA_CHECK(cudaEventRecord(m_stop, m_stream));

  MK_TRY(download(buffers.control, m_control));
  if (staged_ring)
    MK_TRY(m_ring_transfer.download_heads(m_ring.get<Word>(), slot_count, m_stream, stats.bytes_down));
  else
    MK_TRY(download(buffers.ring, m_ring));
  MK_TRY(download(buffers.debug_log, m_log));
  MK_TRY(download(buffers.io_queue, m_io));
  unsigned round_state[ROUND_STATE_WORDS] = {};
  MK_CUDA_CHECK(
      cudaMemcpyAsync(round_state, m_round_state.get(), sizeof round_state, cudaMemcpyDeviceToHost, m_stream));
  std::vector<unsigned long long> records(trace ? std::size_t{slot_count} * TRACE_WORDS_PER_SLOT : 0);
  if (trace)
    MK_CUDA_CHECK(cudaMemcpyAsync(records.data(), m_trace.get(), trace_bytes, cudaMemcpyDeviceToHost, m_stream));
  MK_CUDA_CHECK(cudaStreamSynchronize(m_stream));
  if (staged_ring) m_ring_transfer.scatter_heads(buffers.ring);

  float ms = 0;
  MK_CUDA_CHECK(cudaEventElapsedTime(&ms, m_start, m_stop));
  stats.device_ns = static_cast<std::uint64_t>(static_cast<double>(ms) * 1e6);
  stats.device_ns_known = true;
  stats.sweeps = round_state[ROUND_STATE_ROUNDS];
  if (trace) {
    trace->clear();
    unsigned long long origin = ~0ull;
    for (std::uint32_t s = 0; s < slot_count; ++s)
      if (records[s * TRACE_WORDS_PER_SLOT] != 0) origin = std::min(origin, records[s * TRACE_WORDS_PER_SLOT]);
    for (std::uint32_t s = 0; s < slot_count; ++s) {
      const unsigned long long* r = &records[s * TRACE_WORDS_PER_SLOT];
      if (r[0] == 0) continue;
      trace->push_back(TraceEvent{s, static_cast<std::uint32_t>(r[2]), r[0] - origin, r[1] - origin,
                                  static_cast<std::uint32_t>(r[3])});
    }
  }
  return stats;
}

Result<unsigned> CudaBackend::co_resident_blocks(std::uint32_t groups, std::uint32_t threads, bool traced) const {
  int max_blocks = 0;
  MK_CUDA_CHECK(one_shot_max_blocks(threads, traced, &max_blocks));
  if (max_blocks <= 0)
    return fail(ErrorKind::Backend,
                "the interpreter kernel cannot run " + std::to_string(threads) + " threads per block",
                "use a smaller workgroup_size_x");
  // Never more blocks than can be co-resident: lanes wait on each other at the barrier.
  return std::max(1u, std::min<unsigned>(groups, static_cast<unsigned>(max_blocks)));
}

Result<unsigned> CudaBackend::co_resident_blocks(const JitModule* jit, std::uint32_t groups, std::uint32_t threads,
                                                 bool traced) const {
  if (jit == nullptr) return co_resident_blocks(groups, threads, traced);
  auto per_sm = jit->max_active_blocks_per_sm(threads);
  if (!per_sm) return cuda::std::unexpected(std::move(per_sm.error()));
  if (*per_sm <= 0)
    return fail(ErrorKind::Backend, "the JIT kernel cannot run " + std::to_string(threads) + " threads per block",
                "use a smaller workgroup_size_x");
  const auto max_blocks = static_cast<unsigned>(*per_sm) * static_cast<unsigned>(m_props.multiProcessorCount);
  return std::max(1u, std::min<unsigned>(groups, max_blocks));
}

Status CudaBackend::launch_kernel(const JitModule* jit, const OneShotParams& params, unsigned blocks,
                                  unsigned threads) {
  if (jit != nullptr) return jit->launch(params, blocks, threads, m_stream);
  MK_CUDA_CHECK(launch_one_shot_kernel(params, blocks, threads, m_stream));
  return {};
}

Result<std::shared_ptr<Backend>> make_cuda_backend() {
  int device = 0;
  MK_CUDA_CHECK(cudaGetDevice(&device));
  auto backend = CudaBackend::create(device);
  if (!backend) return cuda::std::unexpected(std::move(backend.error()));
  return std::shared_ptr<Backend>(std::move(*backend));
}

}  // namespace mk::detail
