// libFuzzer target: every publisher with arbitrary ring states and arguments. A failed
// call must leave the ring byte-identical; a successful one must write exactly its slots.
#include <fuzzer/FuzzedDataProvider.h>

#include <vector>

#include "fuzz_util.h"

using namespace mk;
using fuzz::check;

namespace {

constexpr std::uint32_t MAX_SLOTS = 40;

WorkItem consume_item(FuzzedDataProvider& in) {
  WorkItem item;
  item.opcode =
      in.ConsumeBool() ? in.ConsumeIntegralInRange<std::uint32_t>(0, 16) : in.ConsumeIntegral<std::uint32_t>();
  item.tenant = in.ConsumeIntegral<std::uint8_t>();
  item.arg_count = in.ConsumeIntegralInRange<std::uint32_t>(0, abi::MAX_ARGS + 3);
  for (std::uint32_t a = 0; a < abi::MAX_ARGS && a < item.arg_count; ++a)
    item.args[a] = in.ConsumeIntegral<std::uint32_t>();
  return item;
}

std::vector<PackedOp> consume_packed(FuzzedDataProvider& in) {
  std::vector<PackedOp> ops(in.ConsumeIntegralInRange<std::size_t>(0, abi::PACKED_MAX_OPS + 1));
  for (PackedOp& op : ops) {
    op.opcode = in.ConsumeIntegralInRange<std::uint32_t>(0, 300);
    op.args.resize(in.ConsumeIntegralInRange<std::size_t>(0, 5));
    for (auto& arg : op.args) arg = in.ConsumeIntegral<std::uint32_t>();
  }
  return ops;
}

std::uint32_t slot_status(const Bytes& ring, std::uint32_t slot) {
  std::uint32_t status = 0;
  std::memcpy(&status, ring.data() + std::size_t{slot} * abi::SLOT_BYTES, sizeof status);
  return status;
}

bool same_slot(const Bytes& a, const Bytes& b, std::uint32_t slot) {
  return std::memcmp(a.data() + std::size_t{slot} * abi::SLOT_BYTES, b.data() + std::size_t{slot} * abi::SLOT_BYTES,
                     abi::SLOT_BYTES) == 0;
}

// After a successful publish of [first, end): those slots were free and are now
// PUBLISHED; the rest are untouched, or all-zero EMPTY slots for a whole-ring encode.
void check_written(const Bytes& ring, const Bytes& before, std::uint32_t slots, std::uint32_t first, std::uint64_t end,
                   bool whole_ring) {
  const Bytes empty_slot(abi::SLOT_BYTES);
  for (std::uint32_t slot = 0; slot < slots; ++slot) {
    check(abi::slot_reusable(slot_status(before, slot)) || !(whole_ring || (slot >= first && slot < end)));
    if (slot >= first && slot < end) {
      check(slot_status(ring, slot) == abi::STATUS_PUBLISHED);
    } else if (whole_ring) {
      check(std::memcmp(ring.data() + std::size_t{slot} * abi::SLOT_BYTES, empty_slot.data(), abi::SLOT_BYTES) == 0);
    } else {
      check(same_slot(ring, before, slot));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const std::uint32_t slots = in.ConsumeIntegralInRange<std::uint32_t>(0, MAX_SLOTS);
  const std::size_t tail =
      in.ConsumeIntegralInRange<std::size_t>(0, 7) == 0 ? in.ConsumeIntegralInRange<std::size_t>(1, 63) : 0;
  const bool misaligned = in.ConsumeIntegralInRange<int>(0, 15) == 0;
  const std::uint8_t fill = in.ConsumeIntegral<std::uint8_t>();

  // Storage with one spare byte in front, so the ring can start misaligned.
  Bytes storage(std::size_t{slots} * abi::SLOT_BYTES + tail + 1, std::byte{fill});
  const ByteSpan ring_span(storage.data() + (misaligned ? 1 : 0), storage.size() - 1);
  for (std::uint32_t slot = 0; slot < slots && !misaligned; ++slot) {
    const std::uint32_t status = in.ConsumeIntegralInRange<std::uint32_t>(0, abi::STATUS_COUNT + 1);
    std::memcpy(ring_span.data() + std::size_t{slot} * abi::SLOT_BYTES, &status, sizeof status);
  }
  const bool well_formed = tail == 0 && !misaligned;

  const Bytes before = storage;
  const std::uint32_t first =
      in.ConsumeBool() ? in.ConsumeIntegralInRange<std::uint32_t>(0, slots + 2) : in.ConsumeIntegral<std::uint32_t>();
  std::vector<WorkItem> items(in.ConsumeIntegralInRange<std::size_t>(0, slots + 2));
  for (WorkItem& item : items) item = consume_item(in);
  const std::vector<PackedOp> ops = consume_packed(in);
  const std::uint32_t tag = in.ConsumeIntegral<std::uint32_t>();

  std::uint64_t end = first;
  std::uint32_t written_first = first;
  bool ok = false;
  bool whole_ring = false;
  switch (in.ConsumeIntegralInRange<int>(0, 5)) {
    case 0:
      ok = items.empty() || try_publish_slot(ring_span, first, items[0]).has_value();
      end = items.empty() ? first : std::uint64_t{first} + 1;
      break;
    case 1:
      ok = try_publish_work_items(ring_span, first, items).has_value();
      end = std::uint64_t{first} + items.size();
      break;
    case 2:
      ok = try_batch_publish(ring_span, first, items, tag, first & 0xFF).has_value();
      end = std::uint64_t{first} + items.size() + 1;
      break;
    case 3:
      ok = try_encode_work_items_ring_into(ring_span, items).has_value();
      written_first = 0;
      whole_ring = true;
      end = items.size();
      break;
    case 4:
      ok = try_publish_packed_slot(ring_span, first, tag & 0xFF, ops).has_value();
      end = std::uint64_t{first} + 1;
      check(ok <= try_make_packed_item(0, ops).has_value());
      break;
    default: {
      // The words form must behave exactly like the bytes form.
      auto words = try_as_words(ring_span, "ring");
      check(words.has_value() == ((ring_span.size() % abi::WORD_BYTES == 0) && !misaligned));
      if (!words) return 0;
      ok = items.empty() || try_publish_slot_words(*words, first, items[0]).has_value();
      end = items.empty() ? first : std::uint64_t{first} + 1;
      if (!items.empty() && tail % abi::WORD_BYTES == 0 && tail != 0) check(!ok);  // words, but not whole slots
      break;
    }
  }

  if (!ok) {
    check(storage == before);
    return 0;
  }
  check(well_formed || items.empty());
  if (!well_formed) return 0;
  Bytes ring(storage.begin(), storage.end() - 1);
  Bytes ring_before(before.begin(), before.end() - 1);
  check_written(ring, ring_before, slots, written_first, end, whole_ring);
  // Whatever was published reads back as PUBLISHED with RESULT 0.
  for (std::uint64_t slot = written_first; slot < end && slot < slots; ++slot) {
    const auto view = try_read_slot(ring, static_cast<std::uint32_t>(slot));
    check(view && view->status == abi::STATUS_PUBLISHED && view->result == 0);
  }
  return 0;
}
