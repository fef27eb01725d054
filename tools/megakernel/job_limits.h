// Memory a job asks for, in bytes with checked arithmetic, against a limit, before allocation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "job.h"
#include "job_error.h"

namespace mk::cli {

// A quarter of physical memory (1 GiB when it cannot be read).
std::uint64_t default_max_memory();

// "4096", "64K", "256M", "2G", "1T" (binary multiples; an optional "iB"/"B" suffix);
// nullopt when malformed or past 2^64 - 1.
std::optional<std::uint64_t> parse_byte_size(std::string_view text);

// The bytes a run of `job` needs: every ABI buffer twice (the buffers the interpreter
// runs over and their readback), plus the JSON report's copy of the observables when
// `json_report`. Refused (with the bytes asked for, the largest field and the limit)
// when over `max_memory`.
JobResult<std::uint64_t> check_job_memory(const Job& job, std::uint64_t max_memory, bool json_report);

}  // namespace mk::cli
