// libFuzzer target: debug log decoding, strict and lenient, on arbitrary bytes.
#include <algorithm>

#include "fuzz_util.h"

using namespace mk;
using fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes log = fuzz::aligned_copy(data, size);
  const auto strict = try_read_debug_log(log, DecodeMode::Strict);
  const auto lenient = try_read_debug_log(log, DecodeMode::Lenient);
  // Strict accepts a subset of what lenient accepts, and then they agree.
  check(!strict || lenient);
  if (!lenient) {
    check(lenient.error().kind() == ErrorKind::Malformed && !strict);
    return 0;
  }
  const std::uint32_t in_range = std::min(lenient->claimed, lenient->capacity);
  check(lenient->dropped == lenient->claimed - in_range);
  check(lenient->records.size() + lenient->partial == in_range);
  for (std::size_t i = 0; i < lenient->records.size(); ++i) {
    const DebugRecord& record = lenient->records[i];
    check(record.index < in_range && (record.fmt_id & abi::REC_COMMIT_BIT) == 0);
    check(i == 0 || lenient->records[i - 1].index < record.index);
  }
  if (strict) {
    check(lenient->partial == 0 && strict->records == lenient->records && strict->dropped == lenient->dropped);
  } else {
    check(lenient->partial != 0 && strict.error().kind() == ErrorKind::Malformed);
  }
  DebugLog reused;
  reused.records.resize(3);
  check(try_read_debug_log_into(log, reused, DecodeMode::Lenient) && reused.records == lenient->records);

  fuzz::MisalignedCopy misaligned(data, size);
  check(!try_read_debug_log(misaligned.span(), DecodeMode::Lenient).has_value());
  return 0;
}
