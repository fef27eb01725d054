// The shared arena: one memfd the supervisor owns and every worker maps. The channel sits
// at offset 0; segments (staging buffers, live rings) are page-aligned ranges after it,
// backed by fallocate up front so running out of memory is an error here, never a
// SIGBUS later.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>

#include "mk/error.h"

namespace mk::isolate {

struct Segment {
  std::uint64_t offset = 0;  // in the arena (what commands name)
  std::size_t bytes = 0;
  std::byte* data = nullptr;  // this process's mapping
  explicit operator bool() const noexcept { return data != nullptr; }
};

class SharedArena {
 public:
  // max_bytes: most bytes of segments at once (0: no cap beyond what the system grants).
  static Result<std::unique_ptr<SharedArena>> create(std::uint64_t max_bytes);
  ~SharedArena();
  SharedArena(const SharedArena&) = delete;
  SharedArena& operator=(const SharedArena&) = delete;

  int fd() const noexcept { return m_fd; }
  void* channel() const noexcept { return m_channel; }

  // A zeroed, mapped segment of at least `bytes` (rounded up to pages). `what` names it
  // in the error: Backend "shared memory exhausted" when the cap or the system says no.
  Result<Segment> allocate(std::size_t bytes, std::string_view what);
  // Unmap and give the pages back; the range may be handed out again.
  void release(Segment& segment) noexcept;
  std::uint64_t used_bytes() const;

 private:
  SharedArena() = default;
  int m_fd = -1;
  void* m_channel = nullptr;
  std::uint64_t m_max = 0;
  mutable std::mutex m_mutex;
  std::uint64_t m_end = 0;                        // file size
  std::uint64_t m_used = 0;                       // bytes in live segments
  std::map<std::uint64_t, std::uint64_t> m_free;  // offset -> bytes of released ranges
};

}  // namespace mk::isolate
