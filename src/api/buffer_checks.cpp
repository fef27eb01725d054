// Dispatch-time buffer validation: a backend only ever sees consistent headers.
#include "api/buffer_checks.h"

#include <cstdio>
#include <string>

namespace mk::detail {
namespace {

std::string hex(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", v);
  return buf;
}

Status validate_header(ConstWordSpan words, std::string_view buffer, std::uint32_t magic, std::uint32_t header,
                       std::uint32_t record_words, std::uint32_t capacity_word, std::string_view encoder) {
  if (words.size() < header)
    return fail(ErrorKind::Malformed,
                std::string(buffer) + " is " + std::to_string(words.size()) + " words, shorter than its " +
                    std::to_string(header) + "-word header",
                "encode it with " + std::string(encoder) + "()");
  if (words[0] != magic)
    return fail(ErrorKind::Malformed,
                std::string(buffer) + " word 0 (MAGIC) is " + hex(words[0]) + ", expected " + hex(magic),
                "encode it with " + std::string(encoder) + "()");
  const std::uint64_t need = header + static_cast<std::uint64_t>(words[capacity_word]) * record_words;
  if (words.size() != need)
    return fail(ErrorKind::Malformed,
                std::string(buffer) + " word " + std::to_string(capacity_word) + " (CAPACITY) is " +
                    std::to_string(words[capacity_word]) + ", which needs " + std::to_string(need) +
                    " words, but the buffer has " + std::to_string(words.size()),
                "encode it with " + std::string(encoder) + "() and do not resize it");
  return {};
}

}  // namespace

Status validate_debug_log_words(ConstWordSpan log) {
  if (log.empty()) return {};
  return validate_header(log, "debug log", abi::LOG_MAGIC, abi::LOG_HEADER_WORDS, abi::LOG_RECORD_WORDS,
                         abi::LOG_CAPACITY, "encode_empty_debug_log");
}

Status validate_io_queue_words(ConstWordSpan io) {
  if (io.empty()) return {};
  return validate_header(io, "I/O queue", abi::IO_MAGIC, abi::IO_HEADER_WORDS, abi::IO_REQUEST_WORDS, abi::IO_CAPACITY,
                         "encode_empty_io_queue");
}

Status validate_ring_words(ConstWordSpan ring, std::uint32_t slot_count) {
  const std::uint64_t need = static_cast<std::uint64_t>(slot_count) * abi::SLOT_WORDS;
  if (ring.size() != need)
    return fail(ErrorKind::InvalidArgument,
                "ring has " + std::to_string(ring.size() / abi::SLOT_WORDS) + " slots (" + std::to_string(ring.size()) +
                    " words) but the megakernel was bootstrapped for " + std::to_string(slot_count) + " slots",
                "encode the ring with encode_empty_ring(" + std::to_string(slot_count) +
                    ") or bootstrap_sharded with the ring's slot count");
  return {};
}

}  // namespace mk::detail
