// Resident buffers on the device, resident dispatch, and many-launch batches recorded
// as one CUDA graph per batch shape.
#include "cuda/cuda_resident.h"

#include <chrono>
#include <cstring>
#include <vector>
#include <string>

#include "cuda/cuda_backend.h"
#include "cuda/cuda_pipeline.h"
#include "cuda/kernels.cuh"
#include "interp/step.h"

namespace mk::detail {
namespace {

constexpr std::size_t kind_index(BufferKind kind) { return static_cast<std::size_t>(kind); }

// Words the graph copies back after a batch: rounds and rejected items.
constexpr unsigned META_ROUNDS = 0;
constexpr unsigned META_REJECTED = 1;
constexpr unsigned META_WORDS = 2;

const CudaPipeline* cuda_pipeline(const Pipeline& pipeline) { return dynamic_cast<const CudaPipeline*>(&pipeline); }

// Both come from this backend, and the buffers survived any device recovery.
Status check_resident_pair(const CudaPipeline* pipe, const CudaResidentBuffers* res) {
  if (!pipe || !res)
    return fail(ErrorKind::InvalidArgument, "pipeline or resident buffers come from another backend",
                "use handles created by the same Megakernel");
  return res->check_alive();
}

}  // namespace

CudaResidentBuffers::CudaResidentBuffers(CudaBackend& backend, std::uint64_t generation)
    : m_backend(backend), m_generation(generation) {
  ++m_backend.m_live_resident;
}

CudaResidentBuffers::~CudaResidentBuffers() {
  if (graph_exec) MK_CUDA_CHECK_NOEXCEPT(cudaGraphExecDestroy(graph_exec));
  if (m_generation != m_backend.m_generation.load()) {
    // The context these allocations belonged to is gone: nothing to free.
    for (auto* b : {&m_control, &m_ring, &m_log, &m_io, &round_state, &staging_device, &meta_device}) b->forget();
    staging_host.forget();
    meta_host.forget();
  }
  --m_backend.m_live_resident;
}

DeviceBuffer& CudaResidentBuffers::buffer(BufferKind kind) noexcept {
  switch (kind) {
    case BufferKind::Control:
      return m_control;
    case BufferKind::Ring:
      return m_ring;
    case BufferKind::DebugLog:
      return m_log;
    case BufferKind::IoQueue:
      break;
  }
  return m_io;
}

void CudaResidentBuffers::refresh_view_header(const std::uint32_t* control_words, std::size_t words) {
  // Same header derivation as a one-shot launch; the control words were validated.
  if (words <= abi::CTRL_OBSERVABLE_COUNT) return;
  const std::uint32_t tenants = control_words[abi::CTRL_TENANT_COUNT];
  m_view.tenant_count = tenants < abi::MAX_TENANTS ? tenants : abi::MAX_TENANTS;
  m_view.observable_count = control_words[abi::CTRL_OBSERVABLE_COUNT];
}

Status CudaResidentBuffers::allocate(const HostBuffers& initial) {
  const ConstWordSpan spans[4] = {initial.control, initial.ring, initial.debug_log, initial.io_queue};
  for (std::size_t k = 0; k < 4; ++k) {
    m_sizes[k] = spans[k].size_bytes();
    DeviceBuffer& d = buffer(static_cast<BufferKind>(k));
    MK_TRY(d.reserve(m_sizes[k]));
    if (m_sizes[k] != 0) MK_CUDA_CHECK(cudaMemcpy(d.get(), spans[k].data(), m_sizes[k], cudaMemcpyHostToDevice));
  }
  MK_TRY(round_state.reserve(ROUND_STATE_WORDS * sizeof(unsigned)));
  MK_TRY(meta_device.reserve(META_WORDS * sizeof(unsigned)));
  MK_TRY(meta_host.reserve(META_WORDS * sizeof(unsigned)));
  m_view = interp::View{};
  m_view.ring = m_ring.get<std::uint32_t>();
  m_view.slot_count = static_cast<std::uint32_t>(initial.ring.size() / abi::SLOT_WORDS);
  m_view.control = m_control.get<std::uint32_t>();
  refresh_view_header(initial.control.data(), initial.control.size());
  m_view.log = initial.debug_log.empty() ? nullptr : m_log.get<std::uint32_t>();
  m_view.log_capacity = initial.debug_log.empty() ? 0 : initial.debug_log[abi::LOG_CAPACITY];
  m_view.io = initial.io_queue.empty() ? nullptr : m_io.get<std::uint32_t>();
  m_view.io_capacity = initial.io_queue.empty() ? 0 : initial.io_queue[abi::IO_CAPACITY];
  return {};
}

std::uint64_t CudaResidentBuffers::size_bytes(BufferKind kind) const noexcept { return m_sizes[kind_index(kind)]; }

Status CudaResidentBuffers::check_alive() const {
  if (m_generation == m_backend.m_generation.load()) return {};
  return fail(ErrorKind::DeviceLost,
              "these resident buffers were lost when the device was recovered (RecoveryDecision::RebuiltStateLost)",
              "upload every buffer again (ResidentHandles::upload) before dispatching");
}

Status CudaResidentBuffers::upload(BufferKind kind, std::uint64_t offset, ConstByteSpan bytes) {
  const std::uint64_t size = m_sizes[kind_index(kind)];
  if (offset > size || bytes.size() > size - offset || offset % 4 != 0 || bytes.size() % 4 != 0)
    return fail(ErrorKind::InvalidArgument,
                "upload of " + std::to_string(bytes.size()) + " bytes at offset " + std::to_string(offset) +
                    " does not fit the resident " + std::string(to_string(kind)) + " (" + std::to_string(size) +
                    " bytes)",
                "upload whole words inside the buffer; resident buffers keep the size they were created with");
  if (m_generation != m_backend.m_generation.load()) {
    // First upload after recovery: the old allocations died with the old context.
    for (auto* b : {&m_control, &m_ring, &m_log, &m_io, &round_state, &staging_device, &meta_device}) b->forget();
    staging_host.forget();
    meta_host.forget();
    graph_exec = nullptr;
    graph_shape = GraphShape{};
    for (std::size_t k = 0; k < 4; ++k) {
      DeviceBuffer& d = buffer(static_cast<BufferKind>(k));
      MK_TRY(d.reserve(m_sizes[k]));
      if (m_sizes[k] != 0) MK_CUDA_CHECK(cudaMemset(d.get(), 0, m_sizes[k]));
    }
    MK_TRY(round_state.reserve(ROUND_STATE_WORDS * sizeof(unsigned)));
    MK_TRY(meta_device.reserve(META_WORDS * sizeof(unsigned)));
    MK_TRY(meta_host.reserve(META_WORDS * sizeof(unsigned)));
    m_view.ring = m_ring.get<std::uint32_t>();
    m_view.control = m_control.get<std::uint32_t>();
    if (m_view.log) m_view.log = m_log.get<std::uint32_t>();
    if (m_view.io) m_view.io = m_io.get<std::uint32_t>();
    m_generation = m_backend.m_generation.load();
  }
  if (bytes.empty()) return {};
  MK_CUDA_CHECK(cudaMemcpy(buffer(kind).get<std::byte>() + offset, bytes.data(), bytes.size(), cudaMemcpyHostToDevice));
  if (kind == BufferKind::Control && offset == 0)
    refresh_view_header(reinterpret_cast<const std::uint32_t*>(bytes.data()), bytes.size() / 4);
  return {};
}

Status CudaResidentBuffers::download(BufferKind kind, ByteSpan out) {
  MK_TRY(check_alive());
  if (out.size() != m_sizes[kind_index(kind)])
    return fail(ErrorKind::InvalidArgument,
                "download buffer is " + std::to_string(out.size()) + " bytes, the resident " +
                    std::string(to_string(kind)) + " is " + std::to_string(m_sizes[kind_index(kind)]),
                "size the output with ResidentHandles::size_bytes");
  if (!out.empty()) MK_CUDA_CHECK(cudaMemcpy(out.data(), buffer(kind).get(), out.size(), cudaMemcpyDeviceToHost));
  return {};
}

Result<DeviceRegion> CudaResidentBuffers::device_region(BufferKind kind) const {
  MK_TRY(check_alive());
  DeviceBuffer& b = const_cast<CudaResidentBuffers*>(this)->buffer(kind);  // buffer() only picks the member
  return DeviceRegion{b.get(), m_sizes[kind_index(kind)], m_backend.m_device};
}

Result<std::unique_ptr<ResidentBuffers>> CudaBackend::create_resident(const HostBuffers& initial) {
  std::lock_guard<std::mutex> lock(m_mutex);
  MK_CUDA_CHECK(cudaSetDevice(m_device));
  auto buffers = std::make_unique<CudaResidentBuffers>(*this, m_generation.load());
  MK_TRY(buffers->allocate(initial));
  return std::unique_ptr<ResidentBuffers>(std::move(buffers));
}

Result<LaunchStats> CudaBackend::launch_resident(const Pipeline& pipeline, ResidentBuffers& buffers) {
  const auto* pipe = cuda_pipeline(pipeline);
  auto* res = dynamic_cast<CudaResidentBuffers*>(&buffers);
  MK_TRY(check_resident_pair(pipe, res));
  std::lock_guard<std::mutex> lock(m_mutex);
  MK_CUDA_CHECK(cudaSetDevice(m_device));
  const Geometry& g = pipe->spec().geometry;
  auto blocks = co_resident_blocks(pipe->jit(), g.worker_groups, g.workgroup_size_x, false);
  if (!blocks) return cuda::std::unexpected(std::move(blocks.error()));
  OneShotParams params;
  params.view = res->view();
  params.round_state = res->round_state.get<unsigned>();
  MK_CUDA_CHECK(cudaMemsetAsync(params.round_state, 0, ROUND_STATE_WORDS * sizeof(unsigned), m_stream));
  MK_CUDA_CHECK(cudaEventRecord(m_start, m_stream));
  MK_TRY(launch_kernel(pipe->jit(), params, *blocks, g.workgroup_size_x));
  MK_CUDA_CHECK(cudaEventRecord(m_stop, m_stream));
  unsigned* meta = res->meta_host.get<unsigned>();
  MK_CUDA_CHECK(cudaMemcpyAsync(meta + META_ROUNDS, params.round_state + ROUND_STATE_ROUNDS, sizeof(unsigned),
                                cudaMemcpyDeviceToHost, m_stream));
  MK_CUDA_CHECK(cudaStreamSynchronize(m_stream));
  float ms = 0;
  MK_CUDA_CHECK(cudaEventElapsedTime(&ms, m_start, m_stop));
  LaunchStats stats;
  stats.device_ns = static_cast<std::uint64_t>(static_cast<double>(ms) * 1e6);
  stats.device_ns_known = true;
  stats.sweeps = meta[META_ROUNDS];
  return stats;
}

Result<LaunchStats> CudaBackend::launch_resident_many(const Pipeline& pipeline, ResidentBuffers& buffers,
                                                      std::span<const Submission> submissions,
                                                      std::uint32_t* rejected) {
  const auto* pipe = cuda_pipeline(pipeline);
  auto* res = dynamic_cast<CudaResidentBuffers*>(&buffers);
  MK_TRY(check_resident_pair(pipe, res));
  std::lock_guard<std::mutex> lock(m_mutex);
  MK_CUDA_CHECK(cudaSetDevice(m_device));
  const Geometry& g = pipe->spec().geometry;

  // Group submissions into phases: a submission joins the current phase unless it
  // reuses a slot of it (then it must wait until those items finished). Stage, in
  // pinned memory: phase descriptors, the target slot of each item, the slot words.
  std::vector<SubmissionDesc> phases;
  std::vector<std::uint32_t> targets;
  std::vector<std::uint8_t> used(res->view().slot_count, 0);
  std::vector<std::uint32_t> touched;
  std::uint32_t widest = 0;
  for (const auto& s : submissions) {
    bool overlaps = phases.empty();
    for (std::size_t i = 0; i < s.items.size() && !overlaps; ++i) overlaps = used[s.first_slot + i] != 0;
    if (overlaps) {
      for (std::uint32_t t : touched) used[t] = 0;
      touched.clear();
      phases.push_back(SubmissionDesc{s.first_slot, s.first_slot, static_cast<unsigned>(targets.size()), 0});
    }
    SubmissionDesc& phase = phases.back();
    for (std::size_t i = 0; i < s.items.size(); ++i) {
      const std::uint32_t slot = s.first_slot + static_cast<std::uint32_t>(i);
      used[slot] = 1;
      touched.push_back(slot);
      targets.push_back(slot);
    }
    phase.begin = std::min<unsigned>(phase.begin, s.first_slot);
    phase.end = std::max<unsigned>(phase.end, s.first_slot + static_cast<unsigned>(s.items.size()));
    phase.staged_count += static_cast<unsigned>(s.items.size());
    widest = std::max<std::uint32_t>(widest, phase.end - phase.begin);
  }
  const std::uint64_t staged_slots = targets.size();
  const std::uint64_t desc_bytes = phases.size() * sizeof(SubmissionDesc);
  const std::uint64_t target_bytes = (staged_slots * sizeof(std::uint32_t) + 15) / 16 * 16;
  const std::uint64_t staged_bytes = desc_bytes + target_bytes + staged_slots * abi::SLOT_BYTES;
  const bool reallocated = staged_bytes > res->staging_host.capacity() || staged_bytes > res->staging_device.capacity();
  MK_TRY(res->staging_host.reserve(staged_bytes));
  MK_TRY(res->staging_device.reserve(staged_bytes));
  std::byte* host = res->staging_host.get<std::byte>();
  std::memcpy(host, phases.data(), desc_bytes);
  std::memcpy(host + desc_bytes, targets.data(), staged_slots * sizeof(std::uint32_t));
  auto* words = reinterpret_cast<std::uint32_t*>(host + desc_bytes + target_bytes);
  std::uint64_t next = 0;
  for (const auto& s : submissions) {
    for (const WorkItem& item : s.items)
      encode_slot_words(item, std::span<Word, abi::SLOT_WORDS>(words + next++ * abi::SLOT_WORDS, abi::SLOT_WORDS));
  }

  // The grid only needs lanes for the widest submission.
  const std::uint32_t groups = std::max<std::uint32_t>(1, (widest + g.workgroup_size_x - 1) / g.workgroup_size_x);
  auto blocks = co_resident_blocks(pipe->jit(), std::min(groups, g.worker_groups), g.workgroup_size_x, false);
  if (!blocks) return cuda::std::unexpected(std::move(blocks.error()));

  // One graph per batch shape: copy staging in, clear counters, one launch for every
  // submission, copy the counters back. A new shape with the same topology updates the
  // instantiated graph in place instead of instantiating it again.
  const GraphShape shape{static_cast<std::uint32_t>(phases.size()), staged_slots, *blocks};
  const bool same_shape = res->graph_exec != nullptr && res->graph_shape == shape && !reallocated;
  if (!same_shape) {
    OneShotParams params;
    params.view = res->view();
    params.round_state = res->round_state.get<unsigned>();
    params.submissions = res->staging_device.get<SubmissionDesc>();
    params.submission_count = static_cast<unsigned>(phases.size());
    params.staged_targets = reinterpret_cast<const unsigned*>(res->staging_device.get<std::byte>() + desc_bytes);
    params.staged = reinterpret_cast<const unsigned*>(res->staging_device.get<std::byte>() + desc_bytes + target_bytes);
    params.rejected = res->meta_device.get<unsigned>() + META_REJECTED;
    cudaGraph_t graph = nullptr;
    MK_CUDA_CHECK(cudaStreamBeginCapture(m_stream, cudaStreamCaptureModeThreadLocal));
    cudaError_t e = cudaMemcpyAsync(res->staging_device.get(), res->staging_host.get(), staged_bytes,
                                    cudaMemcpyHostToDevice, m_stream);
    if (e == cudaSuccess) e = cudaMemsetAsync(params.round_state, 0, ROUND_STATE_WORDS * sizeof(unsigned), m_stream);
    if (e == cudaSuccess) e = cudaMemsetAsync(res->meta_device.get(), 0, META_WORDS * sizeof(unsigned), m_stream);
    Status launched{};
    if (e == cudaSuccess) launched = launch_kernel(pipe->jit(), params, *blocks, g.workgroup_size_x);
    if (!launched) e = cudaErrorLaunchFailure;  // the real error is returned after the capture ends
    if (e == cudaSuccess)
      e = cudaMemcpyAsync(res->meta_device.get<unsigned>() + META_ROUNDS, params.round_state + ROUND_STATE_ROUNDS,
                          sizeof(unsigned), cudaMemcpyDeviceToDevice, m_stream);
    if (e == cudaSuccess)
      e = cudaMemcpyAsync(res->meta_host.get(), res->meta_device.get(), META_WORDS * sizeof(unsigned),
                          cudaMemcpyDeviceToHost, m_stream);
    const cudaError_t end = cudaStreamEndCapture(m_stream, &graph);
    MK_TRY(launched);
    MK_CUDA_CHECK(e);
    MK_CUDA_CHECK(end);
    bool updated = false;
    if (res->graph_exec != nullptr) {
      cudaGraphExecUpdateResultInfo info{};
      updated = cudaGraphExecUpdate(res->graph_exec, graph, &info) == cudaSuccess;
      if (!updated) {
        (void)cudaGetLastError();
        MK_CUDA_CHECK_NOEXCEPT(cudaGraphExecDestroy(res->graph_exec));
        res->graph_exec = nullptr;
      }
    }
    if (!updated) {
      const cudaError_t inst = cudaGraphInstantiate(&res->graph_exec, graph, 0);
      cudaGraphDestroy(graph);
      MK_CUDA_CHECK(inst);
    } else {
      cudaGraphDestroy(graph);
    }
    res->graph_shape = shape;
  }
  MK_CUDA_CHECK(cudaEventRecord(m_start, m_stream));
  MK_CUDA_CHECK(cudaGraphLaunch(res->graph_exec, m_stream));
  MK_CUDA_CHECK(cudaEventRecord(m_stop, m_stream));
  MK_CUDA_CHECK(cudaStreamSynchronize(m_stream));
  float ms = 0;
  MK_CUDA_CHECK(cudaEventElapsedTime(&ms, m_start, m_stop));
  const unsigned* meta = res->meta_host.get<unsigned>();
  LaunchStats stats;
  stats.device_ns = static_cast<std::uint64_t>(static_cast<double>(ms) * 1e6);
  stats.device_ns_known = true;
  stats.sweeps = meta[META_ROUNDS];
  stats.bytes_up = staged_bytes;
  if (rejected) *rejected = meta[META_REJECTED];
  return stats;
}

}  // namespace mk::detail
