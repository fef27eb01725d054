// Control buffer tables: tenant policy and flags, the opcode table, metrics, tenant counters.
#include <numeric>

#include "protocol_test_util.h"

namespace mk {
namespace {

using test::fails_with;
using test::get_word;
using test::set_word;

constexpr std::uint32_t OBS = 32;

std::vector<std::uint32_t> builtin_table() {
  return std::vector<std::uint32_t>(std::begin(abi::BUILTIN_OPCODE_IDS), std::end(abi::BUILTIN_OPCODE_IDS));
}

TEST(ProtocolTenants, SetPolicyWritesMaskAndWindow) {
  Bytes control = encode_control(false, 4, OBS);
  ASSERT_TRUE(try_set_tenant_policy(control, 2, 0x0000000500000006ull, Window{8, 24}).has_value());
  EXPECT_EQ(get_word(control, 144 + 2 * 8 + 0), 1u);  // flags untouched
  EXPECT_EQ(get_word(control, 144 + 2 * 8 + 1), 6u);
  EXPECT_EQ(get_word(control, 144 + 2 * 8 + 2), 5u);
  EXPECT_EQ(get_word(control, 144 + 2 * 8 + 3), 8u);
  EXPECT_EQ(get_word(control, 144 + 2 * 8 + 4), 24u);
  auto counters = try_read_tenant_counters(control, 2);
  ASSERT_TRUE(counters.has_value());
  EXPECT_EQ(*counters, (TenantCounters{2, abi::TENANT_FLAG_ENABLED, 0x0000000500000006ull, Window{8, 24}, 0, 0}));
  set_tenant_policy(control, 3, 1, Window{OBS, 0});  // an empty window at the end is inside
  EXPECT_EQ(read_tenant_counters(control, 3).window.base, OBS);
}

TEST(ProtocolTenants, TenantPastTenantCountIsInvalidArgument) {
  Bytes control = encode_control(false, 4, OBS);
  const Bytes before = control;
  EXPECT_TRUE(fails_with(try_set_tenant_policy(control, 4, 1, Window{0, 1}), ErrorKind::InvalidArgument,
                         {"tenant 4", "control word 2 (TENANT_COUNT) = 4"}));
  EXPECT_TRUE(fails_with(try_set_tenant_policy(control, 64, 1, Window{0, 1}), ErrorKind::InvalidArgument,
                         {"tenant 64", "TENANT_COUNT"}));
  EXPECT_TRUE(fails_with(try_set_tenant_flags(control, 9, true, true), ErrorKind::InvalidArgument,
                         {"tenant 9", "TENANT_COUNT"}));
  EXPECT_TRUE(
      fails_with(try_read_tenant_counters(control, 4), ErrorKind::InvalidArgument, {"tenant 4", "TENANT_COUNT"}));
  EXPECT_TRUE(test::throws_with([&] { set_tenant_policy(control, 7, 1, Window{}); }, ErrorKind::InvalidArgument,
                                "TENANT_COUNT"));
  EXPECT_TRUE(test::throws_with([&] { read_tenant_counters(control, 7); }, ErrorKind::InvalidArgument, "TENANT_COUNT"));
  EXPECT_EQ(control, before);
}

TEST(ProtocolTenants, WindowPastObservablesIsInvalidArgument) {
  Bytes control = encode_control(false, 2, OBS);
  const Bytes before = control;
  EXPECT_TRUE(fails_with(try_set_tenant_policy(control, 1, 1, Window{30, 3}), ErrorKind::InvalidArgument,
                         {"window [30, 33)", "control word 3 (OBSERVABLE_COUNT) = 32"}));
  // base + len overflowing u32 must not wrap into range.
  EXPECT_TRUE(fails_with(try_set_tenant_policy(control, 1, 1, Window{0xFFFFFFFFu, 2}), ErrorKind::InvalidArgument,
                         {"OBSERVABLE_COUNT"}));
  EXPECT_EQ(control, before);
}

TEST(ProtocolTenants, PolicyOnMalformedControlIsMalformed) {
  Bytes control = encode_control(false, 2, OBS);
  set_word(control, 1, 7);
  const Bytes before = control;
  EXPECT_TRUE(fails_with(try_set_tenant_policy(control, 0, 1, Window{}), ErrorKind::Malformed, {"ABI_VERSION"}));
  EXPECT_TRUE(fails_with(try_set_tenant_flags(control, 0, false, false), ErrorKind::Malformed, {"ABI_VERSION"}));
  EXPECT_TRUE(fails_with(try_write_observables(control, 0, std::vector<std::uint32_t>{1}), ErrorKind::Malformed,
                         {"ABI_VERSION"}));
  EXPECT_EQ(control, before);
}

TEST(ProtocolTenants, FlagsSetAndClearOnlyTheirBits) {
  Bytes control = encode_control(false, 2, OBS);
  ASSERT_TRUE(try_set_tenant_flags(control, 0, false, false).has_value());
  EXPECT_EQ(get_word(control, abi::tenant_word(0, abi::TENANT_FLAGS)), 0u);
  ASSERT_TRUE(try_set_tenant_flags(control, 1, true, true).has_value());
  EXPECT_EQ(get_word(control, abi::tenant_word(1, abi::TENANT_FLAGS)), 3u);
  set_word(control, abi::tenant_word(1, abi::TENANT_FLAGS), 0x100u | 3u);  // a bit this ABI does not define
  ASSERT_TRUE(try_set_tenant_flags(control, 1, false, true).has_value());
  EXPECT_EQ(get_word(control, abi::tenant_word(1, abi::TENANT_FLAGS)), 0x100u | 2u);
}

TEST(ProtocolTenants, CountersReadDoneAndFaults) {
  Bytes control = encode_control(false, 3, OBS);
  set_word(control, abi::tenant_word(1, abi::TENANT_DONE), 17);
  set_word(control, abi::tenant_word(1, abi::TENANT_FAULTS), 4);
  const TenantCounters counters = read_tenant_counters(control, 1);
  EXPECT_EQ(counters.done, 17u);
  EXPECT_EQ(counters.faults, 4u);
  EXPECT_EQ(counters.allowed_opcodes, ~0ull);
  EXPECT_EQ(counters.window.len, OBS);
  EXPECT_EQ(read_tenant_counters(control, 0).flags, abi::TENANT_FLAG_ENABLED | abi::TENANT_FLAG_ADMIN);
}

TEST(ProtocolOpcodeTable, StampWritesIdsAndZeroesTheRest) {
  Bytes control = encode_control(false, 1, OBS);
  for (std::uint32_t i = 0; i < 64; ++i) set_word(control, 16 + i, 0xEEEEEEEEu);
  std::vector<std::uint32_t> ids = builtin_table();
  ids.push_back(4096);
  ids.push_back(8);
  ids.push_back(0xFFEFu);
  ids.push_back(0x10000u);
  ASSERT_TRUE(try_stamp_opcode_table(control, ids).has_value());
  for (std::uint32_t i = 0; i < 64; ++i) {
    EXPECT_EQ(get_word(control, 16 + i), i < ids.size() ? ids[i] : 0u) << "entry " << i;
  }
}

TEST(ProtocolOpcodeTable, FullTableOf64Fits) {
  Bytes control = encode_control(false, 1, OBS);
  std::vector<std::uint32_t> ids = builtin_table();
  for (std::uint32_t i = 0; i < 52; ++i) ids.push_back(1000 + i);
  ASSERT_TRUE(try_stamp_opcode_table(control, ids).has_value());
  EXPECT_EQ(get_word(control, 16 + 63), 1051u);
  std::vector<Word> words(control.size() / 4);
  std::memcpy(words.data(), control.data(), control.size());
  ids.resize(12);
  ASSERT_TRUE(try_stamp_opcode_table_words(words, ids).has_value());
  EXPECT_EQ(words[16 + 12], 0u);
}

// Every rejected table leaves the control buffer byte-identical.
void expect_rejected(const std::vector<std::uint32_t>& ids, std::initializer_list<std::string_view> needles) {
  Bytes control = encode_control(false, 1, OBS);
  const Bytes before = control;
  EXPECT_TRUE(fails_with(try_stamp_opcode_table(control, ids), ErrorKind::InvalidArgument, needles));
  EXPECT_EQ(control, before);
}

TEST(ProtocolOpcodeTable, TooManyOrTooFewEntriesAreInvalidArgument) {
  std::vector<std::uint32_t> ids = builtin_table();
  for (std::uint32_t i = 0; i < 53; ++i) ids.push_back(1000 + i);
  expect_rejected(ids, {"65 entries", "OPCODE_IDS"});
  expect_rejected({0, 1, 2}, {"3 entries", "OPCODE_IDS"});
}

TEST(ProtocolOpcodeTable, BuiltinsMustComeFirstInOrder) {
  std::vector<std::uint32_t> ids = builtin_table();
  std::swap(ids[8], ids[9]);
  expect_rejected(ids, {"entry 8", "control word 24 (OPCODE_IDS[8])", "LOAD_MISS"});
}

TEST(ProtocolOpcodeTable, UserOpcodeInSystemRangeIsInvalidArgument) {
  for (std::uint32_t id : {0u, 5u, 7u, 0xFFF0u, 0xFFF7u, 0xFFFFu, 0x80000000u, 0xFFFFFFFFu}) {
    std::vector<std::uint32_t> ids = builtin_table();
    ids.push_back(100);
    ids.push_back(id);
    expect_rejected(ids, {"entry 13", "control word 29 (OPCODE_IDS[13])", "system opcode"});
  }
}

TEST(ProtocolOpcodeTable, DuplicateUserOpcodeIsInvalidArgument) {
  std::vector<std::uint32_t> ids = builtin_table();
  ids.push_back(100);
  ids.push_back(200);
  ids.push_back(100);
  expect_rejected(ids, {"entry 14", "duplicate of entry 12"});
}

TEST(ProtocolMetrics, NonZeroCountsInTableOrder) {
  Bytes control = encode_control(false, 1, OBS);
  std::vector<std::uint32_t> ids = builtin_table();
  ids.push_back(4096);
  ASSERT_TRUE(try_stamp_opcode_table(control, ids).has_value());
  set_word(control, 80 + 1, 5);   // STORE_U32
  set_word(control, 80 + 10, 2);  // PACKED_SLOT
  set_word(control, 80 + 12, 9);  // custom 4096
  set_word(control, 80 + 63, 1);  // a count with no id stays reported with id 0
  const std::vector<OpcodeCount> want = {
      {abi::OP_STORE_U32, 1, 5}, {abi::OP_PACKED_SLOT, 10, 2}, {4096, 12, 9}, {0, 63, 1}};
  EXPECT_EQ(*try_read_metrics(control), want);
  EXPECT_EQ(read_metrics(control), want);
  std::vector<OpcodeCount> reused(10, OpcodeCount{1, 2, 3});
  ASSERT_TRUE(try_read_metrics_into(control, reused).has_value());
  EXPECT_EQ(reused, want);
}

TEST(ProtocolMetrics, FreshControlHasNoMetrics) { EXPECT_TRUE(read_metrics(encode_control(false, 1, OBS)).empty()); }

}  // namespace
}  // namespace mk
