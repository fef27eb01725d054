// LiveSession: lock-free batch reservation, publishing, harvesting and waiting over a
// ring the backend's lanes keep polling (the watchdog is in live_watchdog.cpp).
#include <algorithm>
#include <cstring>
#include <string>
#include <thread>

#include "api/live_state.h"
#include "api/live_wire.h"
#include "core/live_test_hooks.h"
#include "interp/wire.h"
#include "api/ring_cursor.h"
#include "protocol/detail.h"
#include "mk/megakernel.h"

namespace mk {
namespace detail {
namespace {

using Clock = std::chrono::steady_clock;

// How far ahead of the harvest walk, in slots, a completion line is fetched (the GPU's
// write of a record evicted it from the CPU's caches): four lines of packed records.
constexpr std::uint32_t HARVEST_PREFETCH = 32;

// Waiting without burning a core the lanes may need (CPU backend on few cores): spin
// briefly, then yield, then sleep in short steps. Only ever a back-off, never the
// synchronisation itself: every caller re-checks its condition after each step.
class Backoff {
 public:
  void pause() {
    ++m_step;
    // Spin first: a live round trip is a few microseconds, and a waiter that yields or
    // sleeps before then adds its wake-up to it.
    if (m_step < 1024) return;
    if (m_step < 1280) {
      std::this_thread::yield();
      return;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
  void reset() { m_step = 0; }

 private:
  std::uint32_t m_step = 0;
};

Status closed_error() {
  return fail(ErrorKind::InvalidArgument, "the live session is shut down",
              "start a new LiveSession to submit more work");
}

Status validate_batch(std::span<const WorkItem> items, std::uint32_t slot_count) {
  if (items.empty())
    return fail(ErrorKind::InvalidArgument, "submit got an empty batch", "pass at least one work item");
  if (items.size() > slot_count)
    return fail(ErrorKind::InvalidArgument,
                "a batch of " + std::to_string(items.size()) + " items cannot fit the live ring of " +
                    std::to_string(slot_count) + " slots",
                "split the batch, or start the session with LiveOptions::slot_count >= the batch size");
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].opcode == abi::OP_BATCH_FENCE)
      return fail(ErrorKind::InvalidArgument,
                  "item " + std::to_string(i) +
                      " is a BATCH_FENCE, which a live session does not run (its slot "
                      "numbers are chosen by the session, not the caller)",
                  "wait on the ticket of the batch instead: LiveSession::wait is the live fence");
    if (items[i].opcode == abi::OP_SHUTDOWN)
      return fail(ErrorKind::InvalidArgument,
                  "item " + std::to_string(i) +
                      " is a SHUTDOWN, which a live session does not run (it would stop "
                      "the lanes under every other submitter's work)",
                  "end the session with LiveSession::shutdown() or by destroying it");
    if (items[i].opcode == abi::OP_LIVE_BATCH_CHUNK)
      return fail(ErrorKind::InvalidArgument,
                  "item " + std::to_string(i) +
                      " has opcode 0xFFF1, the session's own compact-chunk descriptor (reserved: it points "
                      "into the session's arena)",
                  "submit compact batches with LiveSession::submit(const BatchView&)");
    if (items[i].arg_count > abi::MAX_ARGS)
      return fail(ErrorKind::InvalidArgument, "item " + std::to_string(i) + " has arg_count > 12",
                  "build items with WorkItem::make");
  }
  return {};
}

// A ready ticket's outcome: true, or (isolated backends) the DeviceLost error naming the
// items a worker fault lost, and the fault (the engine's account of it).
Result<bool> ticket_outcome(const TicketState& ticket, const LiveEngine& engine) {
  if (ticket.lost.load(std::memory_order_acquire) == 0) return true;
  const std::string fault = engine.recovery_counts().last_fault;
  std::string items;
  std::uint32_t named = 0;
  for (std::uint32_t i = 0; i < ticket.count; ++i) {
    const ItemResult& r = ticket.results[i];
    if (r.status != abi::STATUS_FAULT || r.result != abi::FAULT_DEVICE_LOST) continue;
    if (named++ < 16) items += (items.empty() ? "" : ", ") + std::to_string(i);
  }
  if (named > 16) items += ", ... (" + std::to_string(named) + " in all)";
  return fail(ErrorKind::DeviceLost,
              "ticket at ring position " + std::to_string(ticket.first) + ": items [" + items + "] of " +
                  std::to_string(ticket.count) +
                  " were lost in a device fault (the worker process died while they were in flight; they may "
                  "have run partly); their results read FAULT DEVICE_LOST, the others are valid" +
                  (fault.empty() ? std::string() : " [" + fault + "]"),
              "resubmit the lost items if running them twice is safe, or start the session with "
              "LiveOptions::idempotent = true so in-flight items are replayed after a worker restart");
}

}  // namespace

LiveState::~LiveState() {
  stop_watchdog();
  // Tickets whose items never finished (the kernel failed or was stopped) still hold
  // their own in-flight reference: drop it, or they would never be freed.
  std::lock_guard<std::mutex> lock(harvest_mutex);
  std::vector<std::shared_ptr<TicketState>> unfinished;
  const std::uint64_t t = tail.load(std::memory_order_acquire);
  for (std::uint64_t h = head.load(std::memory_order_acquire); h < t; ++h) {
    const auto slot = static_cast<std::uint32_t>(h % slot_count);
    TicketState* ticket = slot_ticket[slot].exchange(nullptr, std::memory_order_acq_rel);
    if (ticket != nullptr && ticket->in_flight) unfinished.push_back(std::move(ticket->in_flight));
  }
}

std::uint32_t LiveState::collect(TicketState& ticket) {
  if (ticket.collecting.exchange(true, std::memory_order_acquire)) return 0;
  const std::uint32_t first = ticket.collected.load(std::memory_order_relaxed);
  if (ticket.chunk_items != 0) {
    const std::uint32_t n = collect_chunks(ticket, first);
    ticket.collecting.store(false, std::memory_order_release);
    return n;
  }
  std::uint32_t c = first, faults = 0, lost = 0;
  if (c < ticket.count) {
    const std::uint64_t p = ticket.first + c;
    RingCursor at = RingCursor::at(p, slot_count);
    std::uint32_t ahead = static_cast<std::uint32_t>((p + HARVEST_PREFETCH) % slot_count);
    while (c < ticket.count) {
      // The GPU's write of a record evicted its line from the CPU's caches.
      __builtin_prefetch(completions.data() + std::size_t{ahead} * abi::WIRE_COMPLETION_STRIDE);
      if (++ahead == slot_count) ahead = 0;
      const std::uint64_t record =
          live_wire_completion(completions.data() + std::size_t{at.slot} * abi::WIRE_COMPLETION_STRIDE);
      if (!interp::wire_completed(record, at.lap)) break;
      const std::uint32_t status = interp::wire_completion_status(record);
      ticket.results[c] = ItemResult{status, interp::wire_completion_result(record)};
      if (status == abi::STATUS_FAULT) {
        ++faults;
        lost += interp::wire_completion_result(record) == abi::FAULT_DEVICE_LOST ? 1u : 0u;
      }
      ++c;
      at.advance();
    }
  }
  publish_collected(ticket, first, c, faults, lost);
  ticket.collecting.store(false, std::memory_order_release);
  return c - first;
}

void LiveState::publish_collected(TicketState& ticket, std::uint32_t first, std::uint32_t c, std::uint32_t faults,
                                  std::uint32_t lost) {
  if (c == first) return;
  if (faults != 0) ticket.faults.fetch_add(faults, std::memory_order_relaxed);
  if (lost != 0) ticket.lost.fetch_add(lost, std::memory_order_relaxed);
  ticket.collected.store(c, std::memory_order_release);
  ticket.remaining.fetch_sub(c - first, std::memory_order_acq_rel);
}

std::uint64_t LiveState::harvest() {
  std::unique_lock<std::mutex> lock(harvest_mutex, std::try_to_lock);
  if (!lock.owns_lock()) return 0;
  std::uint64_t h = head.load(std::memory_order_relaxed);
  const std::uint64_t t = tail.load(std::memory_order_acquire);
  const std::uint64_t start = h;
  // Slot numbers and laps advance with h: no 64-bit division per item.
  RingCursor at = RingCursor::at(h, slot_count);
  std::uint32_t ahead = static_cast<std::uint32_t>((h + HARVEST_PREFETCH) % slot_count);
  std::uint64_t handed_back = h;
  std::uint64_t items = 0, arena_end = 0;
  while (h < t) {
    // The GPU's write of the record evicted its line from the CPU's caches.
    __builtin_prefetch(completions.data() + std::size_t{ahead} * abi::WIRE_COMPLETION_STRIDE);
    // A record of this lap means the item finished, so its producer registered the
    // ticket before publishing it (the ticket is alive: in_flight holds it until here).
    if (!interp::wire_completed(
            live_wire_completion(completions.data() + std::size_t{at.slot} * abi::WIRE_COMPLETION_STRIDE), at.lap))
      break;
    TicketState* ticket = slot_ticket[at.slot].load(std::memory_order_acquire);
    const auto index = static_cast<std::uint32_t>(h - ticket->first);
    std::uint32_t collected = ticket->collected.load(std::memory_order_acquire);
    if (index >= collected) {
      collect(*ticket);
      collected = ticket->collected.load(std::memory_order_acquire);
      // Its waiter holds the ticket's collection right now: reclaim next time.
      if (index >= collected) break;
    }
    // Every collected item of the ticket from here on is finished: reclaim the run at
    // once, without reading each record again.
    const auto run =
        ticket->chunk_items != 0 ? 1u : static_cast<std::uint32_t>(std::min<std::uint64_t>(collected - index, t - h));
    // The quota counts slots a tenant holds in the ring, so it is given back here, when
    // the slot is free again, not at collection.
    if (quota < slot_count) {
      std::uint32_t s = at.slot;
      for (std::uint32_t k = 0; k < run; ++k) {
        if (slot_tenant[s] != NO_TENANT) tenant_in_flight[slot_tenant[s]].fetch_sub(1, std::memory_order_relaxed);
        if (++s == slot_count) s = 0;
      }
    }
    if (ticket->chunk_items != 0) {
      // The chunk's region is free again (regions follow ring order; run is 1 for chunks).
      arena_end = slot_arena_end[at.slot];
      items += std::min(ticket->chunk_items, ticket->count - index * ticket->chunk_items);
      if (index + 1 == ticket->positions && ticket->quota_charge) give_quota(*ticket->quota_charge);
    } else {
      items += run;
    }
    // slot_ticket keeps its stale entries: a record of a slot's next lap only appears
    // after the next producer registered its own ticket.
    h += run;
    if (index + run == ticket->positions) ticket->in_flight.reset();  // may free it: last use
    at.advance(run);
    ahead = static_cast<std::uint32_t>((std::uint64_t{at.slot} + HARVEST_PREFETCH) % slot_count);
    // Hand slots back in chunks so producers waiting for room need not wait for a long walk.
    if (h - handed_back >= 1024) {
      publish_reclaimed(h, items, arena_end);
      handed_back = h;
    }
  }
  publish_reclaimed(h, items, arena_end);
  return h - start;
}

void LiveState::publish_reclaimed(std::uint64_t h, std::uint64_t& items, std::uint64_t& arena_end) {
  if (arena_end != 0) arena_head.store(arena_end, std::memory_order_release);
  arena_end = 0;
  // Before head: drain() reads head, then the items it covers.
  if (items != 0) reclaimed_items.fetch_add(items, std::memory_order_release);
  items = 0;
  head.store(h, std::memory_order_release);
}

void LiveState::set_failure(Error error) {
  std::lock_guard<std::mutex> lock(failure_mutex);
  if (failure) return;
  failure = std::move(error);
  failed.store(true, std::memory_order_release);
}

Status LiveState::failure_status() const {
  if (!failed.load(std::memory_order_acquire)) return {};
  std::lock_guard<std::mutex> lock(failure_mutex);
  return cuda::std::unexpected(*failure);
}

Status LiveState::stop_engine(std::chrono::nanoseconds timeout) {
  std::lock_guard<std::mutex> lock(lifecycle_mutex);
  if (stopped) return {};
  stopped = true;
  stop_watchdog();
  return engine->stop(timeout);
}

}  // namespace detail

