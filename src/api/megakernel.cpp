// Megakernel: bootstrap (geometry, opcode table, pipeline) and the one-shot dispatch family.
#include "mk/megakernel.h"

#include <chrono>
#include <string>

#include "api/buffer_checks.h"

namespace mk {
namespace {

std::uint64_t elapsed_ns(std::chrono::steady_clock::time_point start) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count());
}

// Copy src into dst, reusing dst's allocation when the size repeats.
void copy_into(Bytes& dst, ConstByteSpan src) { dst.assign(src.begin(), src.end()); }

Status validate_handlers_basic(const std::vector<OpcodeHandler>& handlers) {
  if (handlers.size() > abi::MAX_CUSTOM_OPCODES)
    return fail(ErrorKind::InvalidArgument,
                std::to_string(handlers.size()) + " custom opcodes registered; the table holds " +
                    std::to_string(abi::MAX_CUSTOM_OPCODES),
                "register at most 52 custom opcodes");
  for (std::size_t i = 0; i < handlers.size(); ++i) {
    const std::uint32_t op = handlers[i].opcode;
    if (abi::is_system_opcode(op))
      return fail(ErrorKind::InvalidArgument,
                  "custom opcode " + std::to_string(op) + " (\"" + handlers[i].name + "\") is in the system range",
                  "pick an id in 8..0xFFEF or 0x10000..0x7FFFFFFF");
    for (std::size_t j = 0; j < i; ++j)
      if (handlers[j].opcode == op)
        return fail(ErrorKind::InvalidArgument, "custom opcode " + std::to_string(op) + " is registered twice",
                    "give every handler its own opcode id");
  }
  return {};
}

}  // namespace

Megakernel::Megakernel(std::shared_ptr<Backend> backend, Geometry geometry, std::vector<OpcodeHandler> handlers,
                       std::vector<std::uint32_t> opcode_ids, std::shared_ptr<const Pipeline> pipeline)
    : m_backend(std::move(backend)),
      m_geometry(geometry),
      m_handlers(std::move(handlers)),
      m_opcode_ids(std::move(opcode_ids)),
      m_pipeline(std::move(pipeline)) {}

Result<std::uint32_t> Megakernel::worker_groups_for_geometry(std::uint32_t slot_count,
                                                             std::uint32_t workgroup_size_x) {
  if (slot_count == 0 || slot_count > abi::MAX_RING_SLOTS)
    return fail(ErrorKind::QueueFull,
                "slot_count " + std::to_string(slot_count) + " is outside 1.." + std::to_string(abi::MAX_RING_SLOTS),
                "use a slot count between 1 and MAX_RING_SLOTS");
  if (workgroup_size_x == 0 || slot_count % workgroup_size_x != 0)
    return fail(ErrorKind::QueueFull,
                "slot_count " + std::to_string(slot_count) + " does not map to whole workgroups of " +
                    std::to_string(workgroup_size_x) + " lanes",
                "make slot_count a multiple of workgroup_size_x (e.g. " +
                    std::to_string(workgroup_size_x == 0 ? 64 : (slot_count / workgroup_size_x + 1) * workgroup_size_x) +
                    ")");
  return slot_count / workgroup_size_x;
}

Result<Megakernel> Megakernel::build(std::shared_ptr<Backend> backend, Geometry geometry,
                                     std::vector<OpcodeHandler> handlers, std::optional<std::uint32_t> processor) {
  if (!backend)
    return fail(ErrorKind::InvalidArgument, "backend is null", "pass mk::make_backend(\"auto\")");
  auto groups = worker_groups_for_geometry(geometry.slot_count, geometry.workgroup_size_x);
  if (!groups) return cuda::std::unexpected(std::move(groups.error()));
  geometry.worker_groups = *groups;
  MK_TRY(validate_handlers_basic(handlers));
  if (!handlers.empty() && !backend->supports(Feature::CustomOpcodes))
    return cuda::std::unexpected(unsupported(*backend, Feature::CustomOpcodes));
  if (processor && !backend->supports(Feature::PayloadProcessor))
    return cuda::std::unexpected(unsupported(*backend, Feature::PayloadProcessor));

  std::vector<std::uint32_t> ids(std::begin(abi::BUILTIN_OPCODE_IDS), std::end(abi::BUILTIN_OPCODE_IDS));
  for (const auto& h : handlers) ids.push_back(h.opcode);

  PipelineSpec spec;
  spec.geometry = geometry;
  spec.opcode_ids = ids;
  spec.handlers = handlers;
  spec.payload_processor = processor;
  auto pipeline = backend->build_pipeline(spec);
  if (!pipeline) return cuda::std::unexpected(std::move(pipeline.error()));
  return Megakernel(std::move(backend), geometry, std::move(handlers), std::move(ids), std::move(*pipeline));
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

Result<DispatchStats> Megakernel::dispatch_in_place(OutputBuffers& buffers, std::vector<TraceEvent>* trace) const {
  const auto start = std::chrono::steady_clock::now();
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
  MK_TRY(detail::validate_ring_words(*ring, m_geometry.slot_count));
  MK_TRY(detail::validate_debug_log_words(*log));
  MK_TRY(detail::validate_io_queue_words(*io));
  if (!log->empty() && !m_backend->supports(Feature::DebugLog))
    return cuda::std::unexpected(unsupported(*m_backend, Feature::DebugLog));
  if (!io->empty() && !m_backend->supports(Feature::IoQueue))
    return cuda::std::unexpected(unsupported(*m_backend, Feature::IoQueue));
  if (trace && !m_backend->supports(Feature::Trace))
    return cuda::std::unexpected(unsupported(*m_backend, Feature::Trace));
  MK_TRY(try_stamp_opcode_table_words(*control, m_opcode_ids));

  const std::uint32_t done_before = (*control)[abi::CTRL_DONE_COUNT];
  auto launch = m_backend->launch_one_shot(*m_pipeline, BufferSet{*control, *ring, *log, *io}, trace);
  if (!launch) return cuda::std::unexpected(std::move(launch.error()));

  DispatchStats stats;
  stats.wall_ns = elapsed_ns(start);
  stats.device_ns = launch->device_ns;
  stats.device_ns_known = launch->device_ns_known;
  stats.bytes_up = launch->bytes_up;
  stats.bytes_down = launch->bytes_down;
  stats.sweeps = launch->sweeps;
  stats.items_done = (*control)[abi::CTRL_DONE_COUNT] - done_before;
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
  if (stats) stats->wall_ns = elapsed_ns(start);
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

}  // namespace mk
