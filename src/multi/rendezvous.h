// Rendezvous (highest random weight) hashing of tenants over DeviceSet members.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace mk::detail {

// splitmix64's finaliser: a bijection whose every output bit depends on every input bit,
// so scores of neighbouring tenants (0, 1, 2, ...) are unrelated.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

// A member's identity for routing: (backend, ordinal), not its index, so a member that
// leaves and is added again wins back exactly the tenants it had.
constexpr std::uint64_t member_key(std::string_view backend, std::uint32_t ordinal) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a over the name, then mixed with the ordinal
  for (char c : backend) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  return mix64(h ^ mix64(ordinal + 0x9e3779b97f4a7c15ull));
}

// The weight of `tenant` on a member; the highest weight wins. Each member's weight is
// independent of the others', so removing one changes only the tenants it had won, and
// adding one takes only the tenants whose new weight beats their old winner (~1/(N+1)).
constexpr std::uint64_t rendezvous_weight(std::uint64_t key, std::uint32_t tenant) noexcept {
  return mix64(key ^ mix64(std::uint64_t{tenant} + 0x632be59bd9b4e019ull));
}

// Position in `keys` of the winner of `tenant`; ties (practically never) go to the
// lower position. `keys` must not be empty.
constexpr std::size_t rendezvous_pick(std::span<const std::uint64_t> keys, std::uint32_t tenant) noexcept {
  std::size_t best = 0;
  std::uint64_t best_weight = rendezvous_weight(keys[0], tenant);
  for (std::size_t i = 1; i < keys.size(); ++i) {
    const std::uint64_t w = rendezvous_weight(keys[i], tenant);
    if (w > best_weight) best = i, best_weight = w;
  }
  return best;
}

}  // namespace mk::detail
