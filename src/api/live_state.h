// The host side of a LiveSession: ring positions, tickets, harvesting, the watchdog.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "mk/backend.h"
#include "mk/live.h"

namespace mk::detail {

struct TicketState {
  std::uint64_t owner = 0;  // id of the session that issued it
  std::uint64_t first = 0;  // ring position of item 0
  std::uint32_t count = 0;
  std::atomic<std::uint32_t> remaining{0};
  std::atomic<std::uint32_t> faults{0};
  std::atomic<std::uint32_t> lost{0};  // results FAULT_DEVICE_LOST (isolated backends' worker faults)
  // Items 0..collected-1 have their results copied (a prefix: collection stops at the
  // first unfinished item). Only the holder of `collecting` (a try-lock) collects, so
  // the harvester and the ticket's own waiter never write a result twice.
  std::atomic<std::uint32_t> collected{0};
  std::atomic<bool> collecting{false};
  std::vector<ItemResult> results;
  // The session's reference while its slots are in the ring; dropped by the harvester
  // when it reclaims the last one, so a ticket nobody holds frees itself.
  std::shared_ptr<TicketState> in_flight;
};

// Ring positions are 64-bit and only grow: position p lives in slot p % slot_count, lap
// p / slot_count. [head, tail) are in flight; a producer reserves [tail, tail + n) with
// one CAS when tail + n - head <= slot_count, so a batch is whole or absent, and
// publishes each item in the wire format of its lap. A lane answers with the slot's
// completion record. Results are collected per ticket (collect: by its waiter, or by the
// harvester); the harvester (one thread at a time, whoever calls poll/wait/drain) walks
// from head while slots are finished and collected, and advances head: the slots are
// free again.
struct LiveState {
  std::uint64_t id = 0;  // unique per process, so a stale ticket never matches a new session
  LiveOptions options;
  std::shared_ptr<Backend> backend;  // keeps the backend alive as long as its engine
  std::shared_ptr<const Pipeline> pipeline;
  std::unique_ptr<LiveEngine> engine;
  WordSpan ring;                         // wire words
  std::span<std::uint64_t> completions;  // one record per slot
  std::uint32_t slot_count = 0;
  std::uint32_t control_words = 0;
  std::uint32_t initial_done = 0;  // DONE_COUNT of the initial control words
  std::uint32_t quota = 0;         // per tenant; == slot_count means none
  std::unique_ptr<std::atomic<TicketState*>[]> slot_ticket;
  // Tenant of each slot's item for the quota (NO_TENANT when outside 0..63); written by
  // its producer before it publishes, read by the collector after the completion.
  std::unique_ptr<std::uint8_t[]> slot_tenant;
  static constexpr std::uint8_t NO_TENANT = 0xFF;

  alignas(64) std::atomic<std::uint64_t> tail{0};
  alignas(64) std::atomic<std::uint64_t> head{0};
  // Positions below this are published (only kept for engines that want a doorbell).
  alignas(64) std::atomic<std::uint64_t> published{0};
  bool doorbell = false;
  alignas(64) std::mutex harvest_mutex;
  std::array<std::atomic<std::uint32_t>, abi::MAX_TENANTS> tenant_in_flight{};
  std::atomic<std::uint64_t> rejected_full{0};

  // Shutdown: submitters in progress are counted so shutdown can wait them out.
  std::atomic<bool> closed{false};
  std::atomic<std::uint32_t> active_submits{0};
  bool stopped = false;  // engine stopped (guarded by lifecycle_mutex)
  std::mutex lifecycle_mutex;

  // The watchdog's verdict; set once.
  std::atomic<bool> failed{false};
  mutable std::mutex failure_mutex;
  std::optional<Error> failure;
  std::atomic<std::uint32_t> seen_heartbeat{0};
  std::atomic<std::uint32_t> seen_done{0};
  std::thread watchdog;
  std::mutex watchdog_mutex;
  std::condition_variable watchdog_wake;
  bool watchdog_stop = false;

  ~LiveState();
  // Collect and reclaim finished slots in ring order; returns the slots reclaimed (0 when
  // another thread is harvesting).
  std::uint64_t harvest();
  // Copy the results of `ticket`'s finished prefix; returns how many were new (0 when
  // another thread is collecting it).
  std::uint32_t collect(TicketState& ticket);
  void set_failure(Error error);
  Status failure_status() const;
  Status stop_engine(std::chrono::nanoseconds timeout);
  void start_watchdog();
  void stop_watchdog();
};

}  // namespace mk::detail
