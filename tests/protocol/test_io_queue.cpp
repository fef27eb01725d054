// I/O request queue: encoding, listing requests and the host side of completing them.
#include "protocol_test_util.h"

namespace mk {
namespace {

using test::fails_with;
using test::get_word;
using test::set_word;

std::size_t request_word(std::uint32_t index, std::uint32_t field) { return 4 + std::size_t{index} * 8 + field; }

// Posts request `index` the way a lane does, STATUS last.
void post(Bytes& io, std::uint32_t index, std::uint32_t status, std::uint32_t byte_count = 100) {
  set_word(io, request_word(index, 0), abi::IO_OP_READ);
  set_word(io, request_word(index, 1), 7);           // SOURCE
  set_word(io, request_word(index, 2), 40 + index);  // DEST
  set_word(io, request_word(index, 3), 0x10);        // OFFSET_LO
  set_word(io, request_word(index, 4), 0x2);         // OFFSET_HI
  set_word(io, request_word(index, 5), byte_count);
  set_word(io, request_word(index, 7), 30 + index);  // RING_SLOT
  set_word(io, request_word(index, 6), status);
}

TEST(ProtocolIoQueue, EncodeEmptyWritesHeader) {
  const Bytes io = encode_empty_io_queue(2);
  ASSERT_EQ(io.size(), (4u + 16u) * 4u);
  EXPECT_EQ(get_word(io, 0), 0x4F494B4Du);
  EXPECT_EQ(get_word(io, 1), 2u);
  for (std::size_t w = 2; w < io.size() / 4; ++w) EXPECT_EQ(get_word(io, w), 0u);
  Bytes out = test::patterned(io.size());
  ASSERT_TRUE(try_encode_empty_io_queue_into(out, 2).has_value());
  EXPECT_EQ(out, io);
  const IoQueueView view = read_io_requests(io);
  EXPECT_EQ(view.capacity, 2u);
  EXPECT_EQ(view.head, 0u);
  EXPECT_TRUE(view.requests.empty());
}

TEST(ProtocolIoQueue, EncodeIntoWrongSizeWritesNothing) {
  Bytes out = test::patterned(20);
  const Bytes before = out;
  EXPECT_TRUE(fails_with(try_encode_empty_io_queue_into(out, 1), ErrorKind::InvalidArgument, {"output io queue"}));
  EXPECT_TRUE(fails_with(try_encode_empty_io_queue_into(out, 0xFFFFFFFFu), ErrorKind::InvalidArgument,
                         {"io queue", "capacity_requests"}));
  EXPECT_EQ(out, before);
  EXPECT_TRUE(test::throws_with([] { encode_empty_io_queue(abi::MAX_IO_REQUESTS + 1); }, ErrorKind::InvalidArgument,
                                "io queue"));
}

TEST(ProtocolIoQueue, ReadListsNonEmptyEntries) {
  Bytes io = encode_empty_io_queue(4);
  post(io, 1, abi::IO_STATUS_REQUESTED);
  post(io, 3, abi::IO_STATUS_POSTING);
  set_word(io, 2, 6);  // HEAD
  auto view = try_read_io_requests(io);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->head, 6u);
  const IoRequest first{1, abi::IO_OP_READ, 7, 41, 0x200000010ull, 100, abi::IO_STATUS_REQUESTED, 31};
  const IoRequest second{3, abi::IO_OP_READ, 7, 43, 0x200000010ull, 100, abi::IO_STATUS_POSTING, 33};
  EXPECT_EQ(view->requests, (std::vector<IoRequest>{first, second}));
}

TEST(ProtocolIoQueue, UnknownRequestStatusIsMalformed) {
  Bytes io = encode_empty_io_queue(3);
  post(io, 2, 6);
  EXPECT_TRUE(fails_with(try_read_io_requests(io), ErrorKind::Malformed, {"io queue request 2 word 26 (STATUS) is 6"}));
  EXPECT_TRUE(test::throws_with([&] { read_io_requests(io); }, ErrorKind::Malformed, "request 2"));
}

TEST(ProtocolIoQueue, WrongMagicSizeMismatchTruncatedMisaligned) {
  Bytes io = encode_empty_io_queue(2);
  set_word(io, 0, 0);
  EXPECT_TRUE(fails_with(try_read_io_requests(io), ErrorKind::Malformed,
                         {"io queue word 0 (MAGIC) is 0x00000000, expected 0x4F494B4D"}));
  io = encode_empty_io_queue(2);
  set_word(io, 1, 3);
  EXPECT_TRUE(fails_with(try_read_io_requests(io), ErrorKind::Malformed,
                         {"io queue is 20 words", "word 1 (CAPACITY) = 3", "28 words"}));
  EXPECT_TRUE(fails_with(try_complete_io_request(io, 0, true, 0), ErrorKind::Malformed, {"CAPACITY"}));
  EXPECT_TRUE(fails_with(try_read_io_requests(Bytes(12)), ErrorKind::Malformed, {"io queue is 3 words", "header"}));
  const Bytes good = encode_empty_io_queue(1);
  EXPECT_TRUE(fails_with(try_read_io_requests(ConstByteSpan(good).first(good.size() - 1)), ErrorKind::Malformed,
                         {"io queue", "truncated"}));
  test::Misaligned misaligned(good);
  EXPECT_TRUE(fails_with(try_read_io_requests(misaligned.span()), ErrorKind::Malformed, {"io queue", "misaligned"}));
  EXPECT_TRUE(fails_with(try_complete_io_request(misaligned.span(), 0, true, 0), ErrorKind::Malformed, {"misaligned"}));
}

TEST(ProtocolIoQueue, CompleteOkWritesBytesThenStatus) {
  for (std::uint32_t status : {abi::IO_STATUS_REQUESTED, abi::IO_STATUS_SERVICING}) {
    Bytes io = encode_empty_io_queue(2);
    post(io, 1, status);
    ASSERT_TRUE(try_complete_io_request(io, 1, true, 64).has_value());
    EXPECT_EQ(get_word(io, request_word(1, 5)), 64u);
    EXPECT_EQ(get_word(io, request_word(1, 6)), abi::IO_STATUS_OK);
    EXPECT_EQ(read_io_requests(io).requests.at(0).status, abi::IO_STATUS_OK);
  }
}

TEST(ProtocolIoQueue, CompleteErrorKeepsByteCount) {
  Bytes io = encode_empty_io_queue(1);
  post(io, 0, abi::IO_STATUS_REQUESTED, 12);
  ASSERT_TRUE(try_complete_io_request(io, 0, false, 999).has_value());
  EXPECT_EQ(get_word(io, request_word(0, 5)), 12u);
  EXPECT_EQ(get_word(io, request_word(0, 6)), abi::IO_STATUS_ERROR);
}

TEST(ProtocolIoQueue, CompleteFromOtherStatesWritesNothing) {
  for (std::uint32_t status :
       {abi::IO_STATUS_EMPTY, abi::IO_STATUS_OK, abi::IO_STATUS_ERROR, abi::IO_STATUS_POSTING, 77u}) {
    Bytes io = encode_empty_io_queue(2);
    post(io, 0, status);
    const Bytes before = io;
    EXPECT_TRUE(fails_with(try_complete_io_request(io, 0, true, 1), ErrorKind::InvalidArgument,
                           {"io queue request 0 word 10 (STATUS)", "REQUESTED or SERVICING"}));
    EXPECT_EQ(io, before);
  }
}

TEST(ProtocolIoQueue, CompleteIndexPastCapacityOrOverdeliveryWritesNothing) {
  Bytes io = encode_empty_io_queue(2);
  post(io, 1, abi::IO_STATUS_REQUESTED, 16);
  const Bytes before = io;
  EXPECT_TRUE(fails_with(try_complete_io_request(io, 2, true, 1), ErrorKind::InvalidArgument,
                         {"io queue request 2", "word 1 (CAPACITY) = 2"}));
  EXPECT_TRUE(fails_with(try_complete_io_request(io, 1, true, 17), ErrorKind::InvalidArgument,
                         {"io queue request 1", "17", "(BYTE_COUNT)"}));
  EXPECT_EQ(io, before);
  EXPECT_TRUE(try_complete_io_request(io, 1, true, 16).has_value());
}

}  // namespace
}  // namespace mk
