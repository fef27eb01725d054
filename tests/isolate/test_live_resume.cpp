// The resume scan (src/isolate/live_resume.h) on hand-made completion records: which
// positions a dead worker left unfinished, where each slot starts again, lost marking,
// and the codecs' checks of what a worker sends.
#include <gtest/gtest.h>

#include <cstring>

#include "interp/wire.h"
#include "isolate/codec.h"
#include "isolate/live_resume.h"
#include "mk/abi.h"

namespace mk::isolate {
namespace {

constexpr std::uint32_t N = 4;

// A ring of N slots and its records, written as a session and a worker would.
struct Ring {
  std::vector<std::uint32_t> words = std::vector<std::uint32_t>(N * abi::SLOT_WORDS, 0);
  std::vector<std::uint64_t> records = std::vector<std::uint64_t>(N * abi::WIRE_COMPLETION_STRIDE, 0);
  // The item of `position` published whole (an ATOMIC_ADD of `tenant`).
  void publish(std::uint64_t position, std::uint32_t tenant = 0) {
    const std::uint32_t args[abi::MAX_ARGS] = {1, 1};
    interp::wire_encode(static_cast<std::uint32_t>(position / N), abi::OP_ATOMIC_ADD, tenant, args,
                        words.data() + (position % N) * abi::SLOT_WORDS);
  }
  void finish(std::uint64_t position) {
    records[(position % N) * abi::WIRE_COMPLETION_STRIDE] =
        interp::wire_completion(static_cast<std::uint32_t>(position / N), abi::STATUS_DONE, 0);
  }
  ResumeScan scan(std::uint64_t published) const { return scan_live_ring(words, records, N, published); }
};

TEST(LiveResume, NothingPublishedStartsEverySlotAtLapZero) {
  Ring r;
  auto scan = r.scan(0);
  EXPECT_EQ(scan.first_laps, (std::vector<std::uint32_t>{0, 0, 0, 0}));
  EXPECT_TRUE(scan.unfinished.empty());
}

// What this catches: a finished item replayed (its slot's first lap not moved past it) or
// an unfinished one skipped, when finished and unfinished items interleave across laps.
TEST(LiveResume, FinishedSlotsMoveOnUnfinishedOnesStay) {
  Ring r;
  for (std::uint64_t p = 0; p < 10; ++p) r.publish(p);
  for (std::uint64_t p : {0, 1, 2, 3, 4, 5, 7, 8}) r.finish(p);  // 6 and 9 are open
  auto scan = r.scan(10);
  EXPECT_EQ(scan.first_laps, (std::vector<std::uint32_t>{3, 2, 1, 2}));
  EXPECT_EQ(scan.unfinished, (std::vector<std::uint64_t>{9, 6}));
}

// What this catches: trusting the doorbell as the end of what was published. The CPU
// lanes run what the ring holds; a producer between its ring stores and its doorbell
// turn leaves the doorbell behind items that ran, finished and had their slots reused.
TEST(LiveResume, ItemsPastALaggingDoorbellAreJudgedByTheirTags) {
  Ring r;
  for (std::uint64_t p = 0; p < 6; ++p) r.publish(p);
  for (std::uint64_t p : {0, 1, 2, 3, 4}) r.finish(p);  // 4 (slot 0, lap 1) ran past the doorbell
  auto scan = r.scan(2);                                // the doorbell says only 0 and 1
  EXPECT_EQ(scan.first_laps, (std::vector<std::uint32_t>{2, 1, 1, 1}));
  EXPECT_EQ(scan.unfinished, (std::vector<std::uint64_t>{5}));
}

// What this catches: an item a producer was still writing (torn) counted as possibly run.
TEST(LiveResume, TornItemWasNeverPublishedSoNeverStarted) {
  Ring r;
  r.publish(0);
  r.finish(0);
  Ring next;
  next.publish(4);
  for (std::uint32_t w = 4; w < abi::SLOT_WORDS; ++w) r.words[w] = next.words[w];  // chunks 1-3, not chunk 0
  auto scan = r.scan(1);
  EXPECT_EQ(scan.first_laps[0], 1u);
  EXPECT_TRUE(scan.unfinished.empty());
}

TEST(LiveResume, LapsAreResolvedAcrossTheTagWrap) {
  Ring r;
  const std::uint64_t last = std::uint64_t{abi::WIRE_TAG_LAPS - 1} * N;  // lap 32767: tag 32768
  r.publish(last);
  r.finish(last);
  r.publish(last + N);  // lap 32768: tag 1 again
  auto scan = r.scan(last + N + 1);
  EXPECT_EQ(scan.first_laps[0], abi::WIRE_TAG_LAPS);
  EXPECT_EQ(scan.unfinished, (std::vector<std::uint64_t>{last + N}));
}

TEST(LiveResume, MarkLostWritesFaultRecordsAndMovesTheLaps) {
  Ring r;
  for (std::uint64_t p = 0; p < 4; ++p) r.publish(p);
  for (std::uint64_t p : {0, 2}) r.finish(p);
  auto scan = r.scan(4);
  EXPECT_EQ(scan.unfinished, (std::vector<std::uint64_t>{1, 3}));
  EXPECT_EQ(mark_lost(r.records, N, scan), 2u);
  EXPECT_EQ(scan.first_laps, (std::vector<std::uint32_t>{1, 1, 1, 1}));
  for (std::uint64_t p : {1, 3}) {
    const std::uint64_t record = r.records[p * abi::WIRE_COMPLETION_STRIDE];
    EXPECT_TRUE(interp::wire_completed(record, 0));
    EXPECT_EQ(interp::wire_completion_status(record), abi::STATUS_FAULT);
    EXPECT_EQ(interp::wire_completion_result(record), abi::FAULT_DEVICE_LOST);
  }
  // A second scan (a restart that failed and was retried) finds nothing left.
  EXPECT_TRUE(r.scan(4).unfinished.empty());
}

TEST(LiveResume, DescribeNamesTenantsAndOpcodes) {
  Ring r;
  r.publish(0);
  r.finish(0);
  r.publish(1, 5);
  auto scan = r.scan(2);
  const std::string text = describe_unfinished(r.words, N, scan);
  EXPECT_NE(text.find("1 live item"), std::string::npos) << text;
  EXPECT_NE(text.find("tenant 5"), std::string::npos) << text;
  EXPECT_NE(text.find("opcode 0x2"), std::string::npos) << text;
}

// What this catches: decoders that follow a length or kind a worker made up.
TEST(ChannelCodec, GarbageErrorsAndHellosAreMalformed) {
  std::byte bytes[64] = {};
  const std::uint32_t header[3] = {2, 1000, 0};  // a message longer than the bytes
  std::memcpy(bytes, header, sizeof header);
  auto e = decode_error(bytes);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().kind(), ErrorKind::Malformed);
  const std::uint32_t kind[3] = {77, 0, 0};
  std::memcpy(bytes, kind, sizeof kind);
  EXPECT_FALSE(decode_error(bytes));
  const Error original(ErrorKind::DeviceLost, "lost\x01 it", "fix it");
  std::byte out[128];
  const std::size_t n = encode_error(original, out);
  auto back = decode_error(std::span<const std::byte>(out, n));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->kind(), ErrorKind::DeviceLost);
  EXPECT_EQ(back->message(), "lost? it") << "control characters are replaced";
  for (const char* hello : {"", "[]", "{\"backend\":\"tpu\",\"features\":0,\"devices\":[]}",
                            "{\"backend\":\"cpu\",\"features\":99999999,\"devices\":[]}",
                            "{\"backend\":\"cpu\",\"features\":1,\"devices\":[7]}"}) {
    auto h = decode_hello(std::as_bytes(std::span(hello, std::strlen(hello))), backend_names());
    EXPECT_FALSE(h) << hello;
  }
  PipelineSpec spec;
  spec.geometry = Geometry{512, 64, 8};
  spec.opcode_ids = {0, 1, 2, 0x1000};
  spec.payload_processor = 3;
  const std::string json = encode_spec(spec);
  auto decoded = decode_spec(std::as_bytes(std::span(json)));
  ASSERT_TRUE(decoded) << decoded.error().what();
  EXPECT_EQ(decoded->geometry.slot_count, 512u);
  EXPECT_EQ(decoded->opcode_ids, spec.opcode_ids);
  EXPECT_EQ(decoded->payload_processor, 3u);
}

}  // namespace
}  // namespace mk::isolate
