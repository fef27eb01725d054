// Whole-ring encoders: an empty ring, or items in slots 0..n-1 and every other slot EMPTY.
#include <algorithm>

#include "detail.h"

namespace mk {

Result<Bytes> try_encode_empty_ring(std::uint32_t slot_count) {
  auto bytes = try_ring_bytes(slot_count);
  if (!bytes) return detail::error_of(bytes);
  return Bytes(*bytes, std::byte{0});  // EMPTY is 0, and so is every other word
}

Bytes encode_empty_ring(std::uint32_t slot_count) { return value_or_throw(try_encode_empty_ring(slot_count)); }

Status try_encode_empty_ring_into(ByteSpan out, std::uint32_t slot_count) {
  auto bytes = try_ring_bytes(slot_count);
  if (!bytes) return detail::error_of(bytes);
  auto words = try_as_words(out, detail::RING);
  if (!words) return detail::error_of(words);
  MK_TRY(detail::check_output_size(detail::RING, words->size(), *bytes));
  std::fill(words->begin(), words->end(), Word{0});
  return {};
}

Status try_encode_work_items_ring_words_into(WordSpan ring, std::span<const WorkItem> items) {
  auto slot_count = detail::ring_slot_count(ring);
  if (!slot_count) return detail::error_of(slot_count);
  if (items.size() > *slot_count) {
    return fail(
        ErrorKind::InvalidArgument,
        std::to_string(items.size()) + " work items do not fit a ring of " + std::to_string(*slot_count) + " slots",
        "use a ring with at least as many slots as items, or publish in several rounds");
  }
  // Two read passes (items, then every slot's STATUS: every slot is rewritten, so every
  // slot must be free), then one write pass. Nothing polls a ring while it is encoded
  // whole, so large rings are written with streaming stores.
  if (!detail::items_and_slots_ok(ring, items, *slot_count)) {  // the fast pass failed: name what
    MK_TRY(detail::check_items(items, 0));
    MK_TRY(detail::check_slots_reusable(ring, 0, *slot_count));
  }
  detail::write_slots(ring, 0, items, /*no_concurrent_reader=*/true);
  detail::clear_slots(ring, static_cast<std::uint32_t>(items.size()), *slot_count - items.size(), true);
  return {};
}

Status try_encode_work_items_ring_into(ByteSpan ring, std::span<const WorkItem> items) {
  auto words = try_as_words(ring, detail::RING);
  if (!words) return detail::error_of(words);
  return try_encode_work_items_ring_words_into(*words, items);
}

}  // namespace mk
