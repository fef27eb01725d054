// Buffer sizes (checked arithmetic at the ABI limits) and the byte-to-word view.
#include "protocol_test_util.h"

namespace mk {
namespace {

using test::fails_with;

TEST(ProtocolSizes, RingBytesAreSlotsTimes64) {
  EXPECT_EQ(*try_ring_bytes(0), 0u);
  EXPECT_EQ(*try_ring_bytes(1), 64u);
  EXPECT_EQ(*try_ring_bytes(256), 256u * 64u);
  EXPECT_EQ(*try_ring_bytes(abi::MAX_RING_SLOTS), std::size_t{abi::MAX_RING_SLOTS} * 64u);
}

TEST(ProtocolSizes, RingSlotCountPastLimitIsInvalidArgument) {
  for (std::uint32_t slots : {abi::MAX_RING_SLOTS + 1, 0xFFFFFFFFu}) {
    EXPECT_TRUE(
        fails_with(try_ring_bytes(slots), ErrorKind::InvalidArgument, {"ring", "slot_count", std::to_string(slots)}));
    EXPECT_TRUE(fails_with(try_encode_empty_ring(slots), ErrorKind::InvalidArgument, {"ring", "slot_count"}));
  }
}

TEST(ProtocolSizes, ControlBytesAre656PlusObservablesWords) {
  EXPECT_EQ(*try_control_bytes(0), 656u * 4u);
  EXPECT_EQ(*try_control_bytes(10), 666u * 4u);
  EXPECT_EQ(*try_control_bytes(abi::MAX_OBSERVABLES), std::size_t{656u + abi::MAX_OBSERVABLES} * 4u);
}

TEST(ProtocolSizes, ObservableCountPastLimitIsInvalidArgument) {
  for (std::uint32_t count : {abi::MAX_OBSERVABLES + 1, 0xFFFFFFFFu}) {
    EXPECT_TRUE(fails_with(try_control_bytes(count), ErrorKind::InvalidArgument, {"control", "observable_count"}));
    EXPECT_TRUE(
        fails_with(try_encode_control(false, 1, count), ErrorKind::InvalidArgument, {"control", "observable_count"}));
  }
}

TEST(ProtocolSizes, DebugLogBytesAndLimit) {
  EXPECT_EQ(*try_debug_log_bytes(0), 16u);
  EXPECT_EQ(*try_debug_log_bytes(3), (4u + 24u) * 4u);
  EXPECT_TRUE(try_debug_log_bytes(abi::MAX_LOG_RECORDS).has_value());
  for (std::uint32_t count : {abi::MAX_LOG_RECORDS + 1, 0xFFFFFFFFu}) {
    EXPECT_TRUE(fails_with(try_debug_log_bytes(count), ErrorKind::InvalidArgument, {"debug log", "capacity_records"}));
    EXPECT_TRUE(fails_with(try_encode_empty_debug_log(count), ErrorKind::InvalidArgument, {"debug log"}));
  }
}

TEST(ProtocolSizes, IoQueueBytesAndLimit) {
  EXPECT_EQ(*try_io_queue_bytes(0), 16u);
  EXPECT_EQ(*try_io_queue_bytes(5), (4u + 40u) * 4u);
  EXPECT_TRUE(try_io_queue_bytes(abi::MAX_IO_REQUESTS).has_value());
  for (std::uint32_t count : {abi::MAX_IO_REQUESTS + 1, 0xFFFFFFFFu}) {
    EXPECT_TRUE(fails_with(try_io_queue_bytes(count), ErrorKind::InvalidArgument, {"io queue", "capacity_requests"}));
    EXPECT_TRUE(fails_with(try_encode_empty_io_queue(count), ErrorKind::InvalidArgument, {"io queue"}));
  }
}

TEST(ProtocolSizes, EveryLimitedBufferFitsU32Words) {
  // The limits exist so every word index fits a u32; check the edge on each side.
  EXPECT_LE(std::uint64_t{abi::MAX_RING_SLOTS} * abi::SLOT_WORDS, 0xFFFFFFFFull);
  EXPECT_LE(*try_control_bytes(abi::MAX_OBSERVABLES) / 4, 0xFFFFFFFFull);
  EXPECT_LE(*try_debug_log_bytes(abi::MAX_LOG_RECORDS) / 4, 0xFFFFFFFFull);
  EXPECT_LE(*try_io_queue_bytes(abi::MAX_IO_REQUESTS) / 4, 0xFFFFFFFFull);
}

TEST(ProtocolWords, AlignedWholeWordsViewTheSameMemory) {
  Bytes bytes(12);
  auto words = try_as_words(ByteSpan(bytes), "ring");
  ASSERT_TRUE(words.has_value());
  EXPECT_EQ(words->size(), 3u);
  EXPECT_EQ(static_cast<void*>(words->data()), static_cast<void*>(bytes.data()));
  (*words)[1] = 0x04030201u;
  // Little-endian: the low byte comes first.
  EXPECT_EQ(bytes[4], std::byte{1});
  EXPECT_EQ(bytes[7], std::byte{4});
  auto const_words = try_as_words(ConstByteSpan(bytes), "ring");
  ASSERT_TRUE(const_words.has_value());
  EXPECT_EQ((*const_words)[1], 0x04030201u);
}

TEST(ProtocolWords, EmptyBufferIsZeroWords) {
  auto words = try_as_words(ByteSpan(), "ring");
  ASSERT_TRUE(words.has_value());
  EXPECT_TRUE(words->empty());
}

TEST(ProtocolWords, TruncatedBufferIsMalformed) {
  Bytes bytes(13);
  EXPECT_TRUE(
      fails_with(try_as_words(ByteSpan(bytes), "control"), ErrorKind::Malformed, {"control", "13 bytes", "truncated"}));
  EXPECT_TRUE(fails_with(try_as_words(ConstByteSpan(bytes), "ring"), ErrorKind::Malformed, {"ring", "truncated"}));
}

TEST(ProtocolWords, MisalignedBufferIsMalformed) {
  test::Misaligned misaligned(Bytes(16));
  EXPECT_TRUE(
      fails_with(try_as_words(misaligned.span(), "debug log"), ErrorKind::Malformed, {"debug log", "misaligned"}));
  EXPECT_TRUE(fails_with(try_as_words(ConstByteSpan(misaligned.span()), "io queue"), ErrorKind::Malformed,
                         {"io queue", "misaligned"}));
}

}  // namespace
}  // namespace mk
