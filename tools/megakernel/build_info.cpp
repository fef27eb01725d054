// Build-time facts passed by CMake (MK_CLI_VERSION, MK_GIT_COMMIT, ...) and XDG cache lookup.
#include "build_info.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

#ifndef MK_CLI_VERSION
#define MK_CLI_VERSION "0.0.0"
#endif
#ifndef MK_GIT_COMMIT
#define MK_GIT_COMMIT "unknown"
#endif
#ifndef MK_CLI_SOURCE_DIR
#define MK_CLI_SOURCE_DIR ""
#endif

namespace mk::cli {

std::string version() { return MK_CLI_VERSION; }

std::string git_commit() {
  const std::string commit = MK_GIT_COMMIT;
  return commit.empty() ? "unknown" : commit;
}

std::string jit_cache_dir() {
  // XDG Base Directory: a relative XDG_CACHE_HOME is invalid and must be ignored.
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && xdg[0] == '/') {
    return (std::filesystem::path(xdg) / "megakernel").string();
  }
  if (const char* home = std::getenv("HOME"); home && home[0] != '\0') {
    return (std::filesystem::path(home) / ".cache" / "megakernel").string();
  }
  return "";
}

std::string plot_script_path() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto installed = exe.parent_path().parent_path() / "share" / "megakernel" / "plot_bench.py";
    if (std::filesystem::is_regular_file(installed, ec)) return installed.string();
  }
  const std::filesystem::path source = std::filesystem::path(MK_CLI_SOURCE_DIR) / "scripts" / "plot_bench.py";
  if (std::string(MK_CLI_SOURCE_DIR).size() != 0 && std::filesystem::is_regular_file(source, ec)) {
    return source.string();
  }
  return "";
}

}  // namespace mk::cli