// --- Ticket ---------------------------------------------------------------------------

std::uint64_t Ticket::sequence() const noexcept { return m_state ? m_state->first : 0; }
std::uint32_t Ticket::size() const noexcept { return m_state ? m_state->count : 0; }
bool Ticket::ready() const noexcept { return m_state && m_state->remaining.load(std::memory_order_acquire) == 0; }
std::span<const ItemResult> Ticket::results() const noexcept {
  if (!ready()) return {};
  return m_state->results;
}
bool Ticket::compact() const noexcept { return m_state && m_state->chunk_items != 0; }
TicketBatchResults Ticket::batch_results() const noexcept {
  if (!compact() || !ready()) return {};
  const std::uint32_t* words = m_state->batch_words.get();
  return TicketBatchResults{ConstWordSpan(words, m_state->count),
                            ConstWordSpan(words + m_state->count, abi::batch_fault_words(m_state->count))};
}
ItemResult Ticket::item(std::uint32_t item) const noexcept {
  if (!ready() || item >= m_state->count) return {};
  if (!compact()) return m_state->results[item];
  const TicketBatchResults r = batch_results();
  return ItemResult{r.faulted(item) ? abi::STATUS_FAULT : abi::STATUS_DONE, r.results[item]};
}
std::uint32_t Ticket::fault_count() const noexcept {
  return ready() ? m_state->faults.load(std::memory_order_relaxed) : 0;
}

