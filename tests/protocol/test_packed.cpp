// PACKED_SLOT: encoding inner ops into ARGS, decoding them back, and the limits.
#include "protocol_test_util.h"

namespace mk {
namespace {

using test::fails_with;
using test::get_word;
using test::slot_word;

TEST(ProtocolPacked, LayoutFollowsDesign) {
  const std::vector<PackedOp> ops = {
      {abi::OP_STORE_U32, {3, 7}}, {abi::OP_NOP, {}}, {abi::OP_ATOMIC_ADD, {3, 1}}, {200, {42}}};
  auto item = try_make_packed_item(5, ops);
  ASSERT_TRUE(item.has_value());
  EXPECT_EQ(item->opcode, abi::OP_PACKED_SLOT);
  EXPECT_EQ(item->tenant, 5u);
  EXPECT_EQ(item->arg_count, 3u + 5u);
  EXPECT_EQ(item->args[0], 4u | (5u << 8));  // 4 ops, 5 words used
  EXPECT_EQ(item->args[1], 0xC8020001u);     // opcodes 1, 0, 2, 200 as bytes
  EXPECT_EQ(item->args[2], 0x04020200u);     // offsets 0, 2, 2, 4
  const std::array<std::uint32_t, 12> want = {4u | (5u << 8), 0xC8020001u, 0x04020200u, 3, 7, 3, 1, 42, 0, 0, 0, 0};
  EXPECT_EQ(item->args, want);
  auto decoded = try_decode_packed_args(item->args);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, ops);
}

TEST(ProtocolPacked, PublishWritesThePackedItem) {
  Bytes ring = encode_empty_ring(2);
  const std::vector<PackedOp> ops = {{abi::OP_LOAD_U32, {1}}, {abi::OP_STORE_U32, {2, 3}}};
  ASSERT_TRUE(try_publish_packed_slot(ring, 1, 0, ops).has_value());
  EXPECT_EQ(get_word(ring, slot_word(1, 0)), abi::STATUS_PUBLISHED);
  EXPECT_EQ(get_word(ring, slot_word(1, 1)), abi::OP_PACKED_SLOT);
  const SlotView view = *try_read_slot(ring, 1);
  EXPECT_EQ(*try_decode_packed_args(view.args), ops);
  publish_packed_slot(ring, 0, 1, ops);
  EXPECT_EQ(try_read_slot(ring, 0)->tenant, 1u);
}

void expect_rejected(const std::vector<PackedOp>& ops, std::initializer_list<std::string_view> needles) {
  EXPECT_TRUE(fails_with(try_make_packed_item(0, ops), ErrorKind::InvalidArgument, needles));
  Bytes ring = encode_empty_ring(2);
  const Bytes before = ring;
  EXPECT_TRUE(fails_with(try_publish_packed_slot(ring, 1, 0, ops), ErrorKind::InvalidArgument, needles));
  EXPECT_EQ(ring, before);
}

TEST(ProtocolPacked, ZeroOpsIsInvalidArgument) { expect_rejected({}, {"0 inner ops", "ARGS[0]"}); }

TEST(ProtocolPacked, MoreThanFourOpsIsInvalidArgument) {
  expect_rejected(std::vector<PackedOp>(5, PackedOp{abi::OP_NOP, {}}), {"5 inner ops", "1..4"});
}

TEST(ProtocolPacked, OpcodeIdOf256IsInvalidArgument) {
  expect_rejected({{abi::OP_NOP, {}}, {256, {1}}}, {"packed op 1", "0x00000100", "ARGS[1]", "< 256"});
  expect_rejected({{abi::OP_PRINTF, {}}}, {"packed op 0", "0x0000FFFE"});
}

TEST(ProtocolPacked, MoreThanNinePackedWordsIsInvalidArgument) {
  expect_rejected({{abi::OP_MEMCPY, {1, 2, 3}}, {abi::OP_MEMCPY, {4, 5, 6}}, {abi::OP_MEMCPY, {7, 8, 9, 10}}},
                  {"10 argument words", "PACKED_MAX_WORDS=9"});
  const std::vector<PackedOp> nine = {
      {abi::OP_MEMCPY, {1, 2, 3}}, {abi::OP_MEMCPY, {4, 5, 6}}, {abi::OP_MEMCPY, {7, 8, 9}}};
  EXPECT_EQ(try_make_packed_item(0, nine)->arg_count, 12u);
}

TEST(ProtocolPacked, PublishIntoBusySlotWritesNothing) {
  Bytes ring = encode_empty_ring(1);
  test::set_word(ring, 0, abi::STATUS_CLAIMED);
  const Bytes before = ring;
  const std::vector<PackedOp> ops = {{abi::OP_NOP, {}}};
  EXPECT_TRUE(fails_with(try_publish_packed_slot(ring, 0, 0, ops), ErrorKind::QueueFull,
                         {"slot 0 still in flight (STATUS=CLAIMED)"}));
  EXPECT_TRUE(fails_with(try_publish_packed_slot(ring, 1, 0, ops), ErrorKind::InvalidArgument, {"ring slot 1"}));
  EXPECT_TRUE(
      test::throws_with([&] { publish_packed_slot(ring, 0, 0, {}); }, ErrorKind::InvalidArgument, "0 inner ops"));
  EXPECT_EQ(ring, before);
}

TEST(ProtocolPacked, DecodeRejectsInconsistentArgs) {
  std::array<std::uint32_t, 12> args{};
  EXPECT_TRUE(fails_with(try_decode_packed_args(args), ErrorKind::Malformed, {"ARGS[0]", "op count 0"}));
  args[0] = 5;
  EXPECT_TRUE(fails_with(try_decode_packed_args(args), ErrorKind::Malformed, {"op count 5"}));
  args[0] = 1 | (10u << 8);
  EXPECT_TRUE(fails_with(try_decode_packed_args(args), ErrorKind::Malformed, {"uses 10 packed words"}));
  args[0] = 2 | (3u << 8);
  args[2] = 0x00000102u;  // op 0 starts at 2, op 1 at 1: backwards
  EXPECT_TRUE(fails_with(try_decode_packed_args(args), ErrorKind::Malformed, {"ARGS[2]", "op 0"}));
  args[2] = 0x00000400u;  // op 1 starts past the 3 used words
  EXPECT_TRUE(fails_with(try_decode_packed_args(args), ErrorKind::Malformed, {"op 0", "[0, 4)"}));
}

}  // namespace
}  // namespace mk
