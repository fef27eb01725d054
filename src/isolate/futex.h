// Process-shared futex waits and wakes on 32-bit words in the shared arena.
#pragma once

#include <chrono>
#include <cstdint>

#include "isolate/channel.h"

namespace mk::isolate {

// Sleep while *word == expected, at most `timeout` (a wake, a change or a signal ends it
// early; callers re-check their condition either way).
void futex_wait(Atomic32& word, std::uint32_t expected, std::chrono::nanoseconds timeout) noexcept;
// Wake every sleeper on `word`.
void futex_wake(Atomic32& word) noexcept;

}  // namespace mk::isolate
