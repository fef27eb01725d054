// Opening I/O source files once, safely: name checks, root confinement, regular files only.
#pragma once

#include <cstdint>
#include <filesystem>

#include "mk/error.h"

namespace mk::detail {

// Owns one file descriptor (closed on destruction); -1 when empty.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : m_fd(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : m_fd(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  int get() const noexcept { return m_fd; }
  int release() noexcept {
    const int fd = m_fd;
    m_fd = -1;
    return fd;
  }

 private:
  int m_fd = -1;
};

// InvalidArgument when `name` is empty or holds NUL or control characters (what a
// message or a terminal would show differently from what is opened).
Status check_source_name(std::uint32_t id, const std::string& name);

// Open a directory to confine sources to (O_PATH | O_DIRECTORY).
Result<UniqueFd> open_root_dir(const std::filesystem::path& root);

// Open source `id`'s file read-only and check it is a regular file (fstat of the
// descriptor that will be read). root_fd < 0: any path; otherwise `path` must be
// relative, without `..`, and resolve beneath root_fd. Never blocks on a FIFO.
Result<UniqueFd> open_source_file(std::uint32_t id, const std::filesystem::path& path, int root_fd,
                                  const std::filesystem::path& root_shown);

}  // namespace mk::detail
