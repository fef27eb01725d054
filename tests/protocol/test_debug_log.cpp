// Debug log: encoding, committed records, dropped (CURSOR past CAPACITY) and partial records.
#include "protocol_test_util.h"

namespace mk {
namespace {

using test::fails_with;
using test::get_word;
using test::set_word;

std::size_t record_word(std::uint32_t index, std::uint32_t field) { return 4 + std::size_t{index} * 8 + field; }

// Writes record `index` the way a lane does, COMMIT last.
void commit_record(Bytes& log, std::uint32_t index, std::uint32_t fmt, std::uint32_t tenant, std::uint32_t slot) {
  set_word(log, record_word(index, 1), tenant);
  set_word(log, record_word(index, 2), slot);
  for (std::uint32_t a = 0; a < 5; ++a) set_word(log, record_word(index, 3 + a), fmt * 10 + a);
  set_word(log, record_word(index, 0), fmt | 0x80000000u);
}

DebugRecord expected_record(std::uint32_t index, std::uint32_t fmt, std::uint32_t tenant, std::uint32_t slot) {
  DebugRecord record{index, fmt, tenant, slot, {}};
  for (std::uint32_t a = 0; a < 5; ++a) record.args[a] = fmt * 10 + a;
  return record;
}

TEST(ProtocolDebugLog, EncodeEmptyWritesHeader) {
  const Bytes log = encode_empty_debug_log(3);
  ASSERT_EQ(log.size(), (4u + 24u) * 4u);
  EXPECT_EQ(get_word(log, 0), 0x474C4B4Du);
  EXPECT_EQ(get_word(log, 1), 3u);
  for (std::size_t w = 2; w < log.size() / 4; ++w) EXPECT_EQ(get_word(log, w), 0u);
  Bytes out = test::patterned(log.size());
  ASSERT_TRUE(try_encode_empty_debug_log_into(out, 3).has_value());
  EXPECT_EQ(out, log);
  const DebugLog decoded = read_debug_log(log);
  EXPECT_TRUE(decoded.records.empty());
  EXPECT_EQ(decoded.capacity, 3u);
  EXPECT_EQ(decoded.claimed, 0u);
}

TEST(ProtocolDebugLog, EncodeIntoWrongSizeWritesNothing) {
  Bytes out = test::patterned(16);
  const Bytes before = out;
  EXPECT_TRUE(fails_with(try_encode_empty_debug_log_into(out, 1), ErrorKind::InvalidArgument,
                         {"output debug log", "16 bytes", "48"}));
  EXPECT_TRUE(fails_with(try_encode_empty_debug_log_into(out, abi::MAX_LOG_RECORDS + 1), ErrorKind::InvalidArgument,
                         {"debug log", "capacity_records"}));
  EXPECT_EQ(out, before);
  EXPECT_TRUE(test::throws_with([] { encode_empty_debug_log(0xFFFFFFFFu); }, ErrorKind::InvalidArgument, "debug log"));
}

TEST(ProtocolDebugLog, CommittedRecordsDecodeInOrder) {
  Bytes log = encode_empty_debug_log(4);
  commit_record(log, 0, 7, 1, 12);
  commit_record(log, 1, 8, 2, 13);
  set_word(log, 2, 2);
  auto decoded = try_read_debug_log(log);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->records, (std::vector<DebugRecord>{expected_record(0, 7, 1, 12), expected_record(1, 8, 2, 13)}));
  EXPECT_EQ(decoded->claimed, 2u);
  EXPECT_EQ(decoded->dropped, 0u);
  EXPECT_EQ(decoded->partial, 0u);
}

TEST(ProtocolDebugLog, RecordsPastCursorAreIgnored) {
  Bytes log = encode_empty_debug_log(4);
  commit_record(log, 0, 1, 0, 0);
  commit_record(log, 2, 3, 0, 0);  // not claimed: CURSOR says 1
  set_word(log, 2, 1);
  EXPECT_EQ(read_debug_log(log).records.size(), 1u);
}

TEST(ProtocolDebugLog, CursorPastCapacityCountsDropped) {
  Bytes log = encode_empty_debug_log(2);
  commit_record(log, 0, 1, 0, 0);
  commit_record(log, 1, 2, 0, 0);
  set_word(log, 2, 9);
  auto decoded = try_read_debug_log(log, DecodeMode::Strict);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->records.size(), 2u);
  EXPECT_EQ(decoded->claimed, 9u);
  EXPECT_EQ(decoded->dropped, 7u);
  set_word(log, 2, 0xFFFFFFFFu);
  EXPECT_EQ(read_debug_log(log).dropped, 0xFFFFFFFFu - 2);
  EXPECT_EQ(read_debug_log(encode_empty_debug_log(0)).dropped, 0u);
}

