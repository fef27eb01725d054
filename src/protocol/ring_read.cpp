// Ring readers: slot count, decoded slots and DONE slots.
#include "detail.h"

namespace mk {

namespace {

SlotView view_slot(ConstWordSpan ring, std::uint32_t slot) {
  const ConstWordSpan words = ring.subspan(std::size_t{slot} * abi::SLOT_WORDS, abi::SLOT_WORDS);
  SlotView view;
  // STATUS first with acquire: a terminal STATUS makes the kernel's RESULT visible.
  view.status = detail::load_acquire(words[abi::SLOT_STATUS]);
  view.opcode = words[abi::SLOT_OPCODE];
  view.tenant = words[abi::SLOT_TENANT];
  view.result = words[abi::SLOT_RESULT];
  for (std::uint32_t i = 0; i < abi::MAX_ARGS; ++i) view.args[i] = words[abi::SLOT_ARGS + i];
  return view;
}

Result<ConstWordSpan> ring_words(ConstByteSpan ring) {
  auto words = try_as_words(ring, detail::RING);
  if (!words) return detail::error_of(words);
  auto slot_count = detail::ring_slot_count(*words);
  if (!slot_count) return detail::error_of(slot_count);
  return *words;
}

}  // namespace

Result<std::uint32_t> try_slot_count(ConstByteSpan ring) {
  auto words = try_as_words(ring, detail::RING);
  if (!words) return detail::error_of(words);
  return detail::ring_slot_count(*words);
}

Result<SlotView> try_read_slot(ConstByteSpan ring, std::uint32_t slot) {
  auto words = ring_words(ring);
  if (!words) return detail::error_of(words);
  MK_TRY(detail::check_slot_range(static_cast<std::uint32_t>(words->size() / abi::SLOT_WORDS), slot, 1));
  return view_slot(*words, slot);
}

Result<std::vector<SlotView>> try_read_slots(ConstByteSpan ring) {
  auto words = ring_words(ring);
  if (!words) return detail::error_of(words);
  const auto slot_count = static_cast<std::uint32_t>(words->size() / abi::SLOT_WORDS);
  std::vector<SlotView> slots;
  slots.reserve(slot_count);
  for (std::uint32_t slot = 0; slot < slot_count; ++slot) slots.push_back(view_slot(*words, slot));
  return slots;
}

Result<std::uint32_t> try_count_done_ring_slots(ConstByteSpan ring) {
  auto words = ring_words(ring);
  if (!words) return detail::error_of(words);
  std::uint32_t done = 0;
  for (std::size_t word = abi::SLOT_STATUS; word < words->size(); word += abi::SLOT_WORDS) {
    if (detail::load_acquire((*words)[word]) == abi::STATUS_DONE) ++done;
  }
  return done;
}

Result<std::vector<std::uint32_t>> try_read_done_slots(ConstByteSpan ring) {
  auto words = ring_words(ring);
  if (!words) return detail::error_of(words);
  const auto slot_count = static_cast<std::uint32_t>(words->size() / abi::SLOT_WORDS);
  std::vector<std::uint32_t> done;
  for (std::uint32_t slot = 0; slot < slot_count; ++slot) {
    const std::size_t word = std::size_t{slot} * abi::SLOT_WORDS + abi::SLOT_STATUS;
    if (detail::load_acquire((*words)[word]) == abi::STATUS_DONE) done.push_back(slot);
  }
  return done;
}

}  // namespace mk
