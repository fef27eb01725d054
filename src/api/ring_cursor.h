// A live ring position as its slot and lap, stepped without a 64-bit division per item:
// the one place the session's submit, collect and harvest loops walk the ring.
#pragma once

#include <cstdint>

namespace mk::detail {

struct RingCursor {
  std::uint32_t slot = 0;
  std::uint32_t lap = 0;
  std::uint32_t slot_count = 1;

  static RingCursor at(std::uint64_t position, std::uint32_t slot_count) noexcept {
    return {static_cast<std::uint32_t>(position % slot_count), static_cast<std::uint32_t>(position / slot_count),
            slot_count};
  }
  void advance() noexcept {
    if (++slot == slot_count) {
      slot = 0;
      ++lap;
    }
  }
  // `run` <= slot_count positions on: one wrap at most.
  void advance(std::uint32_t run) noexcept {
    slot += run;
    if (slot >= slot_count) {
      slot -= slot_count;
      ++lap;
    }
  }
};

}  // namespace mk::detail
