// Plain-CPU baselines of mk_bench_live: thread ping-pong and a one-thread atomic-add loop.
#include "cpu_baselines.h"

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

namespace mk::bench::live {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::uint32_t STOP = 0xFFFFFFFFu;

double ns_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::nano>(b - a).count();
}

struct alignas(64) PaddedWord {
  std::atomic<std::uint32_t> value{0};
};

}  // namespace

std::vector<double> cpu_pingpong_round_trip(std::uint32_t warmup, std::uint32_t samples, std::uint64_t timeout_ns) {
  PaddedWord to_worker, from_worker;
  // @warning handshake: the worker leaves only on STOP, which the caller always sends.
  std::thread worker([&] {
    std::uint32_t last = 0;
    for (;;) {
      const std::uint32_t v = to_worker.value.load(std::memory_order_acquire);
      if (v == last) continue;
      last = v;
      from_worker.value.store(v, std::memory_order_release);
      if (v == STOP) return;
    }
  });
  std::vector<double> ns;
  ns.reserve(samples);
  std::string failure;
  for (std::uint32_t i = 0; i < warmup + samples; ++i) {
    const std::uint32_t seq = i + 1;
    const auto t0 = Clock::now();
    to_worker.value.store(seq, std::memory_order_release);
    std::uint32_t spins = 0;
    while (from_worker.value.load(std::memory_order_acquire) != seq) {
      if ((++spins & 1023u) == 0 && Clock::now() - t0 > std::chrono::nanoseconds(timeout_ns)) {
        failure = "the CPU ping-pong worker did not echo sequence " + std::to_string(seq) + " in time";
        break;
      }
    }
    if (!failure.empty()) break;
    const auto t1 = Clock::now();
    if (i >= warmup) ns.push_back(ns_between(t0, t1));
  }
  to_worker.value.store(STOP, std::memory_order_release);
  worker.join();
  if (!failure.empty()) throw std::runtime_error(failure);
  return ns;
}

std::vector<double> cpu_loop_throughput(std::uint64_t items, std::uint32_t warmup_reps, std::uint32_t reps,
                                        std::uint32_t observable_words) {
  std::vector<std::uint32_t> obs(observable_words, 0);
  const std::uint64_t mask = observable_words - 1;
  auto run = [&] {
    for (std::uint64_t i = 0; i < items; ++i)
      std::atomic_ref<std::uint32_t>(obs[i & mask]).fetch_add(1, std::memory_order_relaxed);
  };
  auto sum = [&] {
    std::uint64_t s = 0;
    for (std::uint32_t v : obs) s += v;
    return s;
  };
  // Correctness first: one pass adds exactly `items`.
  run();
  if (sum() != items)
    throw std::runtime_error("the plain CPU loop added " + std::to_string(sum()) + " instead of " +
                             std::to_string(items));
  std::vector<double> ns;
  for (std::uint32_t rep = 0; rep < warmup_reps + reps; ++rep) {
    const auto t0 = Clock::now();
    run();
    const auto t1 = Clock::now();
    if (rep >= warmup_reps) ns.push_back(ns_between(t0, t1));
  }
  if (sum() != items * (1 + warmup_reps + reps)) throw std::runtime_error("the plain CPU loop lost adds across reps");
  return ns;
}

}  // namespace mk::bench::live