// --- LiveSession ----------------------------------------------------------------------

LiveSession::LiveSession(std::unique_ptr<detail::LiveState> state) : m_state(std::move(state)) {}
LiveSession::LiveSession(LiveSession&&) noexcept = default;
LiveSession& LiveSession::operator=(LiveSession&& other) noexcept {
  if (this != &other) {
    if (m_state) (void)shutdown(2 * m_state->options.watchdog_timeout);
    m_state = std::move(other.m_state);
  }
  return *this;
}

LiveSession::~LiveSession() {
  if (m_state) (void)shutdown(2 * m_state->options.watchdog_timeout);
}

Result<LiveSession> LiveSession::start(const Megakernel& megakernel, LiveOptions options) {
  Backend& backend = megakernel.backend();
  if (!backend.supports(Feature::LiveSession)) return cuda::std::unexpected(unsupported(backend, Feature::LiveSession));
  if (options.slot_count == 0 || options.slot_count > abi::MAX_RING_SLOTS)
    return fail(ErrorKind::InvalidArgument,
                "LiveOptions::slot_count " + std::to_string(options.slot_count) + " is outside 1.." +
                    std::to_string(abi::MAX_RING_SLOTS),
                "pick a ring size such as 4096");
  constexpr std::uint64_t MAX_ARENA_WORDS = 0xFFFFFFFFull / abi::LIVE_BATCH_ALIGN_WORDS * abi::LIVE_BATCH_ALIGN_WORDS;
  const std::uint64_t arena_words =
      options.compact_arena_bytes / sizeof(std::uint32_t) / abi::LIVE_BATCH_ALIGN_WORDS * abi::LIVE_BATCH_ALIGN_WORDS;
  if (arena_words > MAX_ARENA_WORDS)
    return fail(ErrorKind::InvalidArgument,
                "LiveOptions::compact_arena_bytes " + std::to_string(options.compact_arena_bytes) +
                    " exceeds the descriptor's 32-bit word offsets",
                "use at most 16 GiB, e.g. the default of 8 MiB");
  if (options.watchdog_timeout <= std::chrono::milliseconds(0))
    return fail(ErrorKind::InvalidArgument, "LiveOptions::watchdog_timeout must be positive",
                "use e.g. std::chrono::milliseconds(2000)");
  std::vector<std::uint32_t> control = options.control;
  if (control.empty()) {
    if (options.observable_count > abi::MAX_OBSERVABLES)
      return fail(ErrorKind::InvalidArgument, "LiveOptions::observable_count is too large",
                  "use at most " + std::to_string(abi::MAX_OBSERVABLES) + " observable words");
    control.resize(std::size_t{abi::CTRL_OBSERVABLES} + options.observable_count);
    MK_TRY(try_encode_control_words_into(control, false, options.tenant_count, options.observable_count));
  }
  MK_TRY(try_validate_control_words(control));
  MK_TRY(try_stamp_opcode_table_words(control, megakernel.opcode_table()));
  if (control[abi::CTRL_SHUTDOWN] != 0)
    return fail(ErrorKind::InvalidArgument, "control word 4 (SHUTDOWN) is already set",
                "encode the control buffer with shutdown = false");

  static std::atomic<std::uint64_t> next_session_id{1};
  auto state = std::make_unique<detail::LiveState>();
  state->id = next_session_id.fetch_add(1, std::memory_order_relaxed);
  state->options = options;
  state->backend = megakernel.backend_ptr();
  state->pipeline = megakernel.pipeline();
  state->slot_count = options.slot_count;
  state->control_words = static_cast<std::uint32_t>(control.size());
  state->initial_done = control[abi::CTRL_DONE_COUNT];
  state->quota = options.max_in_flight_per_tenant == 0 ? options.slot_count
                                                       : std::min(options.max_in_flight_per_tenant, options.slot_count);
  state->slot_ticket = std::make_unique<std::atomic<detail::TicketState*>[]>(options.slot_count);
  state->slot_tenant = std::make_unique<std::uint8_t[]>(options.slot_count);
  state->slot_arena_end = std::make_unique<std::uint64_t[]>(options.slot_count);
  const auto table = megakernel.opcode_table();
  state->opcode_table.assign(table.begin(), table.end());
  state->tenant_count = control[abi::CTRL_TENANT_COUNT];
  LiveEngineConfig config;
  config.slot_count = options.slot_count;
  config.lanes = options.lanes;
  config.max_idle_backoff = options.max_idle_backoff;
  config.max_sms = options.max_sms;
  config.control = control;
  config.arena_words = arena_words;
  config.idempotent = options.idempotent;
  auto engine = backend.start_live(*state->pipeline, config);
  if (!engine) return cuda::std::unexpected(std::move(engine.error()));
  state->engine = std::move(*engine);
  state->ring = state->engine->ring();
  state->completions = state->engine->completions();
  state->arena = state->engine->arena();
  state->doorbell = state->engine->wants_doorbell();
  state->start_watchdog();
  return LiveSession(std::move(state));
}

