// Control buffer: encoding, validation and the run-state readers.
#include "protocol_test_util.h"

namespace mk {
namespace {

using test::fails_with;
using test::get_word;
using test::set_word;

constexpr std::uint32_t OBS = 10;

TEST(ProtocolControl, EncodeWritesEveryDocumentedWord) {
  const Bytes control = encode_control(true, 3, OBS);
  ASSERT_EQ(control.size(), (656u + OBS) * 4u);
  // Expected buffer built word by word from docs/reference.md section 1.2.
  std::vector<Word> want(656 + OBS, 0);
  want[0] = 0x314B434Du;
  want[1] = 1;
  want[2] = 3;
  want[3] = OBS;
  want[4] = 1;
  const std::uint32_t builtin_ids[] = {0, 1, 2, 3, 4, 5, 6, 7, 0xFFFD, 0xFFFE, 0x80000001u, 0xFFFFFFFFu};
  for (std::uint32_t i = 0; i < 12; ++i) want[16 + i] = builtin_ids[i];
  for (std::uint32_t t = 0; t < 3; ++t) {
    want[144 + t * 8 + 0] = t == 0 ? 3u : 1u;  // enabled, tenant 0 also admin
    want[144 + t * 8 + 1] = 0xFFFFFFFFu;
    want[144 + t * 8 + 2] = 0xFFFFFFFFu;
    want[144 + t * 8 + 3] = 0;
    want[144 + t * 8 + 4] = OBS;
  }
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(get_word(control, i), want[i]) << "word " << i;
}

TEST(ProtocolControl, EncodeWithoutShutdownAndMaxTenants) {
  const Bytes control = encode_control(false, 64, 0);
  EXPECT_EQ(get_word(control, abi::CTRL_SHUTDOWN), 0u);
  EXPECT_EQ(get_word(control, abi::tenant_word(63, abi::TENANT_FLAGS)), abi::TENANT_FLAG_ENABLED);
  EXPECT_EQ(get_word(control, abi::tenant_word(63, abi::TENANT_WINDOW_LEN)), 0u);
  auto header = try_validate_control(control);
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->tenant_count, 64u);
  EXPECT_EQ(header->observable_count, 0u);
}

TEST(ProtocolControl, TooManyTenantsIsInvalidArgument) {
  EXPECT_TRUE(fails_with(try_encode_control(false, 65, OBS), ErrorKind::InvalidArgument,
                         {"tenant_count 65", "control word 2 (TENANT_COUNT)"}));
  Bytes out(*try_control_bytes(OBS));
  const Bytes before = out;
  EXPECT_TRUE(fails_with(try_encode_control_into(out, false, 65, OBS), ErrorKind::InvalidArgument, {"TENANT_COUNT"}));
  EXPECT_EQ(out, before);
  EXPECT_TRUE(test::throws_with([] { encode_control(false, 65, 1); }, ErrorKind::InvalidArgument, "tenant_count"));
}

TEST(ProtocolControl, EncodeIntoOverwritesTheWholeBuffer) {
  Bytes out = test::patterned(*try_control_bytes(OBS));
  ASSERT_TRUE(try_encode_control_into(out, true, 2, OBS).has_value());
  EXPECT_EQ(out, encode_control(true, 2, OBS));

  std::vector<Word> words(656 + OBS, 0xDEADBEEFu);
  ASSERT_TRUE(try_encode_control_words_into(words, true, 2, OBS).has_value());
  EXPECT_EQ(std::memcmp(words.data(), out.data(), out.size()), 0);
}

TEST(ProtocolControl, EncodeIntoWrongSizeWritesNothing) {
  for (std::size_t size : {std::size_t{0}, std::size_t{(656u + OBS - 1) * 4u}, std::size_t{(656u + OBS + 1) * 4u}}) {
    Bytes out = test::patterned(size);
    const Bytes before = out;
    EXPECT_TRUE(fails_with(try_encode_control_into(out, false, 1, OBS), ErrorKind::InvalidArgument,
                           {"output control", std::to_string(size) + " bytes"}));
    EXPECT_EQ(out, before);
    std::vector<Word> words(size / 4, 7u);
    EXPECT_TRUE(fails_with(try_encode_control_words_into(words, false, 1, OBS), ErrorKind::InvalidArgument,
                           {"output control"}));
    EXPECT_EQ(words, std::vector<Word>(size / 4, 7u));
  }
}

TEST(ProtocolControl, EncodeIntoTruncatedOrMisalignedIsMalformed) {
  Bytes truncated((656u + OBS) * 4u + 2);
  EXPECT_TRUE(
      fails_with(try_encode_control_into(truncated, false, 1, OBS), ErrorKind::Malformed, {"control", "truncated"}));
  test::Misaligned misaligned(Bytes((656u + OBS) * 4u));
  EXPECT_TRUE(fails_with(try_encode_control_into(misaligned.span(), false, 1, OBS), ErrorKind::Malformed,
                         {"control", "misaligned"}));
  EXPECT_TRUE(test::throws_with([&] { encode_control_into(misaligned.span(), false, 1, OBS); }, ErrorKind::Malformed,
                                "misaligned"));
}

TEST(ProtocolControl, ValidateAcceptsEncodedBuffers) {
  const Bytes control = encode_control(false, 5, 123);
  auto header = try_validate_control(control);
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->tenant_count, 5u);
  EXPECT_EQ(header->observable_count, 123u);
  const std::vector<Word> words(reinterpret_cast<const Word*>(control.data()),
                                reinterpret_cast<const Word*>(control.data() + control.size()));
  EXPECT_EQ(try_validate_control_words(words)->observable_count, 123u);
}

