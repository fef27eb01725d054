// Process-shared futex waits and wakes (no FUTEX_PRIVATE_FLAG: the word is in a MAP_SHARED
// memfd mapping that another process maps too).
#include "isolate/futex.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <climits>

namespace mk::isolate {

void futex_wait(Atomic32& word, std::uint32_t expected, std::chrono::nanoseconds timeout) noexcept {
  if (timeout <= std::chrono::nanoseconds(0)) return;
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(timeout.count() / 1'000'000'000);
  ts.tv_nsec = static_cast<long>(timeout.count() % 1'000'000'000);
  (void)syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT, expected, &ts, nullptr, 0);
}

void futex_wake(Atomic32& word) noexcept {
  (void)syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

}  // namespace mk::isolate
