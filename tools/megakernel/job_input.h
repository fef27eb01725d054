// Reading a job file's bytes: a regular file or stdin ("-"), size-limited before reading.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "job_error.h"

namespace mk::cli {

inline constexpr std::uint64_t DEFAULT_MAX_JOB_BYTES = std::uint64_t{256} << 20;  // 256 MiB

// The bytes of a job and where it came from.
struct JobText {
  std::string text;
  std::string shown;          // the name errors use ("-" is shown as "<stdin>")
  std::filesystem::path dir;  // the file's directory ("." for stdin)
  bool from_stdin = false;
};

// Read `path` ("-": standard input). A path that is not a regular file (FIFO, device,
// directory, socket) is refused before it is opened for reading, and the descriptor
// opened is checked again; a size over `max_bytes` is refused before any byte is read
// (stdin that is not a regular file is read up to max_bytes + 1).
JobResult<JobText> read_job_text(const std::filesystem::path& path, std::uint64_t max_bytes);

}  // namespace mk::cli
