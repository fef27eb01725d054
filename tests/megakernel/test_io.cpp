// I/O sources, request servicing and dispatch_until_idle.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "test_util.h"

namespace mk::test {
namespace {

std::vector<std::byte> bytes_of(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

// args: source, offset_lo, offset_hi, byte_count, dest
WorkItem load_miss(std::uint32_t source, std::uint64_t offset, std::uint32_t bytes, std::uint32_t dest) {
  return item(abi::OP_LOAD_MISS,
              {source, static_cast<std::uint32_t>(offset), static_cast<std::uint32_t>(offset >> 32), bytes, dest});
}

TEST(IoSources, RejectsDuplicatesMissingFilesAndReadsPastTheEnd) {
  IoSources s;
  ASSERT_TRUE(s.add_bytes(1, bytes_of({1, 2, 3})));
  auto dup = s.add_bytes(1, {});
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().kind(), ErrorKind::InvalidArgument);
  auto missing = s.add_file(2, "/nonexistent/megakernel-test.bin");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("/nonexistent/megakernel-test.bin"), std::string::npos);
  std::byte out[4];
  auto past = s.read(1, 1, out);
  ASSERT_FALSE(past);
  EXPECT_NE(past.error().message().find("past the end"), std::string::npos);
  auto unknown = s.read(9, 0, std::span(out, 1));
  ASSERT_FALSE(unknown);
  ASSERT_TRUE(s.read(1, 1, std::span(out, 2)));
  EXPECT_EQ(out[0], std::byte{2});
  EXPECT_EQ(out[1], std::byte{3});
}

TEST(IoSources, ReadsFilesAtAnOffset) {
  const auto path = std::filesystem::temp_directory_path() / ("mk_io_test_" + std::to_string(::getpid()) + ".bin");
  {
    std::ofstream f(path, std::ios::binary);
    for (int i = 0; i < 100; ++i) f.put(static_cast<char>(i));
  }
  IoSources s;
  ASSERT_TRUE(s.add_file(7, path));
  EXPECT_EQ(*s.size(7), 100u);
  std::byte out[3];
  ASSERT_TRUE(s.read(7, 97, out));
  EXPECT_EQ(out[2], std::byte{99});
  std::filesystem::remove(path);
}

TEST(DispatchUntilIdle, LoadMissRoundTripPadsTheLastWord) {
  auto mk = cpu_megakernel(64, 64);
  OutputBuffers b = make_buffers(64, {load_miss(1, 2, 6, 10), item(abi::OP_NOP, {})});
  b.io_queue = encode_empty_io_queue(4);
  IoSources sources;
  ASSERT_TRUE(sources.add_bytes(1, bytes_of({0, 1, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77})));
  auto stats = mk.dispatch_until_idle(b, sources);
  ASSERT_TRUE(stats) << stats.error().what();
  EXPECT_GE(stats->rounds, 2u);
  Readback r;
  ASSERT_TRUE(try_decode_readback(b, r));
  EXPECT_EQ(r.slots[0].status, abi::STATUS_DONE);
  EXPECT_EQ(r.slots[0].result, 6u);
  EXPECT_EQ(r.observables[10], 0x44332211u);
  EXPECT_EQ(r.observables[11], 0x00006655u);
  EXPECT_EQ(r.observables[12], 0u);
  EXPECT_TRUE(r.io.requests.empty()) << "the finished request's entry must be free again";
  auto ctl = value_or_throw(try_as_words(ConstByteSpan(b.control), "control"));
  EXPECT_EQ(ctl[abi::CTRL_IO_PENDING], 0u);
}

TEST(DispatchUntilIdle, ReadPastTheSourceEndFaultsIoError) {
  auto mk = cpu_megakernel(64, 64);
  OutputBuffers b = make_buffers(64, {load_miss(1, 0, 16, 0), load_miss(5, 0, 4, 8)});
  b.io_queue = encode_empty_io_queue(4);
  IoSources sources;
  ASSERT_TRUE(sources.add_bytes(1, bytes_of({1, 2, 3})));
  ASSERT_TRUE(mk.dispatch_until_idle(b, sources));
  Readback r;
  ASSERT_TRUE(try_decode_readback(b, r));
  for (int s : {0, 1}) {
    EXPECT_EQ(r.slots[s].status, abi::STATUS_FAULT) << s;
    EXPECT_EQ(r.slots[s].result, abi::FAULT_IO_ERROR) << s;
  }
  EXPECT_EQ(r.observables[0], 0u) << "a failed read writes nothing";
}

TEST(DispatchUntilIdle, MoreMissesThanQueueEntriesAllFinish) {
  auto mk = cpu_megakernel(64, 64);
  std::vector<WorkItem> items;
  for (std::uint32_t i = 0; i < 10; ++i) items.push_back(load_miss(1, i * 4, 4, i));
  OutputBuffers b = make_buffers(64, items);
  b.io_queue = encode_empty_io_queue(3);
  std::vector<std::byte> data;
  for (int i = 0; i < 40; ++i) data.push_back(static_cast<std::byte>(i));
  IoSources sources;
  ASSERT_TRUE(sources.add_bytes(1, data));
  auto stats = mk.dispatch_until_idle(b, sources);
  ASSERT_TRUE(stats) << stats.error().what();
  Readback r;
  ASSERT_TRUE(try_decode_readback(b, r));
  EXPECT_EQ(r.done_count, 10u);
  for (std::uint32_t i = 0; i < 10; ++i) {
    const std::uint32_t b0 = i * 4;
    EXPECT_EQ(r.observables[i], b0 | (b0 + 1) << 8 | (b0 + 2) << 16 | (b0 + 3) << 24) << i;
  }
  EXPECT_EQ(r.io.head, 10u);
}

TEST(DispatchUntilIdle, FenceAfterLoadMissCompletesOnceTheMissIsServed) {
  auto mk = cpu_megakernel(64, 64);
  std::vector<WorkItem> items{load_miss(1, 0, 4, 0), item(abi::OP_BATCH_FENCE, {0, 1, 77})};
  OutputBuffers b = make_buffers(64, items);
  b.io_queue = encode_empty_io_queue(1);
  IoSources sources;
  ASSERT_TRUE(sources.add_bytes(1, bytes_of({9, 0, 0, 0})));
  ASSERT_TRUE(mk.dispatch_until_idle(b, sources));
  EXPECT_EQ(read_epoch(b.control), 1u);
  EXPECT_EQ(read_last_fence_tag(b.control), 77u);
  EXPECT_EQ(read_observable(b.control, 0), 9u);
}

TEST(DispatchUntilIdle, WithoutAnIoQueueLoadMissFaultsQueueFull) {
  auto mk = cpu_megakernel(64, 64);
  OutputBuffers b = make_buffers(64, {load_miss(1, 0, 4, 0)});
  IoSources sources;
  ASSERT_TRUE(mk.dispatch_until_idle(b, sources));
  auto slot = value_or_throw(try_read_slot(ConstByteSpan(b.ring), 0));
  EXPECT_EQ(slot.status, abi::STATUS_FAULT);
  EXPECT_EQ(slot.result, abi::FAULT_IO_QUEUE_FULL);
}

TEST(CompleteIoRequest, DestinationOutsideTheRegionIsAnError) {
  auto control = encode_control(false, 1, 4);
  auto io = encode_empty_io_queue(1);
  IoSources sources;
  ASSERT_TRUE(sources.add_bytes(1, bytes_of({1, 2, 3, 4, 5, 6, 7, 8})));
  // Forge a request the way device code would post it, pointing past the region.
  auto words = value_or_throw(try_as_words(ByteSpan(io), "io"));
  std::uint32_t* req = words.data() + abi::IO_HEADER_WORDS;
  req[abi::REQ_OP] = abi::IO_OP_READ;
  req[abi::REQ_SOURCE] = 1;
  req[abi::REQ_DEST] = 3;
  req[abi::REQ_BYTE_COUNT] = 8;
  req[abi::REQ_STATUS] = abi::IO_STATUS_REQUESTED;
  auto n = complete_io_requests(ByteSpan(control), ByteSpan(io), sources);
  ASSERT_TRUE(n) << n.error().what();
  EXPECT_EQ(*n, 1u);
  EXPECT_EQ(req[abi::REQ_STATUS], abi::IO_STATUS_ERROR);
  EXPECT_EQ(read_observable(control, 3), 0u);
}

}  // namespace
}  // namespace mk::test