TEST(ProtocolControl, WrongMagicIsMalformedNamingWord0) {
  Bytes control = encode_control(false, 1, OBS);
  set_word(control, 0, 0);
  auto result = try_validate_control(control);
  EXPECT_TRUE(fails_with(result, ErrorKind::Malformed, {"control word 0 (MAGIC) is 0x00000000, expected 0x314B434D"}));
  EXPECT_NE(result.error().fix().find("encode_control()"), std::string::npos);
  // A ring or a log passed as control is caught by the same check.
  EXPECT_TRUE(fails_with(try_validate_control(encode_empty_debug_log(330)), ErrorKind::Malformed, {"MAGIC"}));
}

TEST(ProtocolControl, WrongAbiVersionIsMalformed) {
  Bytes control = encode_control(false, 1, OBS);
  set_word(control, 1, 2);
  EXPECT_TRUE(fails_with(try_validate_control(control), ErrorKind::Malformed,
                         {"control word 1 (ABI_VERSION) is 2, expected 1"}));
}

TEST(ProtocolControl, TenantCountPast64IsMalformed) {
  Bytes control = encode_control(false, 1, OBS);
  set_word(control, 2, 65);
  EXPECT_TRUE(fails_with(try_validate_control(control), ErrorKind::Malformed, {"control word 2 (TENANT_COUNT) is 65"}));
}

TEST(ProtocolControl, SizeMismatchAgainstObservableCountIsMalformed) {
  Bytes control = encode_control(false, 1, OBS);
  set_word(control, 3, OBS + 1);  // header claims one more word than the buffer has
  EXPECT_TRUE(fails_with(try_validate_control(control), ErrorKind::Malformed,
                         {"control is 666 words", "control word 3 (OBSERVABLE_COUNT) = 11", "667"}));
  set_word(control, 3, OBS - 1);  // and one fewer
  EXPECT_TRUE(fails_with(try_validate_control(control), ErrorKind::Malformed, {"OBSERVABLE_COUNT"}));
  set_word(control, 3, 0xFFFFFFFFu);
  EXPECT_TRUE(fails_with(try_validate_control(control), ErrorKind::Malformed, {"OBSERVABLE_COUNT"}));
}

TEST(ProtocolControl, ShorterThanFixedPartIsMalformed) {
  Bytes control = encode_control(false, 1, 0);
  control.resize(100 * 4);
  EXPECT_TRUE(fails_with(try_validate_control(control), ErrorKind::Malformed, {"control is 100 words", "656"}));
  EXPECT_TRUE(fails_with(try_validate_control(ConstByteSpan()), ErrorKind::Malformed, {"control", "MAGIC"}));
}

TEST(ProtocolControl, TruncatedAndMisalignedAreMalformed) {
  Bytes control = encode_control(false, 1, OBS);
  EXPECT_TRUE(fails_with(try_validate_control(ConstByteSpan(control).first(control.size() - 1)), ErrorKind::Malformed,
                         {"control", "truncated"}));
  test::Misaligned misaligned(control);
  EXPECT_TRUE(fails_with(try_validate_control(misaligned.span()), ErrorKind::Malformed, {"control", "misaligned"}));
  EXPECT_TRUE(fails_with(try_read_done_count(misaligned.span()), ErrorKind::Malformed, {"misaligned"}));
}

