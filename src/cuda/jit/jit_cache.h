// On-disk cache of JIT images keyed by SHA-256 of everything that determines the CUBIN.
// An entry is a fixed header (magic, key, length, SHA-256 of the image) plus the image;
// a corrupt, stale or truncated entry is deleted and reported as Rejected.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cuda/jit/embedded_headers.h"
#include "cuda/jit/sha256.h"
#include "mk/error.h"

namespace mk::detail {

// Everything the CUBIN depends on. Each part is length-prefixed in the hash, so no two
// different inputs can run together into the same byte stream.
struct JitKeyParts {
  std::string_view source;
  std::span<const EmbeddedHeader> headers;
  std::span<const std::string> options;  // compile options (arch included)
  std::string_view arch;                 // "sm_90"
  int nvrtc_major = 0;
  int nvrtc_minor = 0;
  std::uint32_t abi_version = 0;
};
Sha256Digest jit_cache_key(const JitKeyParts& parts);

// $MK_JIT_CACHE_DIR, else $XDG_CACHE_HOME/megakernel/jit, else $HOME/.cache/megakernel/jit;
// nullopt when none of these variables is set (the JIT then compiles every time).
std::optional<std::filesystem::path> jit_cache_dir();

inline constexpr std::size_t JIT_CACHE_HEADER_BYTES = 88;
inline constexpr char JIT_CACHE_MAGIC[8] = {'M', 'K', 'J', 'I', 'T', 'C', '0', '1'};

// The bytes of one entry, and their checked inverse (Malformed naming the defect).
std::vector<std::byte> encode_jit_cache_entry(const Sha256Digest& key, std::span<const std::byte> image);
Result<std::vector<std::byte>> decode_jit_cache_entry(const Sha256Digest& key, std::span<const std::byte> entry);

enum class CacheState { Miss, Hit, Rejected };

struct CacheRead {
  CacheState state = CacheState::Miss;
  std::vector<std::byte> image;  // Hit only
  std::string reason;            // Rejected (why it was deleted) or an unreadable entry
};

class JitCache {
 public:
  explicit JitCache(std::filesystem::path dir) : m_dir(std::move(dir)) {}

  const std::filesystem::path& dir() const noexcept { return m_dir; }
  std::filesystem::path entry_path(const Sha256Digest& key) const;

  // Hit, Miss, or Rejected (the bad entry was deleted so the caller rebuilds it).
  CacheRead load(const Sha256Digest& key) const;
  // Writes a temp file beside the entry and renames it over the entry, so a reader
  // never sees a partial file and concurrent writers of one key both leave a valid one.
  Status store(const Sha256Digest& key, std::span<const std::byte> image) const;

 private:
  std::filesystem::path m_dir;
};

}  // namespace mk::detail