namespace detail {

Status LiveState::submit_open() {
  if (closed.load(std::memory_order_seq_cst)) return closed_error();
  return {};
}

void LiveState::give_quota(const std::array<std::uint32_t, abi::MAX_TENANTS>& per_tenant) {
  for (std::uint32_t t = 0; t < abi::MAX_TENANTS; ++t)
    if (per_tenant[t] != 0) tenant_in_flight[t].fetch_sub(per_tenant[t], std::memory_order_relaxed);
}

Status LiveState::take_quota(const std::array<std::uint32_t, abi::MAX_TENANTS>& per_tenant) {
  for (std::uint32_t t = 0; t < abi::MAX_TENANTS; ++t)
    if (per_tenant[t] > quota)
      return fail(ErrorKind::InvalidArgument,
                  "the batch holds " + std::to_string(per_tenant[t]) + " items of tenant " + std::to_string(t) +
                      ", more than its quota of " + std::to_string(quota) + " items in flight: it can never fit",
                  "split the batch, or raise LiveOptions::max_in_flight_per_tenant");
  for (std::uint32_t t = 0; t < abi::MAX_TENANTS; ++t) {
    if (per_tenant[t] == 0) continue;
    const std::uint32_t before = tenant_in_flight[t].fetch_add(per_tenant[t], std::memory_order_relaxed);
    if (before + per_tenant[t] > quota) {
      std::array<std::uint32_t, abi::MAX_TENANTS> taken{};
      std::copy_n(per_tenant.begin(), t + 1, taken.begin());
      give_quota(taken);
      rejected_full.fetch_add(1, std::memory_order_relaxed);
      return fail(ErrorKind::QueueFull,
                  "tenant " + std::to_string(t) + " would hold " + std::to_string(before + per_tenant[t]) +
                      " items in flight, over its quota of " + std::to_string(quota),
                  "wait on earlier tickets of this tenant, use submit_wait, or raise "
                  "LiveOptions::max_in_flight_per_tenant");
    }
  }
  return {};
}

Result<std::uint64_t> LiveState::reserve(std::uint32_t n, std::uint64_t arena_need) {
  // Reserve [pos, pos + n) in one CAS; harvest once when the ring looks full.
  std::uint64_t pos = tail.load(std::memory_order_relaxed);
  bool harvested = false;
  for (;;) {
    const std::uint64_t h = head.load(std::memory_order_acquire);
    const bool ring_full = pos + n - h > slot_count;
    // arena_tail is stable here: only compact submits move it, under compact_mutex.
    const bool arena_full =
        arena_need != 0 && arena_tail + arena_need - arena_head.load(std::memory_order_acquire) > arena.size();
    if (ring_full || arena_full) {
      if (!harvested) {
        harvested = true;
        harvest();
        pos = tail.load(std::memory_order_relaxed);
        continue;
      }
      rejected_full.fetch_add(1, std::memory_order_relaxed);
      if (ring_full)
        return fail(ErrorKind::QueueFull,
                    "the live ring has " + std::to_string(slot_count - (pos - h)) + " free slots of " +
                        std::to_string(slot_count) + ", the batch needs " + std::to_string(n),
                    "wait on earlier tickets (or poll) so finished slots are reclaimed, use submit_wait, or "
                    "start the session with a larger LiveOptions::slot_count");
      return fail(ErrorKind::QueueFull,
                  "the compact arena has " +
                      std::to_string(arena.size() - (arena_tail - arena_head.load(std::memory_order_relaxed))) +
                      " free words of " + std::to_string(arena.size()) + ", the batch needs " +
                      std::to_string(arena_need),
                  "wait on earlier tickets (or poll) so finished chunks are reclaimed, use submit_wait, or start "
                  "the session with a larger LiveOptions::compact_arena_bytes");
    }
    if (tail.compare_exchange_weak(pos, pos + n, std::memory_order_acq_rel, std::memory_order_relaxed)) return pos;
  }
}

void LiveState::ring_doorbell(std::uint64_t pos, std::uint32_t n) {
  if (!doorbell) return;
  // Ring the doorbell in reservation order, so everything below it is published.
  Backoff turn;
  while (published.load(std::memory_order_acquire) != pos) turn.pause();
  engine->published(pos + n);
  published.store(pos + n, std::memory_order_release);
}

// submit, or (publish = false, tests) the reservation and registration without the
// ring writes.
Result<std::shared_ptr<TicketState>> submit_to(LiveState& s, std::span<const WorkItem> items, bool publish) {
  MK_TRY(s.failure_status());
  const LiveState::SubmitScope in_submit(s.active_submits);
  MK_TRY(s.submit_open());
  MK_TRY(validate_batch(items, s.slot_count));
  const auto n = static_cast<std::uint32_t>(items.size());

  // Fairness quota: take this batch's share for each tenant, or nothing.
  std::array<std::uint32_t, abi::MAX_TENANTS> per_tenant{};
  const bool quotas = s.quota < s.slot_count;
  if (quotas) {
    for (const WorkItem& item : items)
      if (item.tenant < abi::MAX_TENANTS) ++per_tenant[item.tenant];
    MK_TRY(s.take_quota(per_tenant));
  }

  // Allocated before the reservation: nothing between reserving and publishing may fail
  // (a reserved range that is never published would stall the doorbell for everyone).
  auto ticket = std::make_shared<TicketState>();
  ticket->owner = s.id;
  ticket->count = n;
  ticket->positions = n;
  ticket->remaining.store(n, std::memory_order_relaxed);
  ticket->results.resize(n);

  auto reserved = s.reserve(n, 0);
  if (!reserved) {
    if (quotas) s.give_quota(per_tenant);
    return cuda::std::unexpected(std::move(reserved.error()));
  }
  const std::uint64_t pos = *reserved;
  ticket->first = pos;
  ticket->in_flight = ticket;
  RingCursor at = RingCursor::at(pos, s.slot_count);
  for (std::uint32_t k = 0; k < n; ++k) {
    // Registered first: chunk 0 is stored last, so a lane that reads the whole item, and
    // the collector after its completion record, see the ticket and the tenant.
    s.slot_ticket[at.slot].store(ticket.get(), std::memory_order_relaxed);
    s.slot_tenant[at.slot] =
        items[k].tenant < abi::MAX_TENANTS ? static_cast<std::uint8_t>(items[k].tenant) : LiveState::NO_TENANT;
    if (publish) live_wire_publish(s.ring.data() + std::size_t{at.slot} * abi::SLOT_WORDS, items[k], at.lap);
    at.advance();
  }
  s.ring_doorbell(pos, n);
  s.submitted_items.fetch_add(n, std::memory_order_relaxed);
  return ticket;
}

}  // namespace detail

