// A bound on calls that could hang (a wait on the device, a destructor that might block):
// a test fails loudly instead of leaving a suite that never ends.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <thread>

namespace mk::live_test {

// Run `fn` on its own thread and require it to return within `limit`. A call that
// hangs aborts the binary with a message: the alternative is a suite that never ends.
template <class F>
void expect_returns_within(const char* what, std::chrono::seconds limit, F&& fn) {
  std::promise<void> done;
  std::future<void> finished = done.get_future();
  std::thread runner([&] {
    fn();
    done.set_value();
  });
  if (finished.wait_for(limit) != std::future_status::ready) {
    std::fprintf(stderr, "FATAL: %s did not return within %lld s\n", what, static_cast<long long>(limit.count()));
    std::fflush(stderr);
    std::abort();
  }
  runner.join();
}

}  // namespace mk::live_test
