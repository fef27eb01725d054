// Publishers: one slot, a run of slots, a packed slot, and a fenced batch.
#include "detail.h"

namespace mk {

namespace {

// Validates every item of the run (and the optional trailing fence) before it writes a
// single word, so a failing batch leaves the ring byte-identical.
Result<std::uint32_t> publish_run(WordSpan ring, std::uint32_t first_slot, std::span<const WorkItem> items,
                                  const WorkItem* fence) {
  auto slot_count = detail::ring_slot_count(ring);
  if (!slot_count) return detail::error_of(slot_count);
  const std::size_t total = items.size() + (fence != nullptr ? 1 : 0);
  MK_TRY(detail::check_slot_range(*slot_count, first_slot, total));
  // The range check bounds every slot index below by a u32 slot count.
  MK_TRY(detail::check_items(items, first_slot));
  MK_TRY(detail::check_slots_reusable(ring, first_slot, total));
  // Ascending order, fence last: a lane that claims the fence finds its slots published.
  // Other slots of the ring may be live, so each slot keeps its release store of STATUS.
  detail::write_slots(ring, first_slot, items, /*no_concurrent_reader=*/false);
  if (fence != nullptr) {
    detail::write_slot(ring, first_slot + static_cast<std::uint32_t>(items.size()), *fence);
  }
  return first_slot + static_cast<std::uint32_t>(total);
}

}  // namespace

Status try_publish_slot_words(WordSpan ring, std::uint32_t slot, const WorkItem& item) {
  auto next = publish_run(ring, slot, std::span<const WorkItem>(&item, 1), nullptr);
  if (!next) return detail::error_of(next);
  return {};
}

Status try_publish_slot(ByteSpan ring, std::uint32_t slot, const WorkItem& item) {
  auto words = try_as_words(ring, detail::RING);
  if (!words) return detail::error_of(words);
  return try_publish_slot_words(*words, slot, item);
}

void publish_slot(ByteSpan ring, std::uint32_t slot, const WorkItem& item) {
  value_or_throw(try_publish_slot(ring, slot, item));
}

Result<std::uint32_t> try_publish_work_items(ByteSpan ring, std::uint32_t first_slot, std::span<const WorkItem> items) {
  auto words = try_as_words(ring, detail::RING);
  if (!words) return detail::error_of(words);
  return publish_run(*words, first_slot, items, nullptr);
}

std::uint32_t publish_work_items(ByteSpan ring, std::uint32_t first_slot, std::span<const WorkItem> items) {
  return value_or_throw(try_publish_work_items(ring, first_slot, items));
}

Status try_publish_packed_slot(ByteSpan ring, std::uint32_t slot, std::uint32_t tenant, std::span<const PackedOp> ops) {
  auto item = try_make_packed_item(tenant, ops);
  if (!item) return detail::error_of(item);
  return try_publish_slot(ring, slot, *item);
}

void publish_packed_slot(ByteSpan ring, std::uint32_t slot, std::uint32_t tenant, std::span<const PackedOp> ops) {
  value_or_throw(try_publish_packed_slot(ring, slot, tenant, ops));
}

Result<std::uint32_t> try_batch_publish(ByteSpan ring, std::uint32_t first_slot, std::span<const WorkItem> items,
                                        std::uint32_t fence_tag, std::uint32_t fence_tenant) {
  auto words = try_as_words(ring, detail::RING);
  if (!words) return detail::error_of(words);
  if (items.size() >= abi::MAX_RING_SLOTS) {
    // Keeps the fence's COUNT argument a u32; the range check would refuse it anyway.
    return fail(ErrorKind::InvalidArgument, "batch of " + std::to_string(items.size()) + " items does not fit any ring",
                "split the batch");
  }
  WorkItem fence;
  fence.opcode = abi::OP_BATCH_FENCE;
  fence.tenant = fence_tenant;
  fence.args[abi::FENCE_ARG_FIRST_SLOT] = first_slot;
  fence.args[abi::FENCE_ARG_COUNT] = static_cast<std::uint32_t>(items.size());
  fence.args[abi::FENCE_ARG_TAG] = fence_tag;
  fence.arg_count = abi::FENCE_ARG_TAG + 1;
  return publish_run(*words, first_slot, items, &fence);
}

std::uint32_t batch_publish(ByteSpan ring, std::uint32_t first_slot, std::span<const WorkItem> items,
                            std::uint32_t fence_tag, std::uint32_t fence_tenant) {
  return value_or_throw(try_batch_publish(ring, first_slot, items, fence_tag, fence_tenant));
}

}  // namespace mk
