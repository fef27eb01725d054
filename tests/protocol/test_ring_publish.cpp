// Publishing one slot: the word layout, STATUS last, and every refusal writing nothing.
#include "protocol_test_util.h"

namespace mk {
namespace {

using test::fails_with;
using test::get_word;
using test::set_word;
using test::slot_word;

WorkItem item_with_args(std::uint32_t opcode, std::uint32_t tenant, std::vector<std::uint32_t> args) {
  auto item = WorkItem::make(opcode, tenant, args);
  EXPECT_TRUE(item.has_value());
  return *item;
}

TEST(ProtocolWorkItem, MakeCopiesArgs) {
  const std::vector<std::uint32_t> args = {1, 2, 3};
  const WorkItem item = *WorkItem::make(abi::OP_STORE_U32, 4, args);
  EXPECT_EQ(item.opcode, abi::OP_STORE_U32);
  EXPECT_EQ(item.tenant, 4u);
  EXPECT_EQ(item.arg_count, 3u);
  EXPECT_EQ(item.args[2], 3u);
  EXPECT_EQ(item.args[3], 0u);
  EXPECT_EQ(WorkItem::make(0, 0, std::vector<std::uint32_t>(12, 1))->arg_count, 12u);
}

TEST(ProtocolWorkItem, MoreThan12ArgsIsInvalidArgument) {
  EXPECT_TRUE(fails_with(WorkItem::make(abi::OP_NOP, 0, std::vector<std::uint32_t>(13, 1)), ErrorKind::InvalidArgument,
                         {"13 args", "MAX_ARGS=12"}));
}

TEST(ProtocolPublish, WritesEveryWordAndStatusPublished) {
  Bytes ring = encode_empty_ring(4);
  // A DONE slot full of the previous item's words: all of them must be replaced.
  for (std::uint32_t w = 0; w < 16; ++w) set_word(ring, slot_word(2, w), 0xCCCC0000u + w);
  set_word(ring, slot_word(2, 0), abi::STATUS_DONE);
  ASSERT_TRUE(try_publish_slot(ring, 2, item_with_args(abi::OP_ATOMIC_ADD, 3, {10, 20})).has_value());
  EXPECT_EQ(get_word(ring, slot_word(2, 0)), abi::STATUS_PUBLISHED);
  EXPECT_EQ(get_word(ring, slot_word(2, 1)), abi::OP_ATOMIC_ADD);
  EXPECT_EQ(get_word(ring, slot_word(2, 2)), 3u);
  EXPECT_EQ(get_word(ring, slot_word(2, 3)), 0u);  // RESULT cleared
  EXPECT_EQ(get_word(ring, slot_word(2, 4)), 10u);
  EXPECT_EQ(get_word(ring, slot_word(2, 5)), 20u);
  for (std::uint32_t w = 6; w < 16; ++w) EXPECT_EQ(get_word(ring, slot_word(2, w)), 0u) << "word " << w;
  // Neighbours untouched.
  for (std::uint32_t w = 0; w < 16; ++w) {
    EXPECT_EQ(get_word(ring, slot_word(1, w)), 0u);
    EXPECT_EQ(get_word(ring, slot_word(3, w)), 0u);
  }
}

TEST(ProtocolPublish, ArgsBeyondArgCountAreWrittenZero) {
  Bytes ring = encode_empty_ring(1);
  WorkItem item;
  item.opcode = abi::OP_STORE_U32;
  item.args.fill(0xABCDu);
  item.arg_count = 2;
  publish_slot(ring, 0, item);
  EXPECT_EQ(get_word(ring, 5), 0xABCDu);
  EXPECT_EQ(get_word(ring, 6), 0u);
  EXPECT_EQ(get_word(ring, 15), 0u);
}

TEST(ProtocolPublish, ReusableFromEmptyDoneAndFault) {
  for (std::uint32_t status : {abi::STATUS_EMPTY, abi::STATUS_DONE, abi::STATUS_FAULT}) {
    Bytes ring = encode_empty_ring(2);
    set_word(ring, slot_word(1, 0), status);
    EXPECT_TRUE(try_publish_slot(ring, 1, WorkItem{}).has_value()) << status_name(status);
    EXPECT_EQ(get_word(ring, slot_word(1, 0)), abi::STATUS_PUBLISHED);
  }
}

class ProtocolInFlight : public ::testing::TestWithParam<std::uint32_t> {};

TEST_P(ProtocolInFlight, PublishIntoBusySlotIsQueueFullAndWritesNothing) {
  const std::uint32_t status = GetParam();
  Bytes ring = encode_empty_ring(4);
  set_word(ring, slot_word(2, 0), status);
  set_word(ring, slot_word(2, 3), 77);
  const Bytes before = ring;
  const std::string needle = "slot 2 still in flight (STATUS=" + std::string(status_name(status)) + ")";
  auto result = try_publish_slot(ring, 2, item_with_args(abi::OP_NOP, 0, {1}));
  EXPECT_TRUE(fails_with(result, ErrorKind::QueueFull, {"ring", needle}));
  EXPECT_NE(result.error().fix().find("wait"), std::string::npos);
  EXPECT_EQ(ring, before);
  EXPECT_TRUE(test::throws_with([&] { publish_slot(ring, 2, WorkItem{}); }, ErrorKind::QueueFull, needle));
  EXPECT_EQ(ring, before);
}

INSTANTIATE_TEST_SUITE_P(BusyStatuses, ProtocolInFlight,
                         ::testing::Values(abi::STATUS_PUBLISHED, abi::STATUS_CLAIMED, abi::STATUS_WAIT_IO,
                                           abi::STATUS_YIELD, abi::STATUS_REQUEUE, 8u, 0xFFFFFFFFu),
                         [](const auto& info) {
                           const std::string_view name = status_name(info.param);
                           return name == "UNKNOWN" ? "UNKNOWN_" + std::to_string(info.param) : std::string(name);
                         });

TEST(ProtocolPublish, SlotOutOfRangeIsInvalidArgument) {
  Bytes ring = encode_empty_ring(4);
  const Bytes before = ring;
  EXPECT_TRUE(fails_with(try_publish_slot(ring, 4, WorkItem{}), ErrorKind::InvalidArgument,
                         {"ring slot 4 is out of range", "4 slots"}));
  EXPECT_TRUE(fails_with(try_publish_slot(ring, 0xFFFFFFFFu, WorkItem{}), ErrorKind::InvalidArgument,
                         {"ring slot 4294967295"}));
  Bytes empty;
  EXPECT_TRUE(fails_with(try_publish_slot(empty, 0, WorkItem{}), ErrorKind::InvalidArgument, {"0 slots"}));
  EXPECT_EQ(ring, before);
}

TEST(ProtocolPublish, TooManyArgsIsInvalidArgumentAndWritesNothing) {
  Bytes ring = encode_empty_ring(2);
  const Bytes before = ring;
  WorkItem item;
  item.arg_count = 13;
  EXPECT_TRUE(fails_with(try_publish_slot(ring, 1, item), ErrorKind::InvalidArgument,
                         {"ring slot 1", "arg_count=13", "MAX_ARGS=12"}));
  EXPECT_EQ(ring, before);
}

TEST(ProtocolPublish, TruncatedOrMisalignedRingIsMalformed) {
  Bytes ring = encode_empty_ring(2);
  EXPECT_TRUE(fails_with(try_publish_slot(ByteSpan(ring).first(127), 0, WorkItem{}), ErrorKind::Malformed,
                         {"ring", "truncated"}));
  // A whole number of words but not of slots.
  Bytes partial_slot(68);
  const Bytes before = partial_slot;
  EXPECT_TRUE(fails_with(try_publish_slot(partial_slot, 0, WorkItem{}), ErrorKind::Malformed,
                         {"ring is 68 bytes", "64-byte slots", "truncated"}));
  EXPECT_EQ(partial_slot, before);
  test::Misaligned misaligned(ring);
  EXPECT_TRUE(
      fails_with(try_publish_slot(misaligned.span(), 0, WorkItem{}), ErrorKind::Malformed, {"ring", "misaligned"}));
}

TEST(ProtocolPublish, WordsFormMatchesBytesForm) {
  Bytes ring = encode_empty_ring(3);
  std::vector<Word> words(3 * 16, 0);
  const WorkItem item = item_with_args(0x1234, 1, {5, 6, 7, 8});
  ASSERT_TRUE(try_publish_slot(ring, 1, item).has_value());
  ASSERT_TRUE(try_publish_slot_words(words, 1, item).has_value());
  EXPECT_EQ(std::memcmp(words.data(), ring.data(), ring.size()), 0);
  words[16] = abi::STATUS_CLAIMED;
  EXPECT_TRUE(fails_with(try_publish_slot_words(words, 1, item), ErrorKind::QueueFull, {"CLAIMED"}));
}

TEST(ProtocolEmptyRing, EncodeIsAllZero) {
  const Bytes ring = encode_empty_ring(5);
  EXPECT_EQ(ring, Bytes(5 * 64));
  EXPECT_TRUE(encode_empty_ring(0).empty());
  Bytes out = test::patterned(3 * 64);
  ASSERT_TRUE(try_encode_empty_ring_into(out, 3).has_value());
  EXPECT_EQ(out, Bytes(3 * 64));
}

TEST(ProtocolEmptyRing, IntoWrongSizeOrOverflowWritesNothing) {
  Bytes out = test::patterned(3 * 64);
  const Bytes before = out;
  EXPECT_TRUE(
      fails_with(try_encode_empty_ring_into(out, 4), ErrorKind::InvalidArgument, {"output ring", "192 bytes", "256"}));
  EXPECT_TRUE(fails_with(try_encode_empty_ring_into(out, abi::MAX_RING_SLOTS + 1), ErrorKind::InvalidArgument,
                         {"ring", "slot_count"}));
  EXPECT_EQ(out, before);
  EXPECT_TRUE(test::throws_with([] { encode_empty_ring(0xFFFFFFFFu); }, ErrorKind::InvalidArgument, "slot_count"));
}

}  // namespace
}  // namespace mk
