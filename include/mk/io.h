// Host side of the I/O queue: registered sources and request servicing.
//
// A request names only a registered source id, never a path: the host decides which
// bytes a kernel may pull in.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mk/error.h"
#include "mk/protocol.h"

namespace mk {

// A registry of I/O sources. Two policies for add_file:
// - default-constructed: unconfined, for trusted callers; any path the process can open.
// - IoSources::confined(root): a name resolves inside `root` only (see add_file).
// Both refuse NUL and control characters in names and anything but a regular file, and
// open each file once (the descriptor that was checked is the one read).
class IoSources {
 public:
  IoSources() = default;
  // A registry whose files resolve inside directory `root` (opened now; InvalidArgument
  // when it is not a directory).
  static Result<IoSources> confined(const std::filesystem::path& root);

  // The root of a confined registry; nullopt when unconfined.
  const std::optional<std::filesystem::path>& root() const noexcept { return m_root_path; }

  // Bytes owned by the registry.
  Status add_bytes(std::uint32_t id, std::vector<std::byte> bytes);
  // Bytes the caller keeps alive for as long as the registry is used.
  Status add_bytes_view(std::uint32_t id, std::span<const std::byte> bytes);
  // A regular file opened now by the host (InvalidArgument when it cannot be opened,
  // is not a regular file, or its name holds NUL or control characters). Confined: the
  // path must be relative without `..` components, and it is resolved beneath the root
  // with no symlink leading out of it (openat2 RESOLVE_BENEATH; where the kernel lacks
  // openat2, no symlink at all). A FIFO or device is refused without blocking.
  Status add_file(std::uint32_t id, const std::filesystem::path& path);

  bool contains(std::uint32_t id) const { return m_sources.count(id) != 0; }
  // Size in bytes of a source, or InvalidArgument for an unknown id.
  Result<std::uint64_t> size(std::uint32_t id) const;
  // Copy bytes [offset, offset + out.size()) of source `id` into out. Reads past the
  // end are InvalidArgument; nothing partial is reported as success.
  Status read(std::uint32_t id, std::uint64_t offset, std::span<std::byte> out) const;

 private:
  struct Source;
  struct RootDir;
  std::map<std::uint32_t, std::shared_ptr<const Source>> m_sources;
  std::shared_ptr<const RootDir> m_root;  // null: unconfined
  std::optional<std::filesystem::path> m_root_path;
};

// Entries whose STATUS is REQUESTED, oldest slot first.
Result<std::vector<IoRequest>> poll_io_requests(ConstByteSpan io_queue);

// Serve one request: read its bytes from `sources`, write them little-endian into
// observables [dest, dest + ceil(bytes/4)) (trailing partial word zero-padded) and mark
// it OK; an unknown source, a read past the source's end, a write op or a destination
// outside the observable region marks it ERROR. Errors about the buffers themselves
// (bad magic, index out of range) are returned, not written.
Status complete_io_request(ByteSpan control, ByteSpan io_queue, const IoRequest& request, const IoSources& sources);

// Why complete_io_request marks `request` ERROR without reading anything: a non-READ op,
// an unregistered source, a read past the source's end (naming its size), or a
// destination outside the observable region. "" when the request can be served (the
// read itself may still fail, e.g. a file that shrank). The words name the request's
// fields, so a caller can tell a user why an item faulted IO_ERROR.
std::string io_request_problem(const IoRequest& request, const IoSources& sources, std::uint32_t observable_count);

// Serve every REQUESTED entry; returns how many were completed (OK or ERROR).
Result<std::uint32_t> complete_io_requests(ByteSpan control, ByteSpan io_queue, const IoSources& sources);

}  // namespace mk
