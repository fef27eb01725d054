// Batch publishers: a run of items, a whole-ring encode and a fenced batch. Each
// validates the whole batch first, so every refusal leaves the ring byte-identical.
#include <array>
#include <cstring>

#include "protocol_test_util.h"

namespace mk {
namespace {

using test::fails_with;
using test::get_word;
using test::set_word;
using test::slot_word;

std::vector<WorkItem> make_items(std::uint32_t n) {
  std::vector<WorkItem> items;
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::vector<std::uint32_t> args = {i, i * 10, i * 100};
    items.push_back(*WorkItem::make(abi::OP_STORE_U32, i % 3, args));
  }
  return items;
}

void expect_slot(const Bytes& ring, std::uint32_t slot, const WorkItem& item) {
  EXPECT_EQ(get_word(ring, slot_word(slot, 0)), abi::STATUS_PUBLISHED) << "slot " << slot;
  EXPECT_EQ(get_word(ring, slot_word(slot, 1)), item.opcode) << "slot " << slot;
  EXPECT_EQ(get_word(ring, slot_word(slot, 2)), item.tenant) << "slot " << slot;
  EXPECT_EQ(get_word(ring, slot_word(slot, 3)), 0u) << "slot " << slot;
  for (std::uint32_t a = 0; a < 12; ++a) {
    EXPECT_EQ(get_word(ring, slot_word(slot, 4 + a)), a < item.arg_count ? item.args[a] : 0u)
        << "slot " << slot << " arg " << a;
  }
}

// A ring whose untouched slots hold recognisable garbage in reusable states.
Bytes garbage_ring(std::uint32_t slots) {
  Bytes ring = test::patterned(std::size_t{slots} * 64);
  for (std::uint32_t s = 0; s < slots; ++s)
    set_word(ring, slot_word(s, 0), s % 2 ? abi::STATUS_DONE : abi::STATUS_FAULT);
  return ring;
}

TEST(ProtocolWorkItems, PublishRunTouchesOnlyItsSlots) {
  Bytes ring = garbage_ring(10);
  const Bytes before = ring;
  const auto items = make_items(4);
  auto next = try_publish_work_items(ring, 3, items);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, 7u);
  for (std::uint32_t i = 0; i < 4; ++i) expect_slot(ring, 3 + i, items[i]);
  for (std::uint32_t s : {0u, 1u, 2u, 7u, 8u, 9u}) {
    EXPECT_EQ(std::memcmp(ring.data() + s * 64, before.data() + s * 64, 64), 0) << "slot " << s;
  }
  EXPECT_EQ(publish_work_items(ring, 7, make_items(3)), 10u);
}

TEST(ProtocolWorkItems, EmptyBatchReturnsFirstSlot) {
  Bytes ring = encode_empty_ring(4);
  EXPECT_EQ(*try_publish_work_items(ring, 4, {}), 4u);
  EXPECT_TRUE(fails_with(try_publish_work_items(ring, 5, {}), ErrorKind::InvalidArgument, {"ring", "4 slots"}));
  EXPECT_EQ(ring, encode_empty_ring(4));
}

TEST(ProtocolWorkItems, RunPastEndIsInvalidArgumentAndWritesNothing) {
  Bytes ring = garbage_ring(6);
  const Bytes before = ring;
  EXPECT_TRUE(fails_with(try_publish_work_items(ring, 4, make_items(3)), ErrorKind::InvalidArgument,
                         {"ring slots [4, 7)", "6 slots"}));
  EXPECT_TRUE(fails_with(try_publish_work_items(ring, 0xFFFFFFFFu, make_items(2)), ErrorKind::InvalidArgument,
                         {"ring slots [4294967295, 4294967297)"}));
  EXPECT_TRUE(
      test::throws_with([&] { publish_work_items(ring, 5, make_items(2)); }, ErrorKind::InvalidArgument, "ring slots"));
  EXPECT_EQ(ring, before);
}

TEST(ProtocolWorkItems, BusySlotLateInBatchWritesNothing) {
  for (std::uint32_t busy :
       {abi::STATUS_PUBLISHED, abi::STATUS_CLAIMED, abi::STATUS_WAIT_IO, abi::STATUS_YIELD, abi::STATUS_REQUEUE}) {
    Bytes ring = garbage_ring(8);
    set_word(ring, slot_word(5, 0), busy);
    const Bytes before = ring;
    EXPECT_TRUE(fails_with(try_publish_work_items(ring, 1, make_items(6)), ErrorKind::QueueFull,
                           {"ring slot 5 still in flight (STATUS=" + std::string(status_name(busy)) + ")"}));
    EXPECT_EQ(ring, before);
  }
}

