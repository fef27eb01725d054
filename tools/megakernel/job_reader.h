// Job reader: JSON job file -> validated Job (parse + validate only, no backend, no dispatch).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "job.h"
#include "job_error.h"

namespace mk::cli {

// Parse and validate job text. `base_dir` resolves relative io_sources files;
// `display_name` names the file in errors. Never throws for bad input.
JobResult<Job> parse_job(std::string_view text, const std::filesystem::path& base_dir,
                         const std::string& display_name = "");

// Read a job file from disk, then parse_job it relative to its own directory.
JobResult<Job> read_job_file(const std::filesystem::path& path);

}  // namespace mk::cli
