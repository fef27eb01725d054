// Bounded job-file input: stat, open non-blocking without following a FIFO's writer,
// fstat the descriptor, check the size limit, then read.
#include "job_input.h"

#include <fcntl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace mk::cli {
namespace {

JobError input_error(const std::string& shown, std::string message, std::string fix) {
  return JobError{shown, "", "", std::move(message), std::move(fix)};
}

std::string kind_of_mode(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

std::string limit_fix() { return "pass --max-job-bytes N to allow a larger job (the default is 256 MiB)"; }

JobError too_large(const std::string& shown, const std::string& size, std::uint64_t max_bytes) {
  return input_error(shown, "the job is " + size + " bytes, over the limit of " + std::to_string(max_bytes) + " bytes",
                     limit_fix());
}

// Read everything from fd, at most max_bytes + 1 bytes (one more proves "over").
// `expected` (a regular file's size) is reserved up front: growing by doubling would
// hold the old and the new copy at once, half again the job's size.
JobResult<std::string> read_bounded(int fd, const std::string& shown, std::uint64_t max_bytes,
                                    std::uint64_t expected = 0) {
  std::string text;
  text.reserve(static_cast<std::size_t>(std::min(expected, max_bytes)));
  char chunk[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {  // a non-blocking stdin with nothing yet: wait for it
      fd_set set;
      FD_ZERO(&set);
      FD_SET(fd, &set);
      ::select(fd + 1, &set, nullptr, nullptr, nullptr);
      continue;
    }
    if (n < 0)
      return cuda::std::unexpected(
          input_error(shown, std::string("cannot read the job: ") + std::strerror(errno), "check the file"));
    if (n == 0) return text;
    if (text.size() + static_cast<std::size_t>(n) > max_bytes)
      return cuda::std::unexpected(too_large(shown, "more than " + std::to_string(max_bytes), max_bytes));
    text.append(chunk, static_cast<std::size_t>(n));
  }
}

class Fd {
 public:
  explicit Fd(int fd) : m_fd(fd) {}
  ~Fd() {
    if (m_fd >= 0) ::close(m_fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return m_fd; }

 private:
  int m_fd;
};

}  // namespace

JobResult<JobText> read_job_text(const std::filesystem::path& path, std::uint64_t max_bytes) {
  JobText out;
  if (path == "-") {
    out.shown = "<stdin>";
    out.dir = ".";
    out.from_stdin = true;
    struct stat st {};
    if (::fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) > max_bytes)
      return cuda::std::unexpected(too_large(out.shown, std::to_string(st.st_size), max_bytes));
    auto text = read_bounded(STDIN_FILENO, out.shown, max_bytes,
                             S_ISREG(st.st_mode) ? static_cast<std::uint64_t>(st.st_size) : 0);
    if (!text) return cuda::std::unexpected(std::move(text.error()));
    out.text = std::move(*text);
    return out;
  }
  out.shown = path.string();
  out.dir = path.parent_path();
  if (out.dir.empty()) out.dir = ".";
  // Refuse what is not a regular file before opening it: opening a FIFO for reading
  // waits for a writer, and a device may produce bytes forever.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return cuda::std::unexpected(input_error(out.shown,
                                             std::string("cannot open the job file: ") + std::strerror(errno),
                                             "check the path and that the file is readable"));
  }
  if (!S_ISREG(st.st_mode)) {
    return cuda::std::unexpected(input_error(out.shown,
                                             "the job file is " + kind_of_mode(st.st_mode) + ", not a regular file",
                                             "name a regular JSON file, or pass - and pipe the job into stdin"));
  }
  // Non-blocking, so a FIFO swapped in after the stat cannot hang the open; the fstat
  // below checks the descriptor that is read.
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) {
    return cuda::std::unexpected(input_error(out.shown,
                                             std::string("cannot open the job file: ") + std::strerror(errno),
                                             "check the path and that the file is readable"));
  }
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return cuda::std::unexpected(
        input_error(out.shown, "the job file is not a regular file", "name a regular JSON file"));
  }
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes)
    return cuda::std::unexpected(too_large(out.shown, std::to_string(st.st_size), max_bytes));
  // A file that grows is still bounded.
  auto text = read_bounded(fd.get(), out.shown, max_bytes, static_cast<std::uint64_t>(st.st_size));
  if (!text) return cuda::std::unexpected(std::move(text.error()));
  out.text = std::move(*text);
  return out;
}

}  // namespace mk::cli
