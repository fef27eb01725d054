// SharedArena: a memfd grown with ftruncate, segments reserved with fallocate (so memory
// exhaustion is an error at allocation), released with FALLOC_FL_PUNCH_HOLE.
#include "isolate/arena.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iterator>
#include <string>

#include "isolate/channel.h"

namespace mk::isolate {
namespace {

constexpr std::uint64_t PAGE = 4096;

Error exhausted(std::string_view what, std::size_t bytes, const std::string& why) {
  return Error(ErrorKind::Backend,
               "shared memory exhausted: " + std::string(what) + " needs " + std::to_string(bytes) +
                   " bytes of the isolation arena, and " + why,
               "free live sessions or buffers you no longer need, use a smaller ring or batch, or raise "
               "IsolationOptions::max_shared_bytes (and the memory the system grants this process)");
}

}  // namespace

Result<std::unique_ptr<SharedArena>> SharedArena::create(std::uint64_t max_bytes) {
  std::unique_ptr<SharedArena> arena(new SharedArena());
  arena->m_max = max_bytes;
  arena->m_fd = memfd_create("mk-isolate-arena", MFD_CLOEXEC);
  if (arena->m_fd < 0)
    return fail(ErrorKind::Backend, std::string("memfd_create failed: ") + std::strerror(errno),
                "isolated backends need Linux memfd (kernel 3.17+) and a free file descriptor");
  if (ftruncate(arena->m_fd, CHANNEL_BYTES) != 0 || fallocate(arena->m_fd, 0, 0, CHANNEL_BYTES) != 0)
    return cuda::std::unexpected(exhausted("the command channel", CHANNEL_BYTES, std::strerror(errno)));
  void* p = mmap(nullptr, CHANNEL_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, arena->m_fd, 0);
  if (p == MAP_FAILED)
    return fail(ErrorKind::Backend, std::string("mapping the command channel failed: ") + std::strerror(errno),
                "free address space or memory");
  arena->m_channel = p;
  arena->m_end = CHANNEL_BYTES;
  return arena;
}

SharedArena::~SharedArena() {
  if (m_channel != nullptr) munmap(m_channel, CHANNEL_BYTES);
  if (m_fd >= 0) close(m_fd);
}

Result<Segment> SharedArena::allocate(std::size_t bytes, std::string_view what) {
  const std::uint64_t size = (std::uint64_t{bytes} + PAGE - 1) / PAGE * PAGE;
  if (size == 0 || size < bytes) return fail(ErrorKind::InvalidArgument, "empty or oversized segment", "internal");
  std::lock_guard<std::mutex> lock(m_mutex);
  if (m_max != 0 && m_used + size > m_max)
    return cuda::std::unexpected(exhausted(what, bytes,
                                           "IsolationOptions::max_shared_bytes = " + std::to_string(m_max) +
                                               " allows " + std::to_string(m_max - m_used) + " more"));
  // First fit among released ranges, else the end of the file.
  std::uint64_t offset = m_end;
  for (auto it = m_free.begin(); it != m_free.end(); ++it) {
    if (it->second < size) continue;
    offset = it->first;
    const std::uint64_t rest = it->second - size;
    m_free.erase(it);
    if (rest != 0) m_free.emplace(offset + size, rest);
    break;
  }
  const bool grows = offset == m_end;
  auto undo = [&] {
    if (!grows) m_free.emplace(offset, size);  // (neighbours stay split; first fit copes)
  };
  if (grows && ftruncate(m_fd, static_cast<off_t>(offset + size)) != 0) {
    const int e = errno;
    undo();
    return cuda::std::unexpected(exhausted(what, bytes, std::string("ftruncate failed: ") + std::strerror(e)));
  }
  // Reserve the pages now: without this a tmpfs page missing later is a SIGBUS.
  if (fallocate(m_fd, 0, static_cast<off_t>(offset), static_cast<off_t>(size)) != 0) {
    const int e = errno;
    if (grows) (void)ftruncate(m_fd, static_cast<off_t>(m_end));
    undo();
    return cuda::std::unexpected(exhausted(what, bytes, std::string("fallocate failed: ") + std::strerror(e)));
  }
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, m_fd, static_cast<off_t>(offset));
  if (p == MAP_FAILED) {
    const int e = errno;
    (void)fallocate(m_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                    static_cast<off_t>(size));
    if (grows) (void)ftruncate(m_fd, static_cast<off_t>(m_end));
    undo();
    return cuda::std::unexpected(exhausted(what, bytes, std::string("mmap failed: ") + std::strerror(e)));
  }
  if (grows) m_end = offset + size;
  m_used += size;
  // Fresh and hole-punched pages read as zero already.
  return Segment{offset, static_cast<std::size_t>(size), static_cast<std::byte*>(p)};
}

void SharedArena::release(Segment& segment) noexcept {
  if (!segment) return;
  munmap(segment.data, segment.bytes);
  (void)fallocate(m_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(segment.offset),
                  static_cast<off_t>(segment.bytes));
  std::lock_guard<std::mutex> lock(m_mutex);
  m_used -= segment.bytes;
  // Coalesce with the neighbouring free ranges, so a ring that is freed and grown again
  // finds its room.
  auto it = m_free.emplace(segment.offset, segment.bytes).first;
  if (auto next = std::next(it); next != m_free.end() && it->first + it->second == next->first) {
    it->second += next->second;
    m_free.erase(next);
  }
  if (it != m_free.begin()) {
    auto prev = std::prev(it);
    if (prev->first + prev->second == it->first) {
      prev->second += it->second;
      m_free.erase(it);
    }
  }
  segment = Segment{};
}

std::uint64_t SharedArena::used_bytes() const {
  std::lock_guard<std::mutex> lock(m_mutex);
  return m_used;
}

}  // namespace mk::isolate