TEST(ProtocolDebugLog, PartialRecordStrictIsMalformedLenientCounts) {
  Bytes log = encode_empty_debug_log(4);
  commit_record(log, 0, 1, 0, 0);
  set_word(log, record_word(1, 1), 5);  // claimed, fields written, COMMIT still 0
  commit_record(log, 2, 3, 0, 0);
  set_word(log, 2, 3);
  auto strict = try_read_debug_log(log, DecodeMode::Strict);
  EXPECT_TRUE(fails_with(strict, ErrorKind::Malformed, {"debug log record 1 word 12 (COMMIT) is 0", "CURSOR = 3"}));
  EXPECT_NE(strict.error().fix().find("Lenient"), std::string::npos);
  EXPECT_TRUE(test::throws_with([&] { read_debug_log(log); }, ErrorKind::Malformed, "record 1"));

  auto lenient = try_read_debug_log(log, DecodeMode::Lenient);
  ASSERT_TRUE(lenient.has_value());
  EXPECT_EQ(lenient->partial, 1u);
  EXPECT_EQ(lenient->records, (std::vector<DebugRecord>{expected_record(0, 1, 0, 0), expected_record(2, 3, 0, 0)}));
}

TEST(ProtocolDebugLog, CommitWithoutCommitBitIsMalformedInStrictMode) {
  Bytes log = encode_empty_debug_log(2);
  set_word(log, record_word(0, 0), 0x1234u);
  set_word(log, 2, 1);
  EXPECT_TRUE(fails_with(try_read_debug_log(log), ErrorKind::Malformed,
                         {"debug log record 0 word 4 (COMMIT)", "0x00001234", "commit bit"}));
  EXPECT_EQ(read_debug_log(log, DecodeMode::Lenient).partial, 1u);
}

TEST(ProtocolDebugLog, WrongMagicTruncatedAndSizeMismatchAreMalformed) {
  Bytes log = encode_empty_debug_log(3);
  set_word(log, 0, 0x314B434Du);  // a control buffer's magic
  EXPECT_TRUE(fails_with(try_read_debug_log(log), ErrorKind::Malformed,
                         {"debug log word 0 (MAGIC) is 0x314B434D, expected 0x474C4B4D"}));
  log = encode_empty_debug_log(3);
  set_word(log, 1, 4);  // CAPACITY claims one more record than the buffer holds
  EXPECT_TRUE(fails_with(try_read_debug_log(log), ErrorKind::Malformed,
                         {"debug log is 28 words", "word 1 (CAPACITY) = 4", "36 words"}));
  set_word(log, 1, 0xFFFFFFFFu);
  EXPECT_TRUE(fails_with(try_read_debug_log(log, DecodeMode::Lenient), ErrorKind::Malformed, {"CAPACITY"}));
  EXPECT_TRUE(fails_with(try_read_debug_log(Bytes(8)), ErrorKind::Malformed, {"debug log is 2 words", "header"}));
  const Bytes good = encode_empty_debug_log(1);
  EXPECT_TRUE(fails_with(try_read_debug_log(ConstByteSpan(good).first(good.size() - 3)), ErrorKind::Malformed,
                         {"debug log", "truncated"}));
  test::Misaligned misaligned(good);
  EXPECT_TRUE(fails_with(try_read_debug_log(misaligned.span()), ErrorKind::Malformed, {"debug log", "misaligned"}));
}

TEST(ProtocolDebugLog, IntoResetsTheOutput) {
  Bytes log = encode_empty_debug_log(2);
  commit_record(log, 0, 4, 0, 0);
  set_word(log, 2, 5);
  DebugLog out;
  out.records.resize(7);
  out.partial = 3;
  ASSERT_TRUE(try_read_debug_log_into(log, out, DecodeMode::Lenient).has_value());
  EXPECT_EQ(out.records, (std::vector<DebugRecord>{expected_record(0, 4, 0, 0)}));
  EXPECT_EQ(out.partial, 1u);  // record 1 is claimed but not committed
  EXPECT_EQ(out.dropped, 3u);
  EXPECT_FALSE(try_read_debug_log_into(log, out, DecodeMode::Strict).has_value());
  commit_record(log, 1, 5, 0, 0);
  ASSERT_TRUE(try_read_debug_log_into(log, out).has_value());
  EXPECT_EQ(out.records.size(), 2u);
  EXPECT_EQ(out.partial, 0u);
}

}  // namespace
}  // namespace mk
