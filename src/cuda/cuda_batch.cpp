// CudaBackend::launch_batch: a compact batch crosses PCIe in chunks spread over
// BATCH_STREAMS streams, so chunk c's upload, chunk c-1's kernel and chunk c-2's
// result download run at once (the copy engines are full duplex). Only RESULT words,
// the fault bitmap and the control buffer come back. Records already in page-locked
// memory are copied by DMA; others go through reused pinned staging buffers, the host
// copy of one chunk overlapping the transfers of the previous ones.
#include <algorithm>
#include <cstring>

#include "cuda/batch_kernels.cuh"
#include "cuda/cuda_backend.h"
#include "cuda/cuda_allocation.h"
#include "mk/detail/pipeline_cast.h"
#include "cuda/cuda_pipeline.h"
#include "cuda/jit/jit_module.h"

namespace mk::detail {
namespace {

// About 1 MiB of records per chunk: large enough that a chunk's three enqueued calls
// (copy, kernel, copy back; a few microseconds of host time) stay ahead of its transfer,
// small enough that upload and download overlap for most of a large batch.
constexpr std::size_t CHUNK_TARGET_BYTES = std::size_t{1} << 20;
constexpr std::uint32_t CHUNK_MIN_ITEMS = 16384;

// Large batches use at most CHUNK_MAX_COUNT larger chunks (fewer calls to enqueue).
constexpr std::size_t CHUNK_MAX_COUNT = 32;

std::uint32_t chunk_items(std::uint32_t stride, std::uint32_t n) {
  const std::size_t record_bytes = std::size_t{std::max(stride, 1u)} * sizeof(Word);
  const std::size_t items = std::max({CHUNK_MIN_ITEMS + std::size_t{0}, CHUNK_TARGET_BYTES / record_bytes,
                                      std::size_t{n} / CHUNK_MAX_COUNT + BATCH_THREADS});
  // Whole blocks, so every chunk's launch has full warps but the batch's last.
  return static_cast<std::uint32_t>(items / BATCH_THREADS * BATCH_THREADS);
}

bool is_page_locked(const void* p) {
  cudaPointerAttributes attributes{};
  if (cudaPointerGetAttributes(&attributes, p) != cudaSuccess) {
    (void)cudaGetLastError();  // an unregistered pointer is an answer, not an error
    return false;
  }
  return attributes.type == cudaMemoryTypeHost;
}

}  // namespace

Status CudaBackend::init_batch_streams() {
  if (m_batch_streams[0] != nullptr) return {};
  for (unsigned i = 0; i < BATCH_STREAMS; ++i) {
    MK_CUDA_CHECK(cudaStreamCreateWithFlags(&m_batch_streams[i], cudaStreamNonBlocking));
    MK_CUDA_CHECK(cudaEventCreateWithFlags(&m_batch_events[i], cudaEventDisableTiming));
    MK_CUDA_CHECK(cudaEventCreateWithFlags(&m_batch_staged[i], cudaEventDisableTiming));
  }
  return {};
}

Result<HostMemory> CudaBackend::allocate_host(std::size_t bytes) {
  if (bytes == 0) return HostMemory{};
  MK_CUDA_CHECK(cudaSetDevice(m_device));
  void* p = nullptr;
  if (PinnedMemory::allocate(&p, bytes) != cudaSuccess) {
    (void)cudaGetLastError();
    return fail(ErrorKind::InvalidArgument, "page-locked host allocation of " + std::to_string(bytes) + " bytes failed",
                "use smaller batches (or several), or free page-locked memory");
  }
  // PinnedBuffer's free: it never waits for a running live kernel, and a BatchBuilder may go
  // out of scope beside a running session.
  return HostMemory(p, bytes, &PinnedMemory::free);
}

Result<LaunchStats> CudaBackend::launch_batch(const Pipeline& pipeline, const BatchLaunch& launch) {
  auto cast = pipeline_as<CudaPipeline>(pipeline);
  if (!cast) return cuda::std::unexpected(std::move(cast.error()));
  const CudaPipeline* pipe = *cast;
  std::lock_guard<std::mutex> lock(m_mutex);
  MK_CUDA_CHECK(cudaSetDevice(m_device));
  MK_TRY(init_batch_streams());
  const BatchView& batch = launch.batch;
  const std::uint32_t n = batch.count;
  const std::uint32_t stride = batch.shape.stride();
  const std::size_t control_bytes = launch.control.size_bytes();
  const std::size_t record_bytes = std::size_t{n} * stride * sizeof(Word);
  const std::size_t fault_bytes = launch.fault_bits.size_bytes();
  MK_TRY(m_batch_records.reserve(record_bytes));
  MK_TRY(m_batch_results.reserve(std::size_t{n} * sizeof(Word)));

  const JitModule* jit = pipe->jit();
  const std::uint32_t per_chunk = chunk_items(stride, n);
  const bool direct = record_bytes == 0 || is_page_locked(batch.records.data());
  if (!direct)
    for (auto& staging : m_batch_staging) MK_TRY(staging.reserve(std::size_t{per_chunk} * stride * sizeof(Word)));

  LaunchStats stats;
  cudaStream_t first = m_batch_streams[0];
  // Control and the fault bitmap travel together as one tail: [control | fault bits],
  // staged in pinned memory (a pageable copy would be synchronous), zeroed bits included.
  const std::size_t tail_bytes = control_bytes + fault_bytes;
  MK_TRY(m_batch_tail_host.reserve(tail_bytes));
  MK_TRY(m_batch_tail.reserve(tail_bytes));
  auto* tail_host = m_batch_tail_host.get<unsigned char>();
  std::memcpy(tail_host, launch.control.data(), control_bytes);
  std::memset(tail_host + control_bytes, 0, fault_bytes);
  Word* device_control = m_batch_tail.get<Word>();
  Word* device_faults = device_control + launch.control.size();
  MK_CUDA_CHECK(cudaEventRecord(m_start, first));
  MK_CUDA_CHECK(cudaMemcpyAsync(device_control, tail_host, tail_bytes, cudaMemcpyHostToDevice, first));
  stats.bytes_up += tail_bytes;
  // One chunk runs on one stream; more are spread over every stream, each waiting for
  // the tail first.
  const std::uint32_t chunks = n == 0 ? 0 : (n - 1) / per_chunk + 1;
  const unsigned streams = chunks <= 1 ? 1u : BATCH_STREAMS;
  if (streams > 1) {
    MK_CUDA_CHECK(cudaEventRecord(m_batch_events[0], first));
    for (unsigned s = 1; s < streams; ++s) MK_CUDA_CHECK(cudaStreamWaitEvent(m_batch_streams[s], m_batch_events[0]));
  }

  BatchParams params;
  params.view = interp::make_view(nullptr, n, launch.control.data(), nullptr, nullptr);  // headers from the host copy
  params.view.control = device_control;
  params.layout =
      interp::BatchLayout{batch.shape.flags(), batch.shape.opcode, batch.shape.tenant, batch.shape.arg_count, stride};
  params.fault_bits = device_faults;

  bool staged_used[BATCH_STREAMS] = {};
  for (std::uint32_t chunk = 0; chunk < chunks; ++chunk) {
    const unsigned s = chunk % streams;
    cudaStream_t stream = m_batch_streams[s];
    const std::uint32_t at = chunk * per_chunk;
    const std::uint32_t count = std::min(per_chunk, n - at);
    const std::size_t offset = std::size_t{at} * stride;
    const std::size_t bytes = std::size_t{count} * stride * sizeof(Word);
    Word* device_records = m_batch_records.get<Word>() + offset;
    if (bytes != 0) {
      const Word* source = batch.records.data() + offset;
      if (!direct) {
        // This staging buffer's previous upload must have left it before it is refilled.
        if (staged_used[s]) MK_CUDA_CHECK(cudaEventSynchronize(m_batch_staged[s]));
        std::memcpy(m_batch_staging[s].get(), source, bytes);
        source = m_batch_staging[s].get<Word>();
      }
      MK_CUDA_CHECK(cudaMemcpyAsync(device_records, source, bytes, cudaMemcpyHostToDevice, stream));
      if (!direct) {
        MK_CUDA_CHECK(cudaEventRecord(m_batch_staged[s], stream));
        staged_used[s] = true;
      }
    }
    params.records = device_records;
    params.first_item = at;
    params.count = count;
    params.results = m_batch_results.get<Word>() + at;
    if (jit != nullptr)
      MK_TRY(jit->launch_batch(params, stream));
    else
      MK_CUDA_CHECK(launch_batch_kernel(params, stream));
    MK_CUDA_CHECK(cudaMemcpyAsync(launch.results.data() + at, params.results, std::size_t{count} * sizeof(Word),
                                  cudaMemcpyDeviceToHost, stream));
    stats.bytes_up += bytes;
    stats.bytes_down += std::size_t{count} * sizeof(Word);
  }
  // Counters and the bitmap once every chunk's kernel is done.
  for (unsigned s = 1; s < streams; ++s) {
    MK_CUDA_CHECK(cudaEventRecord(m_batch_events[s], m_batch_streams[s]));
    MK_CUDA_CHECK(cudaStreamWaitEvent(first, m_batch_events[s]));
  }
  // Small bitmaps come back with the control words; a large one straight into its
  // page-locked destination (a host copy of it would cost more than the extra call).
  const bool faults_with_tail = fault_bytes <= 64 * 1024;
  MK_CUDA_CHECK(cudaMemcpyAsync(tail_host, device_control, faults_with_tail ? tail_bytes : control_bytes,
                                cudaMemcpyDeviceToHost, first));
  if (!faults_with_tail)
    MK_CUDA_CHECK(cudaMemcpyAsync(launch.fault_bits.data(), device_faults, fault_bytes, cudaMemcpyDeviceToHost, first));
  MK_CUDA_CHECK(cudaEventRecord(m_stop, first));
  MK_CUDA_CHECK(cudaStreamSynchronize(first));
  std::memcpy(launch.control.data(), tail_host, control_bytes);
  if (faults_with_tail) std::memcpy(launch.fault_bits.data(), tail_host + control_bytes, fault_bytes);
  stats.bytes_down += tail_bytes;

  float ms = 0;
  MK_CUDA_CHECK(cudaEventElapsedTime(&ms, m_start, m_stop));
  stats.device_ns = static_cast<std::uint64_t>(static_cast<double>(ms) * 1e6);
  stats.device_ns_known = true;
  stats.sweeps = 1;
  return stats;
}

}  // namespace mk::detail
