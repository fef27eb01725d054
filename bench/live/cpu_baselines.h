// Plain-CPU baselines of mk_bench_live: a thread-to-thread ping-pong (the CPU backend's
// round-trip floor) and a one-thread loop of the same atomic adds (its throughput floor).
#pragma once

#include <cstdint>
#include <vector>

namespace mk::bench::live {

// One worker thread spins on an atomic word and echoes each new sequence number into a
// second word; the calling thread times write -> echo seen. Throws std::runtime_error
// when an echo takes longer than timeout_ns.
std::vector<double> cpu_pingpong_round_trip(std::uint32_t warmup, std::uint32_t samples, std::uint64_t timeout_ns);

// Wall ns of each timed rep of `items` relaxed atomic adds of 1 into word i % observable_words
// (a power of two), one thread; checked against the item count first.
std::vector<double> cpu_loop_throughput(std::uint64_t items, std::uint32_t warmup_reps, std::uint32_t reps,
                                        std::uint32_t observable_words);

}  // namespace mk::bench::live