TEST(ProtocolWorkItems, BadArgCountLateInBatchWritesNothing) {
  Bytes ring = garbage_ring(8);
  const Bytes before = ring;
  auto items = make_items(5);
  items[4].arg_count = 200;
  EXPECT_TRUE(
      fails_with(try_publish_work_items(ring, 2, items), ErrorKind::InvalidArgument, {"ring slot 6", "arg_count=200"}));
  EXPECT_EQ(ring, before);
}

TEST(ProtocolRingEncode, ItemsFirstAndEveryOtherSlotEmpty) {
  Bytes ring = garbage_ring(6);
  const auto items = make_items(3);
  ASSERT_TRUE(try_encode_work_items_ring_into(ring, items).has_value());
  for (std::uint32_t i = 0; i < 3; ++i) expect_slot(ring, i, items[i]);
  for (std::uint32_t s = 3; s < 6; ++s) {
    for (std::uint32_t w = 0; w < 16; ++w) EXPECT_EQ(get_word(ring, slot_word(s, w)), 0u) << s << ":" << w;
  }
  std::vector<Word> words(6 * 16, 0);
  ASSERT_TRUE(try_encode_work_items_ring_words_into(words, items).has_value());
  EXPECT_EQ(std::memcmp(words.data(), ring.data(), ring.size()), 0);
}

TEST(ProtocolRingEncode, TooManyItemsIsInvalidArgumentAndWritesNothing) {
  Bytes ring = garbage_ring(2);
  const Bytes before = ring;
  EXPECT_TRUE(fails_with(try_encode_work_items_ring_into(ring, make_items(3)), ErrorKind::InvalidArgument,
                         {"3 work items", "ring of 2 slots"}));
  EXPECT_EQ(ring, before);
}

TEST(ProtocolRingEncode, BusySlotAnywhereInRingWritesNothing) {
  Bytes ring = garbage_ring(6);
  set_word(ring, slot_word(5, 0), abi::STATUS_WAIT_IO);  // beyond the items, still rewritten
  const Bytes before = ring;
  EXPECT_TRUE(fails_with(try_encode_work_items_ring_into(ring, make_items(2)), ErrorKind::QueueFull,
                         {"ring slot 5 still in flight (STATUS=WAIT_IO)"}));
  EXPECT_EQ(ring, before);
  auto items = make_items(2);
  items[1].arg_count = 13;
  set_word(ring, slot_word(5, 0), abi::STATUS_DONE);
  const Bytes before_args = ring;
  EXPECT_TRUE(fails_with(try_encode_work_items_ring_into(ring, items), ErrorKind::InvalidArgument, {"arg_count=13"}));
  EXPECT_EQ(ring, before_args);
}

TEST(ProtocolRingEncode, TruncatedRingIsMalformed) {
  Bytes ring(100);
  EXPECT_TRUE(
      fails_with(try_encode_work_items_ring_into(ring, make_items(1)), ErrorKind::Malformed, {"ring", "truncated"}));
  EXPECT_EQ(ring, Bytes(100));
}

TEST(ProtocolBatch, ItemsThenFenceCoveringThem) {
  Bytes ring = garbage_ring(10);
  const auto items = make_items(4);
  auto next = try_batch_publish(ring, 2, items, 0xBEEF, 3);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, 7u);
  for (std::uint32_t i = 0; i < 4; ++i) expect_slot(ring, 2 + i, items[i]);
  WorkItem fence;
  fence.opcode = abi::OP_BATCH_FENCE;
  fence.tenant = 3;
  fence.args[0] = 2;
  fence.args[1] = 4;
  fence.args[2] = 0xBEEF;
  fence.arg_count = 3;
  expect_slot(ring, 6, fence);
  EXPECT_EQ(batch_publish(ring, 7, make_items(2), 1), 10u);
  EXPECT_EQ(get_word(ring, slot_word(9, 2)), 0u);  // default fence tenant
}

TEST(ProtocolBatch, EmptyBatchIsJustAFence) {
  Bytes ring = encode_empty_ring(2);
  EXPECT_EQ(*try_batch_publish(ring, 1, {}, 5), 2u);
  EXPECT_EQ(get_word(ring, slot_word(1, 1)), abi::OP_BATCH_FENCE);
  EXPECT_EQ(get_word(ring, slot_word(1, 5)), 0u);  // COUNT
}

