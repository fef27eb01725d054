// LiveSession measurements of mk_bench_live: single-item round trip, streaming throughput
// from N producer threads, and round trip of one tenant while another floods the ring.
// Every measurement checks its results (ticket results, observables, counters) and
// throws std::runtime_error on any mk::Error, timeout or wrong result.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "mk/live.h"
#include "mk/megakernel.h"

namespace mk::bench::live {

// The observable words items add into: item k of a batch adds 1 to word k % this.
inline constexpr std::uint32_t OBSERVABLE_WORDS = 1024;

struct RoundTripSpec {
  std::uint32_t warmup = 200;
  std::uint32_t samples = 2000;
  std::chrono::nanoseconds timeout = std::chrono::seconds(1);  // per item
};

struct RoundTripRun {
  std::vector<double> wait_ns;    // submit, then LiveSession::wait
  std::vector<double> poll_ns;    // submit, then spin on poll() until the ticket is ready
  std::vector<double> submit_ns;  // the part of each wait_ns sample spent inside submit
};

// One ATOMIC_ADD item (tenant 0, word 0) per sample; each result must be the word's
// previous value, i.e. the number of items before it.
RoundTripRun live_round_trip(LiveSession& session, const RoundTripSpec& spec);

struct ThroughputSpec {
  std::uint32_t producers = 1;
  std::uint32_t opcode = 0;         // abi::OP_ATOMIC_ADD or abi::OP_NOP
  std::uint32_t batch = 256;        // items per submit_wait
  std::uint32_t window = 8;         // outstanding tickets per producer
  std::uint64_t items_per_rep = 0;  // rounded up to whole batches per producer
  std::uint32_t warmup_reps = 1;
  std::uint32_t reps = 5;
  std::chrono::nanoseconds timeout = std::chrono::seconds(5);  // per submit_wait, wait, drain
  // Keeps the bench bounded on a slow session: when the warm-up rep took longer, the
  // timed reps run proportionally fewer items (ThroughputRun::reduced says so).
  std::chrono::nanoseconds max_rep = std::chrono::seconds(8);
};

struct ThroughputRun {
  std::uint64_t items_per_rep = 0;  // as run in the timed reps
  bool reduced = false;             // fewer than spec.items_per_rep: see max_rep
  std::vector<double> rep_ns;       // first submit to drain() returned, per timed rep
  std::uint64_t rejected_full = 0;  // QueueFull answers seen by submit_wait over the run
  // Per timed rep, summed over producers and divided by the rep's items: time spent
  // inside submit_wait and inside wait. submit >> wait means the host is the limit.
  std::vector<double> submit_ns_per_item;
  std::vector<double> wait_ns_per_item;
};

// Each producer thread submits batches with submit_wait, keeps `window` tickets
// outstanding and waits on the oldest. Every rep (the warm-up first) is checked: no
// faults, observables grew by the ATOMIC_ADD items, DONE_COUNT by every item. With
// `compact` (the session's megakernel), each producer submits one compact batch of the
// same items, built once with a BatchBuilder: timed from records in host memory to RESULT
// words in host memory (copied into each ticket).
ThroughputRun live_throughput(LiveSession& session, const ThroughputSpec& spec, const Megakernel* compact = nullptr);

struct FairnessSpec {
  std::uint32_t flood_threads = 2;
  std::uint32_t batch = 256;  // tenant 0's batches
  std::uint32_t window = 8;
  std::uint32_t warmup = 100;
  std::uint32_t samples = 1000;
  std::chrono::nanoseconds timeout = std::chrono::seconds(5);
};

struct FairnessRun {
  std::vector<double> alone_ns;             // tenant 1's round trip, ring otherwise idle
  std::vector<double> flooded_ns;           // the same while tenant 0 floods
  double flood_window_ns = 0;               // how long tenant 1 was measured under flood
  std::uint64_t flood_items_in_window = 0;  // tenant 0 items retired meanwhile
  double flood_alone_ns = 0;                // a window of the flood before tenant 1 starts
  std::uint64_t flood_alone_items = 0;      // tenant 0 items retired in it
  std::uint64_t flood_items_total = 0;
  std::uint64_t rejected_full = 0;
};

// Needs a session with tenant_count >= 2 (and a per-tenant quota, for fairness). Tenant
// 0 floods from flood_threads threads (words 0..999); tenant 1 submits one ATOMIC_ADD
// to word 1023 at a time. Checked: per-item results, observables, tenant counters.
FairnessRun live_fairness(LiveSession& session, const FairnessSpec& spec);

}  // namespace mk::bench::live
