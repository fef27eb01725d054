// Job reader: JSON job file -> validated Job (parse + validate only, no backend, no dispatch).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "job.h"
#include "job_error.h"
#include "job_input.h"

namespace mk::cli {

// Parse and validate job text. `base_dir` becomes Job::dir (the default I/O root);
// `display_name` names the file in errors. Nothing is opened. Never throws for bad
// input (std::bad_alloc passes through).
JobResult<Job> parse_job(std::string_view text, const std::filesystem::path& base_dir,
                         const std::string& display_name = "");

// Read a job file (or stdin for "-") with read_job_text, then parse_job it with its own
// directory as Job::dir (the current directory for stdin).
JobResult<Job> read_job_file(const std::filesystem::path& path, std::uint64_t max_job_bytes = DEFAULT_MAX_JOB_BYTES);

}  // namespace mk::cli
