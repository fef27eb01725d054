// SHA-256 (FIPS 180-4) for JIT cache keys and cubin checksums; no external crypto dependency.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace mk::detail {

using Sha256Digest = std::array<std::uint8_t, 32>;

// Incremental hasher: update() any number of times, then finish() once.
class Sha256 {
 public:
  Sha256() noexcept;
  void update(std::span<const std::byte> bytes) noexcept;
  void update(std::string_view text) noexcept;
  Sha256Digest finish() noexcept;

 private:
  void block(const std::uint8_t* p) noexcept;

  std::array<std::uint32_t, 8> m_state;
  std::array<std::uint8_t, 64> m_buffer{};
  std::size_t m_buffered = 0;
  std::uint64_t m_total_bytes = 0;
};

Sha256Digest sha256(std::span<const std::byte> bytes) noexcept;
Sha256Digest sha256(std::string_view text) noexcept;
// Lower-case hex, 64 characters.
std::string to_hex(const Sha256Digest& digest);

}  // namespace mk::detail
