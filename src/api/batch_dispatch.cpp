// The bulk path: BatchBuilder, BatchOutput and Megakernel::dispatch_batch.
#include <algorithm>
#include <bit>
#include <chrono>
#include <string>

#include "api/clock.h"
#include "mk/bulk.h"

namespace mk {
namespace {

// Keep `memory` at least `bytes` large (grow-only: a repeated shape allocates nothing).
Status ensure_host(Backend& backend, HostMemory& memory, std::size_t bytes) {
  if (memory.size() >= bytes) return {};
  auto fresh = backend.allocate_host(bytes);
  if (!fresh) return cuda::std::unexpected(std::move(fresh.error()));
  memory = std::move(*fresh);
  return {};
}

}  // namespace

// ---------------------------------------------------------------------------
// BatchBuilder

BatchBuilder::BatchBuilder(std::shared_ptr<Backend> backend, BatchShape shape)
    : m_backend(std::move(backend)), m_shape(shape), m_stride(shape.stride()) {
  // Records of no words need no memory: any count fits.
  if (m_stride == 0) m_capacity = abi::BATCH_MAX_ITEMS;
}

Result<BatchBuilder> BatchBuilder::make(const Megakernel& megakernel, BatchShape shape, std::uint32_t reserve_items) {
  MK_TRY(try_validate_batch_shape(shape));
  if (!shape.per_item_opcode && megakernel.opcode_index(shape.opcode) == abi::NO_OPCODE_INDEX)
    return fail(ErrorKind::InvalidArgument,
                "batch shape: opcode " + std::to_string(shape.opcode) + " is not in the megakernel's opcode table",
                "register it as a custom opcode at bootstrap, or fix the opcode id");
  BatchBuilder builder(megakernel.backend_ptr(), shape);
  MK_TRY(builder.reserve(reserve_items));
  return builder;
}

Status BatchBuilder::reserve(std::uint32_t items) {
  if (items <= m_capacity) return {};
  if (items > abi::BATCH_MAX_ITEMS)
    return fail(
        ErrorKind::InvalidArgument,
        "batch: " + std::to_string(items) + " items exceed BATCH_MAX_ITEMS " + std::to_string(abi::BATCH_MAX_ITEMS),
        "split the work into several batches");
  auto fresh = m_backend->allocate_host(std::size_t{items} * m_stride * sizeof(Word));
  if (!fresh) return cuda::std::unexpected(std::move(fresh.error()));
  if (m_count != 0) std::copy_n(m_words, std::size_t{m_count} * m_stride, fresh->words());
  m_memory = std::move(*fresh);
  m_words = m_memory.words();
  m_capacity = items;
  return {};
}

Status BatchBuilder::grow(std::uint32_t more) {
  const std::uint64_t need = std::uint64_t{m_count} + more;
  const std::uint64_t want = std::max<std::uint64_t>({1024, std::uint64_t{m_capacity} * 2, need});
  const auto items = static_cast<std::uint32_t>(std::min<std::uint64_t>(want, abi::BATCH_MAX_ITEMS));
  if (items < need)
    return fail(ErrorKind::QueueFull, "batch is full at BATCH_MAX_ITEMS items", "dispatch it and start another");
  return reserve(items);
}

void BatchBuilder::grow_or_throw(std::uint32_t more) {
  if (auto grown = grow(more); !grown) throw std::move(grown.error());
}

Status BatchBuilder::add(std::span<const Word> args) { return add(m_shape.opcode, m_shape.tenant, args); }

Status BatchBuilder::add(std::uint32_t opcode, std::uint32_t tenant, std::span<const Word> args) {
  if (args.size() > m_shape.arg_count)
    return fail(ErrorKind::InvalidArgument,
                "batch item " + std::to_string(m_count) + ": " + std::to_string(args.size()) +
                    " argument words exceed the shape's arg_count " + std::to_string(m_shape.arg_count),
                "make the batch with a larger BatchShape::arg_count (at most 12)");
  if (m_count == m_capacity) MK_TRY(grow(1));
  Word* r = append();
  if (m_shape.per_item_opcode) *r++ = opcode;
  if (m_shape.per_item_tenant) *r++ = tenant;
  for (std::uint32_t a = 0; a < m_shape.arg_count; ++a) r[a] = a < args.size() ? args[a] : 0u;
  return {};
}

// ---------------------------------------------------------------------------
// BatchOutput

std::uint32_t BatchOutput::fault_count() const noexcept {
  std::uint32_t n = 0;
  for (const Word w : fault_bits()) n += static_cast<std::uint32_t>(std::popcount(w));
  return n;
}

std::vector<BatchFault> BatchOutput::faults() const {
  std::vector<BatchFault> out;
  const ConstWordSpan bits = fault_bits();
  for (std::uint32_t w = 0; w < bits.size(); ++w)
    for (Word b = bits[w]; b != 0; b &= b - 1) {
      const std::uint32_t item = w * 32u + static_cast<std::uint32_t>(std::countr_zero(b));
      out.push_back(BatchFault{item, result(item)});
    }
  return out;
}

Result<SlotView> try_batch_item_slot(const BatchView& batch, const BatchOutput& out, std::uint32_t item) {
  if (out.size() != batch.count || item >= batch.count)
    return fail(ErrorKind::InvalidArgument,
                "batch item " + std::to_string(item) + " is not in a dispatched batch of " +
                    std::to_string(out.size()) + " results (the view has " + std::to_string(batch.count) + " items)",
                "pass the BatchView that was dispatched into this BatchOutput, and an item below its count");
  const std::uint32_t stride = batch.shape.stride();
  if (batch.records.size() < std::uint64_t{batch.count} * stride)
    return fail(ErrorKind::InvalidArgument, "batch records are shorter than count * stride",
                "pass the BatchView that was dispatched");
  const Word* r = batch.records.data() + std::size_t{item} * stride;
  SlotView slot;
  slot.opcode = batch.shape.per_item_opcode ? *r++ : batch.shape.opcode;
  slot.tenant = batch.shape.per_item_tenant ? *r++ : batch.shape.tenant;
  for (std::uint32_t a = 0; a < batch.shape.arg_count && a < abi::MAX_ARGS; ++a) slot.args[a] = r[a];
  slot.status = out.faulted(item) ? abi::STATUS_FAULT : abi::STATUS_DONE;
  slot.result = out.result(item);
  return slot;
}

// ---------------------------------------------------------------------------
// Megakernel::dispatch_batch

Result<DispatchStats> Megakernel::dispatch_batch(ConstByteSpan control, const BatchView& batch,
                                                 BatchOutput& out) const {
  const auto start = std::chrono::steady_clock::now();
  if (!m_backend->supports(Feature::CompactBatch))
    return cuda::std::unexpected(unsupported(*m_backend, Feature::CompactBatch));
  auto control_words = try_as_words(control, "control");
  if (!control_words) return cuda::std::unexpected(std::move(control_words.error()));
  auto header = try_validate_control_words(*control_words);
  if (!header) return cuda::std::unexpected(std::move(header.error()));
  // Everything is checked before anything is written or moved.
  MK_TRY(try_validate_batch(batch, m_opcode_ids, header->tenant_count));
  MK_TRY(ensure_host(*m_backend, out.m_results, std::size_t{batch.count} * sizeof(Word)));
  MK_TRY(ensure_host(*m_backend, out.m_fault_bits, std::size_t{abi::batch_fault_words(batch.count)} * sizeof(Word)));

  out.m_control.assign(control.begin(), control.end());
  auto words = try_as_words(ByteSpan(out.m_control), "control");
  if (!words) return cuda::std::unexpected(std::move(words.error()));
  MK_TRY(try_stamp_opcode_table_words(*words, m_opcode_ids));
  out.m_count = batch.count;
  const std::uint32_t done_before = (*words)[abi::CTRL_DONE_COUNT];

  BatchLaunch launch;
  launch.control = *words;
  launch.batch = batch;
  launch.results = WordSpan(out.m_results.words(), batch.count);
  launch.fault_bits = WordSpan(out.m_fault_bits.words(), abi::batch_fault_words(batch.count));
  auto ran = note_loss(m_backend->launch_batch(*m_pipeline, launch));
  if (!ran) {
    out.m_count = 0;  // nothing half-written is presented as results
    return cuda::std::unexpected(std::move(ran.error()));
  }

  DispatchStats stats;
  stats.device_ns = ran->device_ns;
  stats.device_ns_known = ran->device_ns_known;
  stats.bytes_up = ran->bytes_up;
  stats.bytes_down = ran->bytes_down;
  stats.sweeps = ran->sweeps;
  stats.items_done = (*words)[abi::CTRL_DONE_COUNT] - done_before;
  stats.wall_ns = detail::elapsed_ns(start);
  out.m_stats = stats;
  return stats;
}

}  // namespace mk
