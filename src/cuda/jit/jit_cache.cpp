// The JIT cache: key derivation, entry format, and atomic file writes.
#include "cuda/jit/jit_cache.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <system_error>

#include "mk/abi.h"

namespace mk::detail {
namespace {

namespace fs = std::filesystem;

constexpr std::uint32_t FORMAT_VERSION = 1;
constexpr std::size_t OFF_VERSION = 8, OFF_ABI = 12, OFF_KEY = 16, OFF_LENGTH = 48, OFF_SUM = 56;
static_assert(OFF_SUM + 32 == JIT_CACHE_HEADER_BYTES, "entry header layout");

void put_le(std::vector<std::byte>& out, std::size_t at, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out[at + static_cast<std::size_t>(i)] = static_cast<std::byte>(v >> (8 * i));
}
std::uint64_t get_le(std::span<const std::byte> in, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= std::uint64_t{std::to_integer<std::uint8_t>(in[at + static_cast<std::size_t>(i)])} << (8 * i);
  return v;
}

void add_part(Sha256& h, std::string_view part) {
  std::byte length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<std::byte>(static_cast<std::uint64_t>(part.size()) >> (8 * i));
  h.update(std::span<const std::byte>(length, 8));
  h.update(part);
}

Error malformed(std::string what) {
  return Error(ErrorKind::Malformed, "JIT cache entry " + std::move(what), "the entry is deleted and rebuilt");
}

}  // namespace

Sha256Digest jit_cache_key(const JitKeyParts& parts) {
  Sha256 h;
  add_part(h, "megakernel-jit-key-v1");
  add_part(h, parts.source);
  add_part(h, std::to_string(parts.headers.size()));
  for (const EmbeddedHeader& header : parts.headers) {
    add_part(h, header.name);
    add_part(h, header.text);
  }
  add_part(h, std::to_string(parts.options.size()));
  for (const std::string& o : parts.options) add_part(h, o);
  add_part(h, parts.arch);
  add_part(h, std::to_string(parts.nvrtc_major) + "." + std::to_string(parts.nvrtc_minor));
  add_part(h, std::to_string(parts.abi_version));
  return h.finish();
}

std::optional<fs::path> jit_cache_dir() {
  auto env = [](const char* name) -> const char* {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? v : nullptr;
  };
  if (const char* dir = env("MK_JIT_CACHE_DIR")) return fs::path(dir);
  if (const char* xdg = env("XDG_CACHE_HOME")) return fs::path(xdg) / "megakernel" / "jit";
  if (const char* home = env("HOME")) return fs::path(home) / ".cache" / "megakernel" / "jit";
  return std::nullopt;
}

std::vector<std::byte> encode_jit_cache_entry(const Sha256Digest& key, std::span<const std::byte> image) {
  std::vector<std::byte> out(JIT_CACHE_HEADER_BYTES + image.size());
  std::memcpy(out.data(), JIT_CACHE_MAGIC, sizeof JIT_CACHE_MAGIC);
  put_le(out, OFF_VERSION, FORMAT_VERSION, 4);
  put_le(out, OFF_ABI, abi::ABI_VERSION, 4);
  std::memcpy(out.data() + OFF_KEY, key.data(), key.size());
  put_le(out, OFF_LENGTH, image.size(), 8);
  const Sha256Digest sum = sha256(image);
  std::memcpy(out.data() + OFF_SUM, sum.data(), sum.size());
  if (!image.empty()) std::memcpy(out.data() + JIT_CACHE_HEADER_BYTES, image.data(), image.size());
  return out;
}

Result<std::vector<std::byte>> decode_jit_cache_entry(const Sha256Digest& key, std::span<const std::byte> entry) {
  if (entry.size() < JIT_CACHE_HEADER_BYTES)
    return cuda::std::unexpected(malformed("is truncated: " + std::to_string(entry.size()) +
                                           " bytes, the header alone is " + std::to_string(JIT_CACHE_HEADER_BYTES)));
  if (std::memcmp(entry.data(), JIT_CACHE_MAGIC, sizeof JIT_CACHE_MAGIC) != 0)
    return cuda::std::unexpected(malformed("has a bad magic (not a megakernel JIT cache file)"));
  if (get_le(entry, OFF_VERSION, 4) != FORMAT_VERSION || get_le(entry, OFF_ABI, 4) != abi::ABI_VERSION)
    return cuda::std::unexpected(malformed("is stale: written by another cache format or ABI version"));
  if (std::memcmp(entry.data() + OFF_KEY, key.data(), key.size()) != 0)
    return cuda::std::unexpected(malformed("has the wrong key (stale or renamed file)"));
  const std::uint64_t length = get_le(entry, OFF_LENGTH, 8);
  if (length != entry.size() - JIT_CACHE_HEADER_BYTES)
    return cuda::std::unexpected(
        malformed("length mismatch: header says " + std::to_string(length) + " image bytes, file has " +
                  std::to_string(entry.size() - JIT_CACHE_HEADER_BYTES) + " (truncated or appended)"));
  const auto image = entry.subspan(JIT_CACHE_HEADER_BYTES);
  const Sha256Digest sum = sha256(image);
  if (std::memcmp(entry.data() + OFF_SUM, sum.data(), sum.size()) != 0)
    return cuda::std::unexpected(malformed("checksum mismatch: the image is corrupt"));
  return std::vector<std::byte>(image.begin(), image.end());
}

fs::path JitCache::entry_path(const Sha256Digest& key) const { return m_dir / (to_hex(key) + ".cubin"); }

CacheRead JitCache::load(const Sha256Digest& key) const {
  CacheRead out;
  const fs::path path = entry_path(key);
  std::error_code ec;
  if (!fs::exists(path, ec)) return out;  // Miss
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  const std::streamoff size = in ? static_cast<std::streamoff>(in.tellg()) : -1;
  std::vector<std::byte> raw(size > 0 ? static_cast<std::size_t>(size) : 0);
  if (size < 0 || !in.seekg(0) || !in.read(reinterpret_cast<char*>(raw.data()), size)) {
    out.reason = "cannot read " + path.string();
    return out;  // unreadable: compile, and let store() replace it
  }
  in.close();
  auto image = decode_jit_cache_entry(key, raw);
  if (!image) {
    out.state = CacheState::Rejected;
    out.reason = image.error().message();
    fs::remove(path, ec);
    return out;
  }
  out.state = CacheState::Hit;
  out.image = std::move(*image);
  return out;
}

Status JitCache::store(const Sha256Digest& key, std::span<const std::byte> image) const {
  static std::atomic<std::uint64_t> counter{0};
  std::error_code ec;
  fs::create_directories(m_dir, ec);
  if (ec)
    return fail(ErrorKind::Backend, "cannot create the JIT cache directory " + m_dir.string() + ": " + ec.message(),
                "set MK_JIT_CACHE_DIR to a writable directory");
  const fs::path final_path = entry_path(key);
  const fs::path temp = m_dir / (to_hex(key) + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++));
  const std::vector<std::byte> entry = encode_jit_cache_entry(key, image);
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(entry.data()), static_cast<std::streamsize>(entry.size()));
    out.close();
    if (!out) {
      fs::remove(temp, ec);
      return fail(ErrorKind::Backend, "cannot write the JIT cache entry " + temp.string(),
                  "free disk space or set MK_JIT_CACHE_DIR to a writable directory");
    }
  }
  fs::rename(temp, final_path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    return fail(ErrorKind::Backend,
                "cannot rename " + temp.string() + " to " + final_path.string() + ": " + ec.message(),
                "set MK_JIT_CACHE_DIR to a writable directory on a local file system");
  }
  return {};
}

}  // namespace mk::detail
