// Megakernel: bootstrap (geometry, opcode table, pipeline) and the one-shot dispatch family.
#include "mk/megakernel.h"

#include <chrono>
#include <mutex>
#include <string>

#include "api/buffer_checks.h"
#include "api/clock.h"

namespace mk {
namespace {

// Copy src into dst, reusing dst's allocation when the size repeats.
void copy_into(Bytes& dst, ConstByteSpan src) { dst.assign(src.begin(), src.end()); }

}  // namespace

struct Megakernel::LossRecord {
  std::mutex mutex;
  std::optional<Error> last;
};

Megakernel::Megakernel(std::shared_ptr<Backend> backend, PipelineSpec spec, std::shared_ptr<const Pipeline> pipeline)
    : m_backend(std::move(backend)),
      m_geometry(spec.geometry),
      m_handlers(spec.handlers),
      m_opcode_ids(spec.opcode_ids),
      m_pipeline(std::move(pipeline)),
      m_spec(std::move(spec)),
      m_loss(std::make_shared<LossRecord>()) {}

template <class T>
Result<T> Megakernel::note_loss(Result<T> result) const {
  if (!result && result.error().kind() == ErrorKind::DeviceLost) {
    std::lock_guard<std::mutex> lock(m_loss->mutex);
    m_loss->last = result.error();
  }
  return result;
}

template Result<DispatchStats> Megakernel::note_loss(Result<DispatchStats>) const;
template Result<ManyStats> Megakernel::note_loss(Result<ManyStats>) const;
template Result<LaunchStats> Megakernel::note_loss(Result<LaunchStats>) const;

Result<std::uint32_t> Megakernel::worker_groups_for_geometry(std::uint32_t slot_count, std::uint32_t workgroup_size_x) {
  if (slot_count == 0 || slot_count > abi::MAX_RING_SLOTS)
    return fail(ErrorKind::QueueFull,
                "slot_count " + std::to_string(slot_count) + " is outside 1.." + std::to_string(abi::MAX_RING_SLOTS),
                "use a slot count between 1 and MAX_RING_SLOTS");
  if (workgroup_size_x == 0 || slot_count % workgroup_size_x != 0)
    return fail(
        ErrorKind::QueueFull,
        "slot_count " + std::to_string(slot_count) + " does not map to whole workgroups of " +
            std::to_string(workgroup_size_x) + " lanes",
        "make slot_count a multiple of workgroup_size_x (e.g. " +
            std::to_string(workgroup_size_x == 0 ? 64 : (slot_count / workgroup_size_x + 1) * workgroup_size_x) + ")");
  return slot_count / workgroup_size_x;
}

Result<Megakernel> Megakernel::build(std::shared_ptr<Backend> backend, Geometry geometry,
                                     std::vector<OpcodeHandler> handlers, std::optional<std::uint32_t> processor) {
  if (!backend) return fail(ErrorKind::InvalidArgument, "backend is null", "pass mk::make_backend(\"auto\")");
  auto groups = worker_groups_for_geometry(geometry.slot_count, geometry.workgroup_size_x);
  if (!groups) return cuda::std::unexpected(std::move(groups.error()));
  geometry.worker_groups = *groups;
  MK_TRY(ir::validate_handlers(handlers));
  if (!handlers.empty() && !backend->supports(Feature::CustomOpcodes))
    return cuda::std::unexpected(unsupported(*backend, Feature::CustomOpcodes));
  if (processor && !backend->supports(Feature::PayloadProcessor))
    return cuda::std::unexpected(unsupported(*backend, Feature::PayloadProcessor));

  std::vector<std::uint32_t> ids(std::begin(abi::BUILTIN_OPCODE_IDS), std::end(abi::BUILTIN_OPCODE_IDS));
  for (const auto& h : handlers) ids.push_back(h.opcode);

  PipelineSpec spec;
  spec.geometry = geometry;
  spec.opcode_ids = ids;
  spec.handlers = std::move(handlers);
  spec.payload_processor = processor;
  auto pipeline = backend->build_pipeline(spec);
  if (!pipeline) return cuda::std::unexpected(std::move(pipeline.error()));
  return Megakernel(std::move(backend), std::move(spec), std::move(*pipeline));
}

Result<Megakernel> Megakernel::bootstrap(std::shared_ptr<Backend> backend) {
  return build(std::move(backend), Geometry{256, 256, 1}, {}, std::nullopt);
}

Result<Megakernel> Megakernel::bootstrap_with_opcodes(std::shared_ptr<Backend> backend,
                                                      std::vector<OpcodeHandler> opcodes) {
  return build(std::move(backend), Geometry{256, 256, 1}, std::move(opcodes), std::nullopt);
}

Result<Megakernel> Megakernel::bootstrap_sharded(std::shared_ptr<Backend> backend, std::uint32_t slot_count,
                                                 std::uint32_t workgroup_size_x, std::vector<OpcodeHandler> opcodes) {
  return build(std::move(backend), Geometry{slot_count, workgroup_size_x, 0}, std::move(opcodes), std::nullopt);
}

Result<Megakernel> Megakernel::bootstrap_jit(std::shared_ptr<Backend> backend, OpcodeHandler payload_processor,
                                             std::uint32_t slot_count, std::uint32_t workgroup_size_x) {
  std::vector<OpcodeHandler> handlers;
  handlers.push_back(std::move(payload_processor));
  return build(std::move(backend), Geometry{slot_count, workgroup_size_x, 0}, std::move(handlers),
               abi::FIRST_CUSTOM_INDEX);
}

std::uint64_t Megakernel::pipeline_id() const noexcept { return m_pipeline->id(); }

std::uint32_t Megakernel::opcode_index(std::uint32_t opcode) const noexcept {
  for (std::uint32_t i = 0; i < m_opcode_ids.size(); ++i)
    if (m_opcode_ids[i] == opcode) return i;
  return abi::NO_OPCODE_INDEX;
}

namespace detail {

// Validate every buffer of a dispatch and stamp the opcode table; the word views that
// come back are what a backend may run over.
Result<BufferSet> validated_buffers(OutputBuffers& buffers, const Megakernel& mk, std::vector<TraceEvent>* trace) {
  auto control = try_as_words(ByteSpan(buffers.control), "control");
  if (!control) return cuda::std::unexpected(std::move(control.error()));
  auto ring = try_as_words(ByteSpan(buffers.ring), "ring");
  if (!ring) return cuda::std::unexpected(std::move(ring.error()));
  auto log = try_as_words(ByteSpan(buffers.debug_log), "debug log");
  if (!log) return cuda::std::unexpected(std::move(log.error()));
  auto io = try_as_words(ByteSpan(buffers.io_queue), "I/O queue");
  if (!io) return cuda::std::unexpected(std::move(io.error()));

  auto header = try_validate_control_words(*control);
  if (!header) return cuda::std::unexpected(std::move(header.error()));
  MK_TRY(validate_ring_words(*ring, mk.slot_count()));
  MK_TRY(validate_debug_log_words(*log));
  MK_TRY(validate_io_queue_words(*io));
  const Backend& backend = mk.backend();
  if (!log->empty() && !backend.supports(Feature::DebugLog))
    return cuda::std::unexpected(unsupported(backend, Feature::DebugLog));
  if (!io->empty() && !backend.supports(Feature::IoQueue))
    return cuda::std::unexpected(unsupported(backend, Feature::IoQueue));
  if (trace && !backend.supports(Feature::Trace)) return cuda::std::unexpected(unsupported(backend, Feature::Trace));
  MK_TRY(try_stamp_opcode_table_words(*control, mk.opcode_table()));
  return BufferSet{*control, *ring, *log, *io};
}

}  // namespace detail

Result<DispatchStats> Megakernel::dispatch_in_place(OutputBuffers& buffers, std::vector<TraceEvent>* trace) const {
  const auto start = std::chrono::steady_clock::now();
  auto set = detail::validated_buffers(buffers, *this, trace);
  if (!set) return cuda::std::unexpected(std::move(set.error()));
  const WordSpan control = set->control;

  const std::uint32_t done_before = control[abi::CTRL_DONE_COUNT];
  auto launch = note_loss(m_backend->launch_one_shot(*m_pipeline, *set, trace));
  if (!launch) return cuda::std::unexpected(std::move(launch.error()));

  DispatchStats stats;
  stats.wall_ns = detail::elapsed_ns(start);
  stats.device_ns = launch->device_ns;
  stats.device_ns_known = launch->device_ns_known;
  stats.bytes_up = launch->bytes_up;
  stats.bytes_down = launch->bytes_down;
  stats.sweeps = launch->sweeps;
  stats.items_done = control[abi::CTRL_DONE_COUNT] - done_before;
  return stats;
}

Result<DispatchStats> Megakernel::dispatch_input_into(const DispatchInput& input, OutputBuffers& out,
                                                      std::vector<TraceEvent>* trace) const {
  const auto start = std::chrono::steady_clock::now();
  copy_into(out.control, input.control);
  copy_into(out.ring, input.ring);
  copy_into(out.debug_log, input.debug_log);
  copy_into(out.io_queue, input.io_queue);
  auto stats = dispatch_in_place(out, trace);
  if (stats) stats->wall_ns = detail::elapsed_ns(start);
  return stats;
}

Result<DispatchStats> Megakernel::dispatch_into(ConstByteSpan control, ConstByteSpan ring, OutputBuffers& out) const {
  return dispatch_input_into(DispatchInput{control, ring, {}, {}}, out);
}

Result<DispatchStats> Megakernel::dispatch_with_io_queue_into(ConstByteSpan control, ConstByteSpan ring,
                                                              ConstByteSpan debug_log, ConstByteSpan io_queue,
                                                              OutputBuffers& out) const {
  return dispatch_input_into(DispatchInput{control, ring, debug_log, io_queue}, out);
}

Result<Dispatched> Megakernel::dispatch_observed(ConstByteSpan control, ConstByteSpan ring) const {
  Dispatched d;
  auto stats = dispatch_into(control, ring, d.buffers);
  if (!stats) return cuda::std::unexpected(std::move(stats.error()));
  d.stats = *stats;
  return d;
}

Result<Dispatched> Megakernel::dispatch_observed(Bytes&& control, Bytes&& ring) const {
  Dispatched d;
  d.buffers.control = std::move(control);
  d.buffers.ring = std::move(ring);
  auto stats = dispatch_in_place(d.buffers);
  if (!stats) return cuda::std::unexpected(std::move(stats.error()));
  d.stats = *stats;
  return d;
}

Result<OutputBuffers> Megakernel::dispatch(ConstByteSpan control, ConstByteSpan ring) const {
  auto d = dispatch_observed(control, ring);
  if (!d) return cuda::std::unexpected(std::move(d.error()));
  return std::move(d->buffers);
}

Result<OutputBuffers> Megakernel::dispatch(Bytes&& control, Bytes&& ring) const {
  auto d = dispatch_observed(std::move(control), std::move(ring));
  if (!d) return cuda::std::unexpected(std::move(d.error()));
  return std::move(d->buffers);
}

Result<Dispatched> Megakernel::dispatch_with_io_queue_observed(ConstByteSpan control, ConstByteSpan ring,
                                                               ConstByteSpan debug_log, ConstByteSpan io_queue) const {
  Dispatched d;
  auto stats = dispatch_with_io_queue_into(control, ring, debug_log, io_queue, d.buffers);
  if (!stats) return cuda::std::unexpected(std::move(stats.error()));
  d.stats = *stats;
  return d;
}

Result<OutputBuffers> Megakernel::dispatch_with_io_queue(ConstByteSpan control, ConstByteSpan ring,
                                                         ConstByteSpan debug_log, ConstByteSpan io_queue) const {
  auto d = dispatch_with_io_queue_observed(control, ring, debug_log, io_queue);
  if (!d) return cuda::std::unexpected(std::move(d.error()));
  return std::move(d->buffers);
}

Result<OutputBuffers> Megakernel::dispatch_with_io_queue(Bytes&& control, Bytes&& ring, Bytes&& debug_log,
                                                         Bytes&& io_queue) const {
  OutputBuffers out{std::move(control), std::move(ring), std::move(debug_log), std::move(io_queue)};
  auto stats = dispatch_in_place(out);
  if (!stats) return cuda::std::unexpected(std::move(stats.error()));
  return out;
}

Status Megakernel::dispatch_readback_into(const DispatchInput& input, OutputBuffers& scratch, Readback& out) const {
  auto stats = dispatch_input_into(input, scratch);
  if (!stats) return cuda::std::unexpected(std::move(stats.error()));
  MK_TRY(try_decode_readback(scratch, out));
  out.stats = *stats;
  return {};
}

Result<Readback> Megakernel::dispatch_readback(ConstByteSpan control, ConstByteSpan ring) const {
  OutputBuffers scratch;
  Readback out;
  MK_TRY(dispatch_readback_into(DispatchInput{control, ring, {}, {}}, scratch, out));
  return out;
}

Result<Readback> Megakernel::dispatch_with_io_queue_readback(ConstByteSpan control, ConstByteSpan ring,
                                                             ConstByteSpan debug_log, ConstByteSpan io_queue) const {
  OutputBuffers scratch;
  Readback out;
  MK_TRY(dispatch_readback_into(DispatchInput{control, ring, debug_log, io_queue}, scratch, out));
  return out;
}

RecoveryReport Megakernel::recover_after_device_loss() {
  RecoveryReport report;
  {
    std::lock_guard<std::mutex> lock(m_loss->mutex);
    report.original = m_loss->last;
  }
  auto decision = m_backend->recover();
  if (!decision) {
    report.decision = RecoveryDecision::Unrecoverable;
    report.failure = decision.error();
    return report;
  }
  auto pipeline = m_backend->build_pipeline(m_spec);
  if (!pipeline) {
    report.decision = RecoveryDecision::Unrecoverable;
    report.failure = pipeline.error();
    return report;
  }
  m_pipeline = std::move(*pipeline);
  report.decision = *decision;
  std::lock_guard<std::mutex> lock(m_loss->mutex);
  m_loss->last.reset();
  return report;
}

}  // namespace mk