Result<Ticket> LiveSession::submit(std::span<const WorkItem> items) {
  auto ticket = detail::submit_to(*m_state, items, true);
  if (!ticket) return cuda::std::unexpected(std::move(ticket.error()));
  return Ticket(std::move(*ticket));
}

namespace detail {
namespace {

// submit_wait of either form: retry `submit` while it answers QueueFull, harvesting.
template <class Submit>
Result<Ticket> submit_until(LiveState& s, std::chrono::nanoseconds timeout, Submit submit) {
  const auto deadline = Clock::now() + timeout;
  Backoff backoff;
  for (;;) {
    auto ticket = submit();
    if (ticket || ticket.error().kind() != ErrorKind::QueueFull) return ticket;
    if (Clock::now() >= deadline) return ticket;
    if (s.harvest() == 0)
      backoff.pause();
    else
      backoff.reset();
  }
}

}  // namespace
}  // namespace detail

Result<Ticket> LiveSession::submit_wait(std::span<const WorkItem> items, std::chrono::nanoseconds timeout) {
  return detail::submit_until(*m_state, timeout, [&] { return submit(items); });
}

Result<Ticket> LiveSession::submit(const BatchView& batch) {
  auto ticket = detail::submit_batch_to(*m_state, batch);
  if (!ticket) return cuda::std::unexpected(std::move(ticket.error()));
  return Ticket(std::move(*ticket));
}

