// Opening I/O source files: one open per file, fstat of that descriptor, openat2 beneath a root.
#include "api/io_file_open.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace mk::detail {
namespace {

// Read-only, never the controlling terminal, never blocking on a FIFO's missing writer.
constexpr int OPEN_FLAGS = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;

std::string source_label(std::uint32_t id, const std::string& name) {
  std::string shown;
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02X", u);
      shown += hex;
    } else {
      shown += c;
    }
  }
  return "I/O source " + std::to_string(id) + " file \"" + shown + "\"";
}

std::string errno_text(int error) { return std::strerror(error); }

// openat2 with RESOLVE_BENEATH: every step of the walk, symlinks included, stays under dirfd.
int openat2_beneath(int dirfd, const char* name) {
  struct open_how how {};
  how.flags = static_cast<std::uint64_t>(OPEN_FLAGS);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, dirfd, name, &how, sizeof how));
}

// Fallback without openat2: walk component by component and refuse every symlink.
int open_walk_no_symlinks(int dirfd, const std::filesystem::path& relative) {
  UniqueFd owned;
  int at = dirfd;
  auto it = relative.begin();
  const auto end = relative.end();
  while (it != end) {
    const std::string part = it->string();
    ++it;
    if (part.empty() || part == ".") continue;
    const bool last = it == end;
    const int fd = last ? ::openat(at, part.c_str(), OPEN_FLAGS | O_NOFOLLOW)
                        : ::openat(at, part.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -1;
    owned = UniqueFd(fd);
    at = fd;
  }
  return owned.release();
}

Result<UniqueFd> checked_regular(UniqueFd fd, const std::string& label) {
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return fail(ErrorKind::InvalidArgument, label + ": cannot stat: " + errno_text(errno),
                "check the file's permissions");
  if (!S_ISREG(st.st_mode)) {
    const char* what = S_ISDIR(st.st_mode)    ? "a directory"
                       : S_ISFIFO(st.st_mode) ? "a FIFO"
                       : S_ISCHR(st.st_mode)  ? "a character device"
                       : S_ISBLK(st.st_mode)  ? "a block device"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                                              : "not a regular file";
    return fail(ErrorKind::InvalidArgument, label + " is " + what + ", not a regular file",
                "name a regular file; devices, FIFOs and directories are never I/O sources");
  }
  // Regular files never block; reads go through pread, so O_NONBLOCK may stay.
  return fd;
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = other.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (m_fd >= 0) ::close(m_fd);
}

Status check_source_name(std::uint32_t id, const std::string& name) {
  if (name.empty())
    return fail(ErrorKind::InvalidArgument, "I/O source " + std::to_string(id) + " has an empty file name",
                "name a file");
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F)
      return fail(ErrorKind::InvalidArgument, source_label(id, name) + ": the name holds a NUL or control character",
                  "use a file name of printable characters only");
  }
  return {};
}

Result<UniqueFd> open_root_dir(const std::filesystem::path& root) {
  if (root.empty())
    return fail(ErrorKind::InvalidArgument, "the I/O root is an empty path",
                "name a directory (\".\" for the current one)");
  if (!check_source_name(0, root.native()))
    return fail(ErrorKind::InvalidArgument, "the I/O root holds a NUL or control character",
                "name a directory of printable characters");
  const int fd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return fail(ErrorKind::InvalidArgument,
                "cannot open the I/O root \"" + root.string() + "\" as a directory: " + errno_text(errno),
                "name an existing directory");
  return UniqueFd(fd);
}

Result<UniqueFd> open_source_file(std::uint32_t id, const std::filesystem::path& path, int root_fd,
                                  const std::filesystem::path& root_shown) {
  const std::string name = path.native();
  MK_TRY(check_source_name(id, name));
  const std::string label = source_label(id, name);
  if (root_fd < 0) {
    const int fd = ::open(name.c_str(), OPEN_FLAGS);
    if (fd < 0)
      return fail(ErrorKind::InvalidArgument, "cannot open " + label + ": " + errno_text(errno),
                  "check the path and its permissions");
    return checked_regular(UniqueFd(fd), label);
  }
  const std::string in_root = " (I/O root \"" + root_shown.string() + "\")";
  if (path.is_absolute())
    return fail(ErrorKind::InvalidArgument,
                label + " is an absolute path; sources resolve inside the I/O root" + in_root,
                "name the file relative to the I/O root, or move it there");
  for (const auto& part : path) {
    if (part == "..")
      return fail(ErrorKind::InvalidArgument, label + " has a \"..\" component, which may leave the I/O root" + in_root,
                  "name the file relative to the I/O root without \"..\", or move it there");
  }
  int fd = openat2_beneath(root_fd, name.c_str());
  if (fd < 0 && (errno == ENOSYS || errno == EPERM))
    fd = open_walk_no_symlinks(root_fd, path);  // no openat2 (old kernel, seccomp)
  if (fd < 0) {
    const int error = errno;
    if (error == EXDEV || error == ELOOP)
      return fail(ErrorKind::InvalidArgument,
                  label + " goes through a symbolic link that leaves the I/O root" + in_root,
                  "replace the link by the file itself, or move its target into the I/O root");
    if (error == ENOENT || error == ENOTDIR)
      return fail(ErrorKind::InvalidArgument, label + " not found" + in_root,
                  "create the file or fix the name; it is relative to the I/O root");
    return fail(ErrorKind::InvalidArgument, "cannot open " + label + in_root + ": " + errno_text(error),
                "check the file's permissions");
  }
  return checked_regular(UniqueFd(fd), label);
}

}  // namespace mk::detail
