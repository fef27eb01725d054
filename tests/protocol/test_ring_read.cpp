// Ring readers: slot count, decoded slots, DONE slots.
#include "protocol_test_util.h"

namespace mk {
namespace {

using test::fails_with;
using test::set_word;
using test::slot_word;

TEST(ProtocolRingRead, SlotCountIsBytesOver64) {
  EXPECT_EQ(*try_slot_count(encode_empty_ring(7)), 7u);
  EXPECT_EQ(*try_slot_count(ConstByteSpan()), 0u);
  EXPECT_TRUE(fails_with(try_slot_count(Bytes(65)), ErrorKind::Malformed, {"ring", "truncated"}));
  EXPECT_TRUE(fails_with(try_slot_count(Bytes(96)), ErrorKind::Malformed, {"ring is 96 bytes", "truncated"}));
}

TEST(ProtocolRingRead, ReadSlotDecodesEveryWord) {
  Bytes ring = encode_empty_ring(3);
  for (std::uint32_t w = 0; w < 16; ++w) set_word(ring, slot_word(1, w), 100 + w);
  set_word(ring, slot_word(1, 0), abi::STATUS_FAULT);
  auto slot = try_read_slot(ring, 1);
  ASSERT_TRUE(slot.has_value());
  EXPECT_EQ(slot->status, abi::STATUS_FAULT);
  EXPECT_EQ(slot->opcode, 101u);
  EXPECT_EQ(slot->tenant, 102u);
  EXPECT_EQ(slot->result, 103u);
  for (std::uint32_t a = 0; a < 12; ++a) EXPECT_EQ(slot->args[a], 104 + a);
}

TEST(ProtocolRingRead, ReadSlotOutOfRangeIsInvalidArgument) {
  const Bytes ring = encode_empty_ring(3);
  EXPECT_TRUE(fails_with(try_read_slot(ring, 3), ErrorKind::InvalidArgument, {"ring slot 3", "3 slots"}));
  EXPECT_TRUE(fails_with(try_read_slot(Bytes(70), 0), ErrorKind::Malformed, {"ring", "truncated"}));
  test::Misaligned misaligned(ring);
  EXPECT_TRUE(fails_with(try_read_slot(misaligned.span(), 0), ErrorKind::Malformed, {"ring", "misaligned"}));
  EXPECT_TRUE(fails_with(try_read_slots(misaligned.span()), ErrorKind::Malformed, {"misaligned"}));
  EXPECT_TRUE(fails_with(try_count_done_ring_slots(misaligned.span()), ErrorKind::Malformed, {"misaligned"}));
  EXPECT_TRUE(fails_with(try_read_done_slots(Bytes(80)), ErrorKind::Malformed, {"truncated"}));
}

TEST(ProtocolRingRead, DoneSlotsAscending) {
  Bytes ring = encode_empty_ring(8);
  for (std::uint32_t s : {1u, 4u, 7u}) set_word(ring, slot_word(s, 0), abi::STATUS_DONE);
  set_word(ring, slot_word(2, 0), abi::STATUS_FAULT);
  set_word(ring, slot_word(3, 0), abi::STATUS_CLAIMED);
  EXPECT_EQ(*try_count_done_ring_slots(ring), 3u);
  EXPECT_EQ(*try_read_done_slots(ring), (std::vector<std::uint32_t>{1, 4, 7}));
  auto slots = try_read_slots(ring);
  ASSERT_TRUE(slots.has_value());
  ASSERT_EQ(slots->size(), 8u);
  EXPECT_EQ((*slots)[3].status, abi::STATUS_CLAIMED);
  EXPECT_EQ((*slots)[2].status, abi::STATUS_FAULT);
}

TEST(ProtocolRingRead, PublishThenReadRoundTrip) {
  Bytes ring = encode_empty_ring(4);
  const std::vector<std::uint32_t> args = {9, 8, 7, 6, 5};
  const WorkItem item = *WorkItem::make(0x4000, 2, args);
  publish_slot(ring, 3, item);
  const SlotView view = *try_read_slot(ring, 3);
  EXPECT_EQ(view.status, abi::STATUS_PUBLISHED);
  EXPECT_EQ(view.opcode, item.opcode);
  EXPECT_EQ(view.tenant, item.tenant);
  EXPECT_EQ(view.result, 0u);
  EXPECT_EQ(view.args, item.args);
}

}  // namespace
}  // namespace mk