Result<Ticket> LiveSession::submit_wait(const BatchView& batch, std::chrono::nanoseconds timeout) {
  return detail::submit_until(*m_state, timeout, [&] { return submit(batch); });
}

Result<bool> LiveSession::wait(const Ticket& ticket, std::chrono::nanoseconds timeout) {
  detail::LiveState& s = *m_state;
  if (!ticket.m_state || ticket.m_state->owner != s.id)
    return fail(ErrorKind::InvalidArgument, "the ticket was not issued by this live session",
                "wait on tickets with the session whose submit returned them");
  const auto deadline = detail::Clock::now() + timeout;
  detail::Backoff backoff;
  for (;;) {
    if (ticket.ready()) return detail::ticket_outcome(*ticket.m_state, *s.engine);
    // This ticket's own items first: it is ready once they are, whatever runs before it
    // (and its finished results stay readable after the session failed).
    if (s.collect(*ticket.m_state) != 0 && ticket.ready()) {
      s.harvest();  // hand its slots back now, if earlier ones are done too
      return detail::ticket_outcome(*ticket.m_state, *s.engine);
    }
    MK_TRY(s.failure_status());
    if (s.harvest() != 0) {
      backoff.reset();
      continue;
    }
    if (detail::Clock::now() >= deadline) return false;
    backoff.pause();
  }
}

