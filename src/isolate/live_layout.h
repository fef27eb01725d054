// Layout of one isolated live session's shared segment (ring, completion records, page,
// relay, first laps, control words), computed the same way by supervisor and worker.
#pragma once

#include <cstddef>
#include <cstdint>

#include "isolate/channel.h"
#include "mk/abi.h"
#include "mk/backend.h"

namespace mk::isolate {

// What the worker's relay thread copies out of its live engine, for the supervisor's
// proxy engine and watchdog (the engine's own counters live in worker memory).
inline constexpr std::uint32_t RELAY_RUNNING = 0;
inline constexpr std::uint32_t RELAY_EXITED = 1;  // the lanes left (a SHUTDOWN item)
inline constexpr std::uint32_t RELAY_FAILED = 2;  // health() failed: error_bytes of payload below
inline constexpr std::size_t RELAY_ERROR_BYTES = 2048;

struct LiveRelay {
  alignas(64) Atomic32 heartbeat;
  Atomic32 done_count;
  Atomic32 state;
  Atomic32 error_bytes;
  Atomic64 rejects;
  alignas(64) std::byte error[RELAY_ERROR_BYTES];  // an encoded mk::Error (codec.h)
};

struct LiveLayout {
  std::size_t ring = 0;         // slot_count * 64 bytes of wire slots
  std::size_t completions = 0;  // slot_count * WIRE_COMPLETION_STRIDE u64 records
  std::size_t page = 0;         // LIVE_SHARED_PAGE_WORDS words
  std::size_t relay = 0;        // LiveRelay
  std::size_t laps = 0;         // slot_count u32 first laps (restarts)
  std::size_t control = 0;      // control words (start and read_control)
  std::size_t bytes = 0;        // the whole segment
};

inline constexpr std::size_t live_align(std::size_t n, std::size_t a) { return (n + a - 1) / a * a; }

// Byte offsets inside the segment (every part 4 KiB aligned). The caller bounds
// slot_count and control_words (abi::MAX_RING_SLOTS, control size) first.
inline LiveLayout live_layout(std::uint32_t slot_count, std::uint32_t control_words) {
  constexpr std::size_t PAGE = 4096;
  LiveLayout l;
  std::size_t at = 0;
  l.ring = at;
  at = live_align(at + std::size_t{slot_count} * abi::SLOT_WORDS * 4, PAGE);
  l.completions = at;
  at = live_align(at + std::size_t{slot_count} * abi::WIRE_COMPLETION_STRIDE * 8, PAGE);
  l.page = at;
  at = live_align(at + std::size_t{LIVE_SHARED_PAGE_WORDS} * 4, PAGE);
  l.relay = at;
  at = live_align(at + sizeof(LiveRelay), PAGE);
  l.laps = at;
  at = live_align(at + std::size_t{slot_count} * 4, PAGE);
  l.control = at;
  at = live_align(at + std::size_t{control_words} * 4, PAGE);
  l.bytes = at;
  return l;
}

}  // namespace mk::isolate
