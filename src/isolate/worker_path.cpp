// Locating mk-worker (worker_path.h). The library is static, so "next to the library" is
// the install location compiled in, plus paths relative to the running executable.
#include "isolate/worker_path.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#ifndef MK_WORKER_INSTALL_PATH
#define MK_WORKER_INSTALL_PATH ""
#endif
#ifndef MK_WORKER_INSTALL_RELATIVE
#define MK_WORKER_INSTALL_RELATIVE "lib/megakernel/mk-worker"
#endif
#ifndef MK_WORKER_BUILD_PATH
#define MK_WORKER_BUILD_PATH ""
#endif

namespace mk::isolate {
namespace {

bool executable(const std::string& path) { return !path.empty() && access(path.c_str(), X_OK) == 0; }

}  // namespace

Result<std::string> find_worker(const std::string& configured) {
  auto explicit_path = [](const std::string& path, const char* from) -> Result<std::string> {
    if (executable(path) && !std::filesystem::is_directory(path)) return path;
    return fail(
        ErrorKind::InvalidArgument,
        std::string("the worker executable ") + from + " names \"" + path + "\", which is not an executable file",
        "point it at mk-worker (installed as <prefix>/" MK_WORKER_INSTALL_RELATIVE
        ", built as src/isolate/mk-worker in the build tree), or leave it empty to search");
  };
  if (!configured.empty()) return explicit_path(configured, "IsolationOptions::worker_path");
  if (const char* env = std::getenv("MK_WORKER_PATH"); env != nullptr && *env != '\0')
    return explicit_path(env, "MK_WORKER_PATH");

  std::vector<std::string> candidates;
  if (*MK_WORKER_INSTALL_PATH) candidates.emplace_back(MK_WORKER_INSTALL_PATH);
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto dir = self.parent_path();
    candidates.push_back((dir / "mk-worker").string());
    candidates.push_back((dir.parent_path() / MK_WORKER_INSTALL_RELATIVE).string());
  }
  if (*MK_WORKER_BUILD_PATH) candidates.emplace_back(MK_WORKER_BUILD_PATH);
  std::string looked;
  for (const std::string& c : candidates) {
    if (executable(c)) return c;
    looked += (looked.empty() ? "" : ", ") + c;
  }
  return fail(ErrorKind::Unsupported,
              "no mk-worker executable found for the isolated backend (looked in: " + looked + ")",
              "install megakernel (mk-worker goes to <prefix>/" MK_WORKER_INSTALL_RELATIVE
              "), set MK_WORKER_PATH or IsolationOptions::worker_path, or use Isolation::InProcess");
}

}  // namespace mk::isolate