Result<std::uint64_t> LiveSession::poll() {
  MK_TRY(m_state->failure_status());
  return m_state->harvest();
}

Status LiveSession::drain(std::chrono::nanoseconds timeout) {
  detail::LiveState& s = *m_state;
  const std::uint64_t target = s.tail.load(std::memory_order_acquire);
  const auto deadline = detail::Clock::now() + timeout;
  detail::Backoff backoff;
  while (s.head.load(std::memory_order_acquire) < target) {
    MK_TRY(s.failure_status());
    if (s.harvest() != 0) {
      backoff.reset();
      continue;
    }
    if (detail::Clock::now() >= deadline)
      return fail(ErrorKind::Backend,
                  "drain timed out with " + std::to_string(target - s.head.load()) + " items still in flight",
                  "wait longer, or check health(): a handler may be requeueing or the kernel may be stalled");
    backoff.pause();
  }
  // Lanes publish counters in runs, after the items' STATUS on some backends; once
  // DONE_COUNT (published last) covers every drained item, read_control is exact. The
  // harvester counts items before it moves head, so this covers every item below target
  // (a position holds one item, or a compact chunk of several).
  const auto items = static_cast<std::uint32_t>(s.reclaimed_items.load(std::memory_order_acquire));
  while (static_cast<std::int32_t>(s.engine->done_count() - s.initial_done - items) < 0) {
    MK_TRY(s.failure_status());
    if (detail::Clock::now() >= deadline)
      return fail(ErrorKind::Backend, "drain timed out waiting for DONE_COUNT to count every finished item",
                  "wait longer, or check health()");
    backoff.pause();
  }
  return {};
}

