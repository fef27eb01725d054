// Helpers for the CLI tests: temporary job files and running the megakernel binary.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mk::cli::test {

struct ExeResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Run the built megakernel binary with `args`, capturing stdout and stderr; stdin is
// `stdin_file` (default /dev/null).
ExeResult run_megakernel(const std::vector<std::string>& args, const std::string& stdin_file = "/dev/null");

// The same under `ulimit -v virtual_kib` (address-space limit), to make allocations fail.
ExeResult run_megakernel_limited(const std::vector<std::string>& args, std::uint64_t virtual_kib);

// A fresh directory for this test process (removed at exit).
std::filesystem::path temp_dir();
// Write `text` to temp_dir()/name and return the path.
std::filesystem::path write_temp(const std::string& name, const std::string& text);
std::string read_text(const std::filesystem::path& path);

// examples/jobs/<name>.
std::filesystem::path example_job(const std::string& name);

// Lines in a string (a trailing newline does not start a new line).
std::size_t line_count(const std::string& text);
// `text` less the progress lines a command prints once it has run a second
// ("megakernel run: running ... (1.0 s)"): a loaded machine can make any run that long.
std::string without_progress(const std::string& text);

}  // namespace mk::cli::test
