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

struct Records {
  std::vector<std::uint64_t> words = std::vector<std::uint64_t>(N * abi::WIRE_COMPLETION_STRIDE, 0);
  void finish(std::uint64_t position, std::uint32_t result = 0) {
    words[(position % N) * abi::WIRE_COMPLETION_STRIDE] =
        interp::wire_completion(static_cast<std::uint32_t>(position / N), abi::STATUS_DONE, result);
  }
};

TEST(LiveResume, NothingPublishedStartsEverySlotAtLapZero) {
  Records r;
  auto scan = scan_live_ring(r.words, N, 0);
  EXPECT_EQ(scan.first_laps, (std::vector<std::uint32_t>{0, 0, 0, 0}));
  EXPECT_TRUE(scan.unfinished.empty());
}

// What this catches: a finished item replayed (its slot's first lap not moved past it) or
// an unfinished one skipped, when finished and unfinished items interleave across laps.
TEST(LiveResume, FinishedSlotsMoveOnUnfinishedOnesStay) {
  Records r;
  // Published 0..9 (slot = p % 4, lap = p / 4); finished: all but 6 (slot 2, lap 1) and
  // 9 (slot 1, lap 2). A slot's last published position is the only one that can be open.
  for (std::uint64_t p : {0, 1, 2, 3, 4, 5, 7, 8}) r.finish(p);
  auto scan = scan_live_ring(r.words, N, 10);
  EXPECT_EQ(scan.first_laps, (std::vector<std::uint32_t>{3, 2, 1, 2}));
  EXPECT_EQ(scan.unfinished, (std::vector<std::uint64_t>{9, 6}));
}

TEST(LiveResume, MarkLostWritesFaultRecordsAndMovesTheLaps) {
  Records r;
  for (std::uint64_t p : {0, 2}) r.finish(p);
  auto scan = scan_live_ring(r.words, N, 4);
  EXPECT_EQ(scan.unfinished, (std::vector<std::uint64_t>{1, 3}));
  EXPECT_EQ(mark_lost(r.words, N, scan), 2u);
  EXPECT_EQ(scan.first_laps, (std::vector<std::uint32_t>{1, 1, 1, 1}));
  for (std::uint64_t p : {1, 3}) {
    const std::uint64_t record = r.words[p * abi::WIRE_COMPLETION_STRIDE];
    EXPECT_TRUE(interp::wire_completed(record, 0));
    EXPECT_EQ(interp::wire_completion_status(record), abi::STATUS_FAULT);
    EXPECT_EQ(interp::wire_completion_result(record), abi::FAULT_DEVICE_LOST);
  }
  // A second scan (a restart that failed and was retried) finds nothing left.
  EXPECT_TRUE(scan_live_ring(r.words, N, 4).unfinished.empty());
}

TEST(LiveResume, DescribeNamesTenantsAndOpcodes) {
  Records r;
  std::vector<std::uint32_t> ring(N * abi::SLOT_WORDS, 0);
  const std::uint32_t args[abi::MAX_ARGS] = {};
  interp::wire_encode(0, abi::OP_ATOMIC_ADD, 5, args, ring.data() + abi::SLOT_WORDS);  // position 1
  r.finish(0);
  auto scan = scan_live_ring(r.words, N, 2);
  const std::string text = describe_unfinished(ring, N, scan);
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
    auto h = decode_hello(std::as_bytes(std::span(hello, std::strlen(hello))));
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
