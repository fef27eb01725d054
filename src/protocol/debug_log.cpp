// Debug log (PRINTF channel): encoding an empty log and decoding committed records.
#include <algorithm>

#include "detail.h"

namespace mk {

namespace detail {

Result<DebugLogHeader> debug_log_header(ConstWordSpan log) {
  const std::string fix = "encode the log with encode_empty_debug_log(capacity)";
  if (log.size() < abi::LOG_HEADER_WORDS) {
    return fail(ErrorKind::Malformed,
                "debug log is " + std::to_string(log.size()) + " words, shorter than its " +
                    std::to_string(abi::LOG_HEADER_WORDS) + "-word header",
                fix);
  }
  if (log[abi::LOG_MAGIC_WORD] != abi::LOG_MAGIC) {
    return fail(ErrorKind::Malformed,
                "debug log word " + std::to_string(abi::LOG_MAGIC_WORD) + " (MAGIC) is " +
                    hex32(log[abi::LOG_MAGIC_WORD]) + ", expected " + hex32(abi::LOG_MAGIC),
                fix);
  }
  DebugLogHeader header{log[abi::LOG_CAPACITY], log[abi::LOG_CURSOR]};
  const std::uint64_t want = abi::LOG_HEADER_WORDS + std::uint64_t{header.capacity} * abi::LOG_RECORD_WORDS;
  if (header.capacity > abi::MAX_LOG_RECORDS || log.size() != want) {
    return fail(ErrorKind::Malformed,
                "debug log is " + std::to_string(log.size()) + " words, but word " + std::to_string(abi::LOG_CAPACITY) +
                    " (CAPACITY) = " + std::to_string(header.capacity) + " records needs " + std::to_string(want) +
                    " words",
                "pass the whole log, sized with try_debug_log_bytes(capacity)");
  }
  return header;
}

}  // namespace detail

Result<Bytes> try_encode_empty_debug_log(std::uint32_t capacity_records) {
  auto bytes = try_debug_log_bytes(capacity_records);
  if (!bytes) return detail::error_of(bytes);
  Bytes out(*bytes);
  MK_TRY(try_encode_empty_debug_log_into(out, capacity_records));
  return out;
}

Bytes encode_empty_debug_log(std::uint32_t capacity_records) {
  return value_or_throw(try_encode_empty_debug_log(capacity_records));
}

Status try_encode_empty_debug_log_into(ByteSpan out, std::uint32_t capacity_records) {
  auto bytes = try_debug_log_bytes(capacity_records);
  if (!bytes) return detail::error_of(bytes);
  auto words = try_as_words(out, detail::DEBUG_LOG);
  if (!words) return detail::error_of(words);
  MK_TRY(detail::check_output_size(detail::DEBUG_LOG, words->size(), *bytes));
  std::fill(words->begin(), words->end(), Word{0});
  (*words)[abi::LOG_MAGIC_WORD] = abi::LOG_MAGIC;
  (*words)[abi::LOG_CAPACITY] = capacity_records;
  return {};
}

Status try_read_debug_log_into(ConstByteSpan log, DebugLog& out, DecodeMode mode) {
  out.records.clear();
  out.capacity = out.claimed = out.dropped = out.partial = 0;
  auto words = try_as_words(log, detail::DEBUG_LOG);
  if (!words) return detail::error_of(words);
  auto header = detail::debug_log_header(*words);
  if (!header) return detail::error_of(header);

  out.capacity = header->capacity;
  out.claimed = header->cursor;
  // CURSOR counts claims, including those that found the log full: report, never hide.
  const std::uint32_t in_range = std::min(header->cursor, header->capacity);
  out.dropped = header->cursor - in_range;
  for (std::uint32_t index = 0; index < in_range; ++index) {
    const ConstWordSpan record =
        words->subspan(abi::LOG_HEADER_WORDS + std::size_t{index} * abi::LOG_RECORD_WORDS, abi::LOG_RECORD_WORDS);
    // COMMIT is stored last with release; acquiring it makes the record's words visible.
    const std::uint32_t commit = detail::load_acquire(record[abi::REC_COMMIT]);
    if ((commit & abi::REC_COMMIT_BIT) == 0) {
      if (mode == DecodeMode::Lenient) {
        ++out.partial;
        continue;
      }
      const std::size_t word = abi::LOG_HEADER_WORDS + std::size_t{index} * abi::LOG_RECORD_WORDS + abi::REC_COMMIT;
      const std::string what = commit == 0 ? "is 0: the record was claimed but never committed (partial record)"
                                           : "is " + detail::hex32(commit) + ", which lacks the commit bit " +
                                                 detail::hex32(abi::REC_COMMIT_BIT);
      return fail(ErrorKind::Malformed,
                  "debug log record " + std::to_string(index) + " word " + std::to_string(word) + " (COMMIT) " + what +
                      "; CURSOR = " + std::to_string(header->cursor),
                  "read the log after the kernel has finished, or decode with DecodeMode::Lenient to "
                  "count partial records and skip them");
    }
    DebugRecord decoded;
    decoded.index = index;
    decoded.fmt_id = commit & ~abi::REC_COMMIT_BIT;
    decoded.tenant = record[abi::REC_TENANT];
    decoded.slot = record[abi::REC_SLOT];
    for (std::uint32_t i = 0; i < abi::REC_MAX_ARGS; ++i) decoded.args[i] = record[abi::REC_ARGS + i];
    out.records.push_back(decoded);
  }
  return {};
}

Result<DebugLog> try_read_debug_log(ConstByteSpan log, DecodeMode mode) {
  DebugLog out;
  MK_TRY(try_read_debug_log_into(log, out, mode));
  return out;
}

DebugLog read_debug_log(ConstByteSpan log, DecodeMode mode) { return value_or_throw(try_read_debug_log(log, mode)); }

}  // namespace mk