Status LiveSession::shutdown(std::chrono::nanoseconds timeout) {
  detail::LiveState& s = *m_state;
  s.closed.store(true, std::memory_order_seq_cst);
  // Submits that got past the closed check finish publishing before the lanes stop.
  detail::Backoff backoff;
  while (s.active_submits.load(std::memory_order_seq_cst) != 0) backoff.pause();
  Status drained = s.failure_status() ? drain(timeout) : Status{};
  Status stopped = s.stop_engine(timeout);
  if (!stopped)
    s.set_failure(stopped.error());
  else if (!s.failed.load(std::memory_order_acquire) && s.head.load() < s.tail.load())
    s.set_failure(Error(ErrorKind::Backend, "the live session was shut down with items still in flight",
                        "drain() before shutdown to let every ticket finish"));
  if (!drained) return drained;
  return stopped;
}

Result<Bytes> LiveSession::read_control_bytes() const {
  auto words = read_control();
  if (!words) return cuda::std::unexpected(std::move(words.error()));
  Bytes bytes(words->size() * sizeof(std::uint32_t));
  std::memcpy(bytes.data(), words->data(), bytes.size());
  return bytes;
}

Result<std::vector<std::uint32_t>> LiveSession::read_control() const {
  std::vector<std::uint32_t> words(m_state->control_words);
  MK_TRY(m_state->engine->read_control(words));
  return words;
}

LiveStats LiveSession::stats() const {
  const detail::LiveState& s = *m_state;
  LiveStats st;
  st.completed = s.reclaimed_items.load(std::memory_order_acquire);
  st.submitted = std::max(s.submitted_items.load(std::memory_order_relaxed), st.completed);
  st.in_flight = st.submitted - st.completed;
  st.positions = s.tail.load(std::memory_order_relaxed);
  st.rejected_full = s.rejected_full.load(std::memory_order_relaxed);
  st.heartbeat = s.engine->heartbeat();
  st.done_count = s.engine->done_count();
  st.wire_rejects = s.engine->wire_rejects();
  const LiveRecoveryCounts recovery = s.engine->recovery_counts();
  st.restarts = recovery.restarts;
  st.lost = recovery.lost;
  st.replayed = recovery.replayed;
  st.last_fault = recovery.last_fault;
  return st;
}

Status LiveSession::health() const { return m_state->failure_status(); }
std::uint32_t LiveSession::slot_count() const noexcept { return m_state->slot_count; }
std::uint32_t LiveSession::lanes() const noexcept { return m_state->engine->lanes(); }

void detail::LiveTestAccess::inject_stall(LiveSession& session, bool stalled) {
  detail::set_engine_stalled(*session.m_state->engine, stalled);
}

Result<Ticket> LiveTestWire::reserve(LiveSession& session, std::span<const WorkItem> items) {
  auto ticket = detail::submit_to(*session.m_state, items, false);
  if (!ticket) return cuda::std::unexpected(std::move(ticket.error()));
  return Ticket(std::move(*ticket));
}

std::array<std::uint32_t, abi::SLOT_WORDS> LiveTestWire::words(const LiveSession&, const WorkItem& item,
                                                               std::uint32_t lap) {
  return detail::live_wire_words(item, lap);
}

void LiveTestWire::store_chunk(LiveSession& session, std::uint64_t position, unsigned chunk,
                               const std::array<std::uint32_t, abi::SLOT_WORDS>& words) {
  detail::LiveState& s = *session.m_state;
  const auto slot = static_cast<std::uint32_t>(position % s.slot_count);
  detail::live_wire_store_chunk(s.ring.data() + std::size_t{slot} * abi::SLOT_WORDS, chunk % abi::WIRE_CHUNKS, words);
}

}  // namespace mk