TEST(ProtocolControl, RunStateCountersReadTheirWords) {
  Bytes control = encode_control(false, 1, OBS);
  set_word(control, 5, 11);
  set_word(control, 6, 22);
  set_word(control, 7, 33);
  set_word(control, 8, 44);
  EXPECT_EQ(*try_read_done_count(control), 11u);
  EXPECT_EQ(*try_read_epoch(control), 22u);
  EXPECT_EQ(*try_read_last_fence_tag(control), 33u);
  EXPECT_EQ(*try_read_fault_count(control), 44u);
  EXPECT_EQ(read_done_count(control), 11u);
  EXPECT_EQ(read_epoch(control), 22u);
  EXPECT_EQ(read_last_fence_tag(control), 33u);
  EXPECT_EQ(read_fault_count(control), 44u);
}

TEST(ProtocolControl, ReadersRejectMalformedControl) {
  Bytes control = encode_control(false, 1, OBS);
  set_word(control, 0, 0x12345678u);
  EXPECT_TRUE(fails_with(try_read_epoch(control), ErrorKind::Malformed, {"control word 0 (MAGIC)"}));
  EXPECT_TRUE(fails_with(try_read_observables(control), ErrorKind::Malformed, {"MAGIC"}));
  EXPECT_TRUE(fails_with(try_read_metrics(control), ErrorKind::Malformed, {"MAGIC"}));
  EXPECT_TRUE(fails_with(try_read_tenant_counters(control, 0), ErrorKind::Malformed, {"MAGIC"}));
  EXPECT_TRUE(test::throws_with([&] { read_done_count(control); }, ErrorKind::Malformed, "MAGIC"));
  EXPECT_TRUE(test::throws_with([&] { read_epoch(control); }, ErrorKind::Malformed, "MAGIC"));
  EXPECT_TRUE(test::throws_with([&] { read_last_fence_tag(control); }, ErrorKind::Malformed, "MAGIC"));
  EXPECT_TRUE(test::throws_with([&] { read_fault_count(control); }, ErrorKind::Malformed, "MAGIC"));
  EXPECT_TRUE(test::throws_with([&] { read_observables(control); }, ErrorKind::Malformed, "MAGIC"));
  EXPECT_TRUE(test::throws_with([&] { read_observable(control, 0); }, ErrorKind::Malformed, "MAGIC"));
  EXPECT_TRUE(test::throws_with([&] { read_metrics(control); }, ErrorKind::Malformed, "MAGIC"));
  EXPECT_TRUE(test::throws_with([&] { read_tenant_counters(control, 0); }, ErrorKind::Malformed, "MAGIC"));
}

TEST(ProtocolControl, ObservablesRoundTrip) {
  Bytes control = encode_control(false, 1, OBS);
  const std::vector<std::uint32_t> values = {9, 8, 7};
  ASSERT_TRUE(try_write_observables(control, 4, values).has_value());
  EXPECT_EQ(get_word(control, 656 + 4), 9u);
  EXPECT_EQ(get_word(control, 656 + 6), 7u);
  EXPECT_EQ(*try_read_observable(control, 5), 8u);
  EXPECT_EQ(read_observable(control, 6), 7u);
  std::vector<std::uint32_t> want(OBS, 0);
  want[4] = 9;
  want[5] = 8;
  want[6] = 7;
  EXPECT_EQ(*try_read_observables(control), want);
  EXPECT_EQ(read_observables(control), want);
}

TEST(ProtocolControl, ObservableIndexPastRegionIsInvalidArgument) {
  const Bytes control = encode_control(false, 1, OBS);
  EXPECT_TRUE(fails_with(try_read_observable(control, OBS), ErrorKind::InvalidArgument,
                         {"observable 10", "control word 3 (OBSERVABLE_COUNT) = 10"}));
  EXPECT_TRUE(test::throws_with([&] { read_observable(control, 0xFFFFFFFFu); }, ErrorKind::InvalidArgument,
                                "OBSERVABLE_COUNT"));
}

TEST(ProtocolControl, WriteObservablesPastRegionWritesNothing) {
  Bytes control = encode_control(false, 1, OBS);
  const Bytes before = control;
  const std::vector<std::uint32_t> values = {1, 2, 3};
  EXPECT_TRUE(fails_with(try_write_observables(control, OBS - 2, values), ErrorKind::InvalidArgument,
                         {"observables [8, 11)", "OBSERVABLE_COUNT"}));
  EXPECT_TRUE(fails_with(try_write_observables(control, 0xFFFFFFFFu, values), ErrorKind::InvalidArgument,
                         {"OBSERVABLE_COUNT"}));
  EXPECT_EQ(control, before);
  EXPECT_TRUE(try_write_observables(control, OBS - 3, values).has_value());
  EXPECT_TRUE(try_write_observables(control, OBS, {}).has_value());
}

}  // namespace
}  // namespace mk