TEST(ProtocolBatch, NoRoomForFenceWritesNothing) {
  Bytes ring = garbage_ring(6);
  const Bytes before = ring;
  // The items alone fit in [2, 6); the fence would need slot 6.
  EXPECT_TRUE(fails_with(try_batch_publish(ring, 2, make_items(4), 1), ErrorKind::InvalidArgument,
                         {"ring slots [2, 7)", "6 slots"}));
  EXPECT_TRUE(test::throws_with([&] { batch_publish(ring, 6, {}, 1); }, ErrorKind::InvalidArgument, "ring slot 6"));
  EXPECT_EQ(ring, before);
}

TEST(ProtocolBatch, BusyFenceSlotWritesNothing) {
  Bytes ring = garbage_ring(8);
  set_word(ring, slot_word(5, 0), abi::STATUS_YIELD);
  const Bytes before = ring;
  EXPECT_TRUE(fails_with(try_batch_publish(ring, 1, make_items(4), 1), ErrorKind::QueueFull,
                         {"ring slot 5 still in flight (STATUS=YIELD)"}));
  EXPECT_EQ(ring, before);
}

TEST(ProtocolBatch, BadItemWritesNothing) {
  Bytes ring = garbage_ring(8);
  const Bytes before = ring;
  auto items = make_items(3);
  items[0].arg_count = 99;
  EXPECT_TRUE(fails_with(try_batch_publish(ring, 0, items, 1), ErrorKind::InvalidArgument, {"arg_count=99"}));
  EXPECT_EQ(ring, before);
}

TEST(ProtocolWorkItem, BracedArgumentListsCompile) {
  const WorkItem item = value_or_throw(WorkItem::make(abi::OP_STORE_U32, 2, {3, 7}));
  EXPECT_EQ(item.arg_count, 2u);
  EXPECT_EQ(item.args[1], 7u);
  EXPECT_EQ(value_or_throw(WorkItem::make(abi::OP_NOP, 0, {})).arg_count, 0u);
  EXPECT_FALSE(WorkItem::make(abi::OP_NOP, 0, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}));
}

// Rings of 64K+ slots are written with streaming stores (src/protocol/ring_slots.cpp):
// the same bytes as the small-ring path, and the same all-or-nothing refusals.
TEST(ProtocolRingEncode, LargeRingsEncodeTheSameAndRefuseWhole) {
  constexpr std::uint32_t slots = 70'000, n = 69'000;
  Bytes ring = garbage_ring(slots);
  const auto items = make_items(n);
  ASSERT_TRUE(try_encode_work_items_ring_into(ring, items).has_value());
  for (std::uint32_t i = 0; i < n; i += 997) expect_slot(ring, i, items[i]);
  expect_slot(ring, n - 1, items[n - 1]);
  for (std::uint32_t s = n; s < slots; s += 101)
    for (std::uint32_t w = 0; w < 16; ++w) ASSERT_EQ(get_word(ring, slot_word(s, w)), 0u) << s << ":" << w;
  // Byte-identical to encoding the same items slot by slot into a small-ring layout.
  for (std::uint32_t i = 0; i < n; i += 4099) {
    std::array<Word, abi::SLOT_WORDS> one{};
    encode_slot_words(items[i], one);
    EXPECT_EQ(std::memcmp(ring.data() + std::size_t{i} * 64, one.data(), 64), 0) << i;
  }
  // Refusals past the first 64K slots still write nothing.
  Bytes again = garbage_ring(slots);
  set_word(again, slot_word(slots - 1, 0), abi::STATUS_CLAIMED);
  const Bytes before = again;
  EXPECT_TRUE(fails_with(try_encode_work_items_ring_into(again, items), ErrorKind::QueueFull, {"ring slot 69999"}));
  EXPECT_EQ(again, before);
  set_word(again, slot_word(slots - 1, 0), abi::STATUS_FAULT);
  const Bytes before_args = again;
  auto bad = items;
  bad[n - 1].arg_count = 13;
  EXPECT_TRUE(fails_with(try_encode_work_items_ring_into(again, bad), ErrorKind::InvalidArgument, {"arg_count=13"}));
  EXPECT_EQ(again, before_args);
}

}  // namespace
}  // namespace mk
