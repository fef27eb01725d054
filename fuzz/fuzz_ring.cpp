// libFuzzer target: ring readers (slot count, slots, DONE slots, packed args) on arbitrary bytes.
#include "fuzz_util.h"

using namespace mk;
using fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes ring = fuzz::aligned_copy(data, size);
  const auto count = try_slot_count(ring);
  const auto slots = try_read_slots(ring);
  const auto done = try_count_done_ring_slots(ring);
  const auto done_slots = try_read_done_slots(ring);
  const bool whole_slots = size % abi::SLOT_BYTES == 0;
  check(count.has_value() == whole_slots && slots.has_value() == whole_slots);
  check(done.has_value() == whole_slots && done_slots.has_value() == whole_slots);
  if (!whole_slots) {
    check(count.error().kind() == ErrorKind::Malformed);
    return 0;
  }
  check(slots->size() == *count && done_slots->size() == *done);
  std::uint32_t counted = 0;
  for (std::uint32_t slot = 0; slot < *count; ++slot) {
    const SlotView& view = (*slots)[slot];
    counted += view.status == abi::STATUS_DONE;
    const auto one = try_read_slot(ring, slot);
    check(one && one->status == view.status && one->args == view.args && one->result == view.result);
    if (view.opcode == abi::OP_PACKED_SLOT) {
      // Either a clean decode within the limits or Malformed; never a crash.
      const auto ops = try_decode_packed_args(view.args);
      if (ops) {
        check(!ops->empty() && ops->size() <= abi::PACKED_MAX_OPS);
        std::size_t words = 0;
        for (const PackedOp& op : *ops) words += op.args.size();
        check(words <= abi::PACKED_MAX_WORDS);
      } else {
        check(ops.error().kind() == ErrorKind::Malformed);
      }
    }
  }
  check(counted == *done);
  for (std::size_t i = 1; i < done_slots->size(); ++i) check((*done_slots)[i - 1] < (*done_slots)[i]);
  check(!try_read_slot(ring, *count).has_value());

  fuzz::MisalignedCopy misaligned(data, size);
  check(!try_read_slots(misaligned.span()).has_value());
  return 0;
}
