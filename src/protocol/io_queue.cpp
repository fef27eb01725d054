// I/O request queue: encoding an empty queue, listing requests, completing one.
#include <algorithm>

#include "detail.h"

namespace mk {

namespace {

std::size_t request_word(std::uint32_t index, std::uint32_t field) {
  return abi::IO_HEADER_WORDS + std::size_t{index} * abi::IO_REQUEST_WORDS + field;
}

std::string_view io_status_name(std::uint32_t status) {
  switch (status) {
    case abi::IO_STATUS_EMPTY:
      return "EMPTY";
    case abi::IO_STATUS_REQUESTED:
      return "REQUESTED";
    case abi::IO_STATUS_SERVICING:
      return "SERVICING";
    case abi::IO_STATUS_OK:
      return "OK";
    case abi::IO_STATUS_ERROR:
      return "ERROR";
    case abi::IO_STATUS_POSTING:
      return "POSTING";
    default:
      return "UNKNOWN";
  }
}

}  // namespace

namespace detail {

Result<std::uint32_t> io_queue_capacity(ConstWordSpan io) {
  const std::string fix = "encode the queue with encode_empty_io_queue(capacity)";
  if (io.size() < abi::IO_HEADER_WORDS) {
    return fail(ErrorKind::Malformed,
                "io queue is " + std::to_string(io.size()) + " words, shorter than its " +
                    std::to_string(abi::IO_HEADER_WORDS) + "-word header",
                fix);
  }
  if (io[abi::IO_MAGIC_WORD] != abi::IO_MAGIC) {
    return fail(ErrorKind::Malformed,
                "io queue word " + std::to_string(abi::IO_MAGIC_WORD) + " (MAGIC) is " + hex32(io[abi::IO_MAGIC_WORD]) +
                    ", expected " + hex32(abi::IO_MAGIC),
                fix);
  }
  const std::uint32_t capacity = io[abi::IO_CAPACITY];
  const std::uint64_t want = abi::IO_HEADER_WORDS + std::uint64_t{capacity} * abi::IO_REQUEST_WORDS;
  if (capacity > abi::MAX_IO_REQUESTS || io.size() != want) {
    return fail(ErrorKind::Malformed,
                "io queue is " + std::to_string(io.size()) + " words, but word " + std::to_string(abi::IO_CAPACITY) +
                    " (CAPACITY) = " + std::to_string(capacity) + " requests needs " + std::to_string(want) + " words",
                "pass the whole queue, sized with try_io_queue_bytes(capacity)");
  }
  return capacity;
}

}  // namespace detail

Result<Bytes> try_encode_empty_io_queue(std::uint32_t capacity_requests) {
  auto bytes = try_io_queue_bytes(capacity_requests);
  if (!bytes) return detail::error_of(bytes);
  Bytes out(*bytes);
  MK_TRY(try_encode_empty_io_queue_into(out, capacity_requests));
  return out;
}

Bytes encode_empty_io_queue(std::uint32_t capacity_requests) {
  return value_or_throw(try_encode_empty_io_queue(capacity_requests));
}

Status try_encode_empty_io_queue_into(ByteSpan out, std::uint32_t capacity_requests) {
  auto bytes = try_io_queue_bytes(capacity_requests);
  if (!bytes) return detail::error_of(bytes);
  auto words = try_as_words(out, detail::IO_QUEUE);
  if (!words) return detail::error_of(words);
  MK_TRY(detail::check_output_size(detail::IO_QUEUE, words->size(), *bytes));
  std::fill(words->begin(), words->end(), Word{0});
  (*words)[abi::IO_MAGIC_WORD] = abi::IO_MAGIC;
  (*words)[abi::IO_CAPACITY] = capacity_requests;
  return {};
}

Result<IoQueueView> try_read_io_requests(ConstByteSpan io) {
  auto words = try_as_words(io, detail::IO_QUEUE);
  if (!words) return detail::error_of(words);
  auto capacity = detail::io_queue_capacity(*words);
  if (!capacity) return detail::error_of(capacity);
  IoQueueView view;
  view.capacity = *capacity;
  view.head = (*words)[abi::IO_HEAD];
  for (std::uint32_t index = 0; index < *capacity; ++index) {
    const auto at = [&](std::uint32_t field) { return (*words)[request_word(index, field)]; };
    // STATUS first with acquire: the lane that posted the request released it last.
    const std::uint32_t status = detail::load_acquire((*words)[request_word(index, abi::REQ_STATUS)]);
    if (status == abi::IO_STATUS_EMPTY) continue;
    if (status > abi::IO_STATUS_POSTING) {
      return fail(ErrorKind::Malformed,
                  "io queue request " + std::to_string(index) + " word " +
                      std::to_string(request_word(index, abi::REQ_STATUS)) + " (STATUS) is " + std::to_string(status) +
                      ", not a request status (EMPTY..POSTING)",
                  "only the kernel and try_complete_io_request() should write request STATUS; "
                  "re-encode the queue with encode_empty_io_queue()");
    }
    IoRequest request;
    request.index = index;
    request.op = at(abi::REQ_OP);
    request.source = at(abi::REQ_SOURCE);
    request.dest = at(abi::REQ_DEST);
    request.offset = std::uint64_t{at(abi::REQ_OFFSET_LO)} | (std::uint64_t{at(abi::REQ_OFFSET_HI)} << 32);
    request.byte_count = at(abi::REQ_BYTE_COUNT);
    request.status = status;
    request.ring_slot = at(abi::REQ_RING_SLOT);
    view.requests.push_back(request);
  }
  return view;
}

IoQueueView read_io_requests(ConstByteSpan io) { return value_or_throw(try_read_io_requests(io)); }

Status try_complete_io_request(ByteSpan io, std::uint32_t index, bool ok, std::uint32_t bytes_delivered) {
  auto words = try_as_words(io, detail::IO_QUEUE);
  if (!words) return detail::error_of(words);
  auto capacity = detail::io_queue_capacity(*words);
  if (!capacity) return detail::error_of(capacity);
  if (index >= *capacity) {
    return fail(ErrorKind::InvalidArgument,
                "io queue request " + std::to_string(index) + " is not below word " + std::to_string(abi::IO_CAPACITY) +
                    " (CAPACITY) = " + std::to_string(*capacity),
                "complete an index returned by try_read_io_requests()");
  }
  Word& status_word = (*words)[request_word(index, abi::REQ_STATUS)];
  const std::uint32_t status = detail::load_acquire(status_word);
  if (status != abi::IO_STATUS_REQUESTED && status != abi::IO_STATUS_SERVICING) {
    return fail(ErrorKind::InvalidArgument,
                "io queue request " + std::to_string(index) + " word " +
                    std::to_string(request_word(index, abi::REQ_STATUS)) + " (STATUS) is " +
                    std::string(io_status_name(status)) + "; only REQUESTED or SERVICING requests can be completed",
                "complete each request once, after try_read_io_requests() lists it as REQUESTED");
  }
  Word& byte_count = (*words)[request_word(index, abi::REQ_BYTE_COUNT)];
  if (ok && bytes_delivered > byte_count) {
    return fail(ErrorKind::InvalidArgument,
                "io queue request " + std::to_string(index) + ": bytes_delivered " + std::to_string(bytes_delivered) +
                    " is more than the " + std::to_string(byte_count) + " bytes asked in word " +
                    std::to_string(request_word(index, abi::REQ_BYTE_COUNT)) + " (BYTE_COUNT)",
                "deliver at most BYTE_COUNT bytes (a short read is fine)");
  }
  if (ok) byte_count = bytes_delivered;
  // Last, with release: the lane that sees OK/ERROR also sees BYTE_COUNT and the data.
  detail::store_release(status_word, ok ? abi::IO_STATUS_OK : abi::IO_STATUS_ERROR);
  return {};
}

}  // namespace mk
