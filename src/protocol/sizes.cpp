// Buffer sizes with checked arithmetic against the ABI limits.
#include "detail.h"

namespace mk {
namespace detail {

Result<std::size_t> checked_buffer_bytes(std::string_view buffer, std::string_view count_name, std::uint32_t count,
                                         std::uint32_t max_count, std::uint32_t header_words,
                                         std::uint32_t item_words) {
  std::size_t item_total = 0;
  std::size_t words = 0;
  std::size_t bytes = 0;
  // The ABI limit keeps every word index in a u32; the overflow checks keep the size_t
  // arithmetic honest on any host.
  if (count > max_count ||
      __builtin_mul_overflow(static_cast<std::size_t>(count), std::size_t{item_words}, &item_total) ||
      __builtin_add_overflow(item_total, std::size_t{header_words}, &words) ||
      __builtin_mul_overflow(words, std::size_t{abi::WORD_BYTES}, &bytes)) {
    return fail(ErrorKind::InvalidArgument,
                std::string(buffer) + " " + std::string(count_name) + " " + std::to_string(count) +
                    " overflows the buffer size (" + std::to_string(header_words) + " + " + std::string(count_name) +
                    " * " + std::to_string(item_words) + " words); the ABI limit is " + std::to_string(max_count),
                "use a " + std::string(count_name) + " of at most " + std::to_string(max_count));
  }
  return bytes;
}

Status check_output_size(std::string_view buffer, std::size_t have_words, std::size_t want_bytes) {
  const std::size_t have_bytes = have_words * abi::WORD_BYTES;
  if (have_bytes != want_bytes) {
    return fail(ErrorKind::InvalidArgument,
                "output " + std::string(buffer) + " is " + std::to_string(have_bytes) +
                    " bytes, but the encoding needs exactly " + std::to_string(want_bytes),
                "size the output with the matching try_*_bytes() function");
  }
  return {};
}

}  // namespace detail

Result<std::size_t> try_control_bytes(std::uint32_t observable_count) {
  return detail::checked_buffer_bytes(detail::CONTROL, "observable_count", observable_count, abi::MAX_OBSERVABLES,
                                      abi::CTRL_OBSERVABLES, 1);
}

Result<std::size_t> try_ring_bytes(std::uint32_t slot_count) {
  return detail::checked_buffer_bytes(detail::RING, "slot_count", slot_count, abi::MAX_RING_SLOTS, 0, abi::SLOT_WORDS);
}

Result<std::size_t> try_debug_log_bytes(std::uint32_t capacity_records) {
  return detail::checked_buffer_bytes(detail::DEBUG_LOG, "capacity_records", capacity_records, abi::MAX_LOG_RECORDS,
                                      abi::LOG_HEADER_WORDS, abi::LOG_RECORD_WORDS);
}

Result<std::size_t> try_io_queue_bytes(std::uint32_t capacity_requests) {
  return detail::checked_buffer_bytes(detail::IO_QUEUE, "capacity_requests", capacity_requests, abi::MAX_IO_REQUESTS,
                                      abi::IO_HEADER_WORDS, abi::IO_REQUEST_WORDS);
}

}  // namespace mk
