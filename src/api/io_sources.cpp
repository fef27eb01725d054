// IoSources: byte spans and host-opened files that I/O requests may read by id.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "api/io_file_open.h"
#include "mk/io.h"

namespace mk {

// The directory a confined registry resolves names beneath.
struct IoSources::RootDir {
  detail::UniqueFd fd;
};

// One registered source: owned bytes, a borrowed view, or an open file descriptor.
struct IoSources::Source {
  std::vector<std::byte> owned;
  std::span<const std::byte> bytes;
  int fd = -1;
  std::uint64_t file_size = 0;

  ~Source() {
    if (fd >= 0) ::close(fd);
  }
  std::uint64_t size() const { return fd >= 0 ? file_size : bytes.size(); }
};

namespace {

Status duplicate_id(std::uint32_t id) {
  return fail(ErrorKind::InvalidArgument, "I/O source id " + std::to_string(id) + " is already registered",
              "give every source its own id");
}

}  // namespace

Status IoSources::add_bytes(std::uint32_t id, std::vector<std::byte> bytes) {
  if (contains(id)) return duplicate_id(id);
  auto s = std::make_shared<Source>();
  s->owned = std::move(bytes);
  s->bytes = s->owned;
  m_sources.emplace(id, std::move(s));
  return {};
}

Status IoSources::add_bytes_view(std::uint32_t id, std::span<const std::byte> bytes) {
  if (contains(id)) return duplicate_id(id);
  auto s = std::make_shared<Source>();
  s->bytes = bytes;
  m_sources.emplace(id, std::move(s));
  return {};
}

Result<IoSources> IoSources::confined(const std::filesystem::path& root) {
  auto fd = detail::open_root_dir(root);
  if (!fd) return cuda::std::unexpected(std::move(fd.error()));
  IoSources sources;
  auto dir = std::make_shared<RootDir>();
  dir->fd = std::move(*fd);
  sources.m_root = std::move(dir);
  sources.m_root_path = root;
  return sources;
}

Status IoSources::add_file(std::uint32_t id, const std::filesystem::path& path) {
  if (contains(id)) return duplicate_id(id);
  auto fd =
      detail::open_source_file(id, path, m_root ? m_root->fd.get() : -1, m_root_path.value_or(std::filesystem::path()));
  if (!fd) return cuda::std::unexpected(std::move(fd.error()));
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0)
    return fail(ErrorKind::InvalidArgument,
                "cannot stat I/O source " + std::to_string(id) + ": " + std::strerror(errno),
                "check the file's permissions");
  auto s = std::make_shared<Source>();
  s->fd = fd->release();
  s->file_size = static_cast<std::uint64_t>(st.st_size);
  m_sources.emplace(id, std::move(s));
  return {};
}

Result<std::uint64_t> IoSources::size(std::uint32_t id) const {
  auto it = m_sources.find(id);
  if (it == m_sources.end())
    return fail(ErrorKind::InvalidArgument, "I/O source " + std::to_string(id) + " is not registered",
                "register it with IoSources::add_bytes or add_file");
  return it->second->size();
}

Status IoSources::read(std::uint32_t id, std::uint64_t offset, std::span<std::byte> out) const {
  auto it = m_sources.find(id);
  if (it == m_sources.end())
    return fail(ErrorKind::InvalidArgument, "I/O source " + std::to_string(id) + " is not registered",
                "register it with IoSources::add_bytes or add_file");
  const Source& s = *it->second;
  const std::uint64_t size = s.size();
  if (offset > size || out.size() > size - offset)
    return fail(ErrorKind::InvalidArgument,
                "read of " + std::to_string(out.size()) + " bytes at offset " + std::to_string(offset) +
                    " runs past the end of I/O source " + std::to_string(id) + " (" + std::to_string(size) + " bytes)",
                "request bytes inside the source");
  if (s.fd < 0) {
    if (!out.empty()) std::memcpy(out.data(), s.bytes.data() + offset, out.size());
    return {};
  }
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(s.fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return fail(ErrorKind::Backend,
                  "reading I/O source " + std::to_string(id) +
                      " failed: " + (n == 0 ? std::string("file shrank") : std::strerror(errno)),
                  "keep registered files unchanged while a dispatch runs");
    done += static_cast<std::size_t>(n);
  }
  return {};
}

}  // namespace mk
