// CLI test helpers: run the binary with captured output, temp files, example paths.
#include "cli_test_util.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>
#include <sys/wait.h>
#include <unistd.h>

namespace mk::cli::test {
namespace {

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() / ("mk_cli_test_" + std::to_string(getpid()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace

std::filesystem::path temp_dir() {
  static TempDir dir;
  return dir.path;
}

std::filesystem::path write_temp(const std::string& name, const std::string& text) {
  const auto path = temp_dir() / name;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  return path;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

namespace {

ExeResult run_command(const std::string& prefix, const std::vector<std::string>& args, const std::string& stdin_file) {
  static int counter = 0;
  const auto out_path = temp_dir() / ("exe_out_" + std::to_string(counter) + ".txt");
  const auto err_path = temp_dir() / ("exe_err_" + std::to_string(counter) + ".txt");
  ++counter;
  std::string command = prefix + shell_quote(MEGAKERNEL_EXE);
  for (const auto& arg : args) command += " " + shell_quote(arg);
  command +=
      " >" + shell_quote(out_path.string()) + " 2>" + shell_quote(err_path.string()) + " <" + shell_quote(stdin_file);
  const int status = std::system(command.c_str());
  ExeResult result;
  result.exit_code = (status != -1 && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
  result.out = read_text(out_path);
  result.err = read_text(err_path);
  return result;
}

}  // namespace

ExeResult run_megakernel(const std::vector<std::string>& args, const std::string& stdin_file) {
  return run_command("", args, stdin_file);
}

ExeResult run_megakernel_limited(const std::vector<std::string>& args, std::uint64_t virtual_kib) {
  return run_command("ulimit -v " + std::to_string(virtual_kib) + " && ", args, "/dev/null");
}

std::filesystem::path example_job(const std::string& name) { return std::filesystem::path(MK_EXAMPLE_JOBS_DIR) / name; }

std::size_t line_count(const std::string& text) {
  std::size_t lines = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' || i + 1 == text.size()) ++lines;
  }
  return lines;
}

std::string without_progress(const std::string& text) {
  std::string kept;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    end = end == std::string::npos ? text.size() : end + 1;
    const std::string_view line(text.data() + start, end - start);
    // Progress lines name the command ("megakernel run: "); errors start "megakernel: ".
    const bool progress = line.starts_with("megakernel ") && line.find(" s)") != std::string_view::npos;
    if (!progress) kept.append(line);
    start = end;
  }
  return kept;
}

}  // namespace mk::cli::test
