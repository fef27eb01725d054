// Wall-clock helper for DispatchStats: nanoseconds since a steady_clock start point.
#pragma once

#include <chrono>
#include <cstdint>

namespace mk::detail {

inline std::uint64_t elapsed_ns(std::chrono::steady_clock::time_point start) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count());
}

}  // namespace mk::detail
