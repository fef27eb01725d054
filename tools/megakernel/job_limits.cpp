// Checked byte counts for a job's buffers and the --max-memory / --max-job-bytes sizes.
#include "job_limits.h"

#include <unistd.h>

#include <array>
#include <cctype>

#include "mk/protocol.h"

namespace mk::cli {
namespace {

// Bytes per observable word in the JSON report (an nlohmann value plus its text).
constexpr std::uint64_t REPORT_BYTES_PER_WORD = 32;

bool add_checked(std::uint64_t& total, std::uint64_t more) {
  if (more > UINT64_MAX - total) return false;
  total += more;
  return true;
}

bool mul_checked(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
  if (a != 0 && b > UINT64_MAX / a) return false;
  out = a * b;
  return true;
}

struct Part {
  const char* field;
  std::uint64_t count;
  std::uint64_t bytes;
};

}  // namespace

std::uint64_t default_max_memory() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return std::uint64_t{1} << 30;
  return static_cast<std::uint64_t>(pages) / 4 * static_cast<std::uint64_t>(page);
}

std::optional<std::uint64_t> parse_byte_size(std::string_view text) {
  std::uint64_t value = 0;
  std::size_t i = 0;
  for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
    const std::uint64_t digit = static_cast<std::uint64_t>(text[i] - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  if (i == 0) return std::nullopt;
  std::string_view unit = text.substr(i);
  if (unit.size() >= 2 && (unit.substr(1) == "iB" || unit.substr(1) == "B")) unit = unit.substr(0, 1);
  if (unit == "B") unit = "";
  unsigned shift = 0;
  if (unit.empty()) {
    shift = 0;
  } else if (unit.size() == 1) {
    switch (std::toupper(static_cast<unsigned char>(unit[0]))) {
      case 'K':
        shift = 10;
        break;
      case 'M':
        shift = 20;
        break;
      case 'G':
        shift = 30;
        break;
      case 'T':
        shift = 40;
        break;
      default:
        return std::nullopt;
    }
  } else {
    return std::nullopt;
  }
  if (shift != 0 && value > (UINT64_MAX >> shift)) return std::nullopt;
  return value << shift;
}

JobResult<std::uint64_t> check_job_memory(const Job& job, std::uint64_t max_memory, bool json_report) {
  // The protocol's own checked sizes; the reader already refused sizes past 32-bit words.
  std::array<Part, 4> parts{{
      {"observables", job.observables, try_control_bytes(job.observables).value_or(SIZE_MAX)},
      {"slot_count", job.slot_count, try_ring_bytes(job.slot_count).value_or(SIZE_MAX)},
      {"debug_log_records", job.debug_log_records,
       job.debug_log_records == 0 ? 0 : try_debug_log_bytes(job.debug_log_records).value_or(SIZE_MAX)},
      {"io_queue_capacity", job.io_queue_capacity,
       job.io_queue_capacity == 0 ? 0 : try_io_queue_bytes(job.io_queue_capacity).value_or(SIZE_MAX)},
  }};
  std::uint64_t total = 0;
  bool ok = true;
  const Part* largest = &parts[0];
  for (auto& part : parts) {
    std::uint64_t twice = 0;
    ok = ok && mul_checked(part.bytes, 2, twice);
    if (ok && json_report && std::string_view(part.field) == "observables") {
      std::uint64_t report = 0;
      ok = mul_checked(part.count, REPORT_BYTES_PER_WORD, report) && add_checked(twice, report);
    }
    part.bytes = twice;
    ok = ok && add_checked(total, twice);
    if (part.bytes > largest->bytes) largest = &part;
  }
  if (!ok || total > max_memory) {
    const std::string asked = ok ? std::to_string(total) + " bytes" : "more than 2^64 bytes";
    return cuda::std::unexpected(JobError{
        "", largest->field, "",
        "the job needs " + asked + " of memory (" + largest->field + " " + std::to_string(largest->count) + ": " +
            std::to_string(largest->bytes) + " bytes for its buffers and their readback), over the limit of " +
            std::to_string(max_memory) + " bytes",
        std::string("lower \"") + largest->field +
            "\", or pass --max-memory BYTES (default: a quarter of physical memory) if the machine has room"});
  }
  return total;
}

}  // namespace mk::cli
