// Host side of the I/O queue: registered sources and request servicing.
//
// A request names only a registered source id, never a path: the host decides which
// bytes a kernel may pull in.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "mk/error.h"
#include "mk/protocol.h"

namespace mk {

class IoSources {
 public:
  // Bytes owned by the registry.
  Status add_bytes(std::uint32_t id, std::vector<std::byte> bytes);
  // Bytes the caller keeps alive for as long as the registry is used.
  Status add_bytes_view(std::uint32_t id, std::span<const std::byte> bytes);
  // A file opened now by the host (InvalidArgument when it cannot be opened).
  Status add_file(std::uint32_t id, const std::filesystem::path& path);

  bool contains(std::uint32_t id) const { return m_sources.count(id) != 0; }
  // Size in bytes of a source, or InvalidArgument for an unknown id.
  Result<std::uint64_t> size(std::uint32_t id) const;
  // Copy bytes [offset, offset + out.size()) of source `id` into out. Reads past the
  // end are InvalidArgument; nothing partial is reported as success.
  Status read(std::uint32_t id, std::uint64_t offset, std::span<std::byte> out) const;

 private:
  struct Source;
  std::map<std::uint32_t, std::shared_ptr<const Source>> m_sources;
};

// Entries whose STATUS is REQUESTED, oldest slot first.
Result<std::vector<IoRequest>> poll_io_requests(ConstByteSpan io_queue);

// Serve one request: read its bytes from `sources`, write them little-endian into
// observables [dest, dest + ceil(bytes/4)) (trailing partial word zero-padded) and mark
// it OK; an unknown source, a read past the source's end, a write op or a destination
// outside the observable region marks it ERROR. Errors about the buffers themselves
// (bad magic, index out of range) are returned, not written.
Status complete_io_request(ByteSpan control, ByteSpan io_queue, const IoRequest& request,
                           const IoSources& sources);

// Serve every REQUESTED entry; returns how many were completed (OK or ERROR).
Result<std::uint32_t> complete_io_requests(ByteSpan control, ByteSpan io_queue, const IoSources& sources);

}  // namespace mk
