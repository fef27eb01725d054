// LiveSession: lock-free batch reservation, publishing, harvesting and waiting over a
// ring the backend's lanes keep polling (the watchdog is in live_watchdog.cpp).
#include <algorithm>
#include <string>
#include <thread>

#include "api/live_state.h"
#include "protocol/detail.h"
#include "mk/megakernel.h"

namespace mk {
namespace detail {
namespace {

using Clock = std::chrono::steady_clock;

std::atomic_ref<std::uint32_t> word_ref(std::uint32_t& w) { return std::atomic_ref<std::uint32_t>(w); }

// How far ahead of the harvest walk the next slot's line is fetched (the GPU's write
// of STATUS evicted it from the CPU's caches).
constexpr std::uint32_t HARVEST_PREFETCH = 8;

bool terminal(std::uint32_t status) { return status == abi::STATUS_DONE || status == abi::STATUS_FAULT; }

// Waiting without burning a core the lanes may need (CPU backend on few cores): spin
// briefly, then yield, then sleep in short steps. Only ever a back-off, never the
// synchronisation itself: every caller re-checks its condition after each step.
class Backoff {
 public:
  void pause() {
    ++m_step;
    if (m_step < 64) return;
    if (m_step < 256) {
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
                  "item " + std::to_string(i) + " is a BATCH_FENCE, which a live session does not run (its slot "
                  "numbers are chosen by the session, not the caller)",
                  "wait on the ticket of the batch instead: LiveSession::wait is the live fence");
    if (items[i].arg_count > abi::MAX_ARGS)
      return fail(ErrorKind::InvalidArgument, "item " + std::to_string(i) + " has arg_count > 12",
                  "build items with WorkItem::make");
  }
  return {};
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

std::uint64_t LiveState::harvest() {
  std::unique_lock<std::mutex> lock(harvest_mutex, std::try_to_lock);
  if (!lock.owns_lock()) return 0;
  std::uint64_t h = head.load(std::memory_order_relaxed);
  const std::uint64_t t = tail.load(std::memory_order_acquire);
  const std::uint64_t start = h;
  // A ticket's items are counted down once per run of its slots, not once per item: its
  // waiter spins on `remaining`, and a write per item would bounce that line per item.
  TicketState* run = nullptr;
  std::uint32_t run_items = 0, run_faults = 0;
  std::uint64_t run_end = 0;  // one past the run's ticket's last position
  auto end_run = [&] {
    if (run == nullptr) return;
    if (run_faults != 0) run->faults.fetch_add(run_faults, std::memory_order_relaxed);
    if (run->remaining.fetch_sub(run_items, std::memory_order_acq_rel) == run_items) run->in_flight.reset();
    run = nullptr;
    run_items = run_faults = 0;
  };
  // Slot numbers advance with h and wrap, so the walk needs no 64-bit division per item.
  std::uint32_t slot = static_cast<std::uint32_t>(h % slot_count);
  std::uint32_t ahead = static_cast<std::uint32_t>((h + HARVEST_PREFETCH) % slot_count);
  while (h < t) {
    std::uint32_t* w = ring.data() + std::size_t{slot} * abi::SLOT_WORDS;
    __builtin_prefetch(ring.data() + std::size_t{ahead} * abi::SLOT_WORDS);
    const std::uint32_t status = word_ref(w[abi::SLOT_STATUS]).load(std::memory_order_acquire);
    if (!terminal(status)) break;
    // A ticket's positions are contiguous: look its registration up once per run.
    if (run == nullptr || h >= run_end) {
      TicketState* ticket = slot_ticket[slot].load(std::memory_order_acquire);
      if (ticket == nullptr) break;  // cannot happen: the producer registers before publishing
      end_run();
      run = ticket;
      run_end = ticket->first + ticket->count;
    }
    run->results[h - run->first] = ItemResult{status, w[abi::SLOT_RESULT]};
    ++run_items;
    run_faults += status == abi::STATUS_FAULT ? 1u : 0u;
    if (quota < slot_count) {
      const std::uint32_t tenant = w[abi::SLOT_TENANT];
      if (tenant < abi::MAX_TENANTS) tenant_in_flight[tenant].fetch_sub(1, std::memory_order_relaxed);
    }
    // slot_ticket keeps its stale entry: only positions in [head, tail) are ever read,
    // and the next producer of this slot registers before it publishes.
    word_ref(w[abi::SLOT_STATUS]).store(abi::STATUS_EMPTY, std::memory_order_relaxed);
    ++h;
    if (++slot == slot_count) slot = 0;
    if (++ahead == slot_count) ahead = 0;
    // Hand slots back in chunks so producers waiting for room need not wait for a long walk.
    if (((h - start) & 1023u) == 0) {
      end_run();
      head.store(h, std::memory_order_release);
    }
  }
  end_run();
  head.store(h, std::memory_order_release);
  return h - start;
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
bool Ticket::ready() const noexcept {
  return m_state && m_state->remaining.load(std::memory_order_acquire) == 0;
}
std::span<const ItemResult> Ticket::results() const noexcept {
  if (!ready()) return {};
  return m_state->results;
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
    return fail(ErrorKind::InvalidArgument, "LiveOptions::slot_count " + std::to_string(options.slot_count) +
                                                " is outside 1.." + std::to_string(abi::MAX_RING_SLOTS),
                "pick a ring size such as 4096");
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
  LiveEngineConfig config;
  config.slot_count = options.slot_count;
  config.lanes = options.lanes;
  config.max_idle_backoff = options.max_idle_backoff;
  config.control = control;
  auto engine = backend.start_live(*state->pipeline, config);
  if (!engine) return cuda::std::unexpected(std::move(engine.error()));
  state->engine = std::move(*engine);
  state->ring = state->engine->ring();
  state->doorbell = state->engine->wants_doorbell();
  state->start_watchdog();
  return LiveSession(std::move(state));
}

Result<Ticket> LiveSession::submit(std::span<const WorkItem> items) {
  detail::LiveState& s = *m_state;
  MK_TRY(s.failure_status());
  // Counted before `closed` is read, so shutdown either sees this submit or it sees closed.
  s.active_submits.fetch_add(1, std::memory_order_seq_cst);
  struct Leave {
    std::atomic<std::uint32_t>& n;
    ~Leave() { n.fetch_sub(1, std::memory_order_release); }
  } leave{s.active_submits};
  if (s.closed.load(std::memory_order_seq_cst)) return cuda::std::unexpected(detail::closed_error().error());
  MK_TRY(detail::validate_batch(items, s.slot_count));
  const auto n = static_cast<std::uint32_t>(items.size());

  // Fairness quota: take this batch's share for each tenant, or nothing.
  std::array<std::uint32_t, abi::MAX_TENANTS> per_tenant{};
  const bool quotas = s.quota < s.slot_count;
  auto give_back = [&](std::uint32_t upto) {
    for (std::uint32_t t = 0; t < upto; ++t)
      if (per_tenant[t] != 0) s.tenant_in_flight[t].fetch_sub(per_tenant[t], std::memory_order_relaxed);
  };
  if (quotas) {
    for (const WorkItem& item : items)
      if (item.tenant < abi::MAX_TENANTS) ++per_tenant[item.tenant];
    for (std::uint32_t t = 0; t < abi::MAX_TENANTS; ++t)
      if (per_tenant[t] > s.quota)
        return fail(ErrorKind::InvalidArgument,
                    "the batch holds " + std::to_string(per_tenant[t]) + " items of tenant " + std::to_string(t) +
                        ", more than its quota of " + std::to_string(s.quota) + " slots in flight: it can never fit",
                    "split the batch, or raise LiveOptions::max_in_flight_per_tenant");
    for (std::uint32_t t = 0; t < abi::MAX_TENANTS; ++t) {
      if (per_tenant[t] == 0) continue;
      const std::uint32_t before = s.tenant_in_flight[t].fetch_add(per_tenant[t], std::memory_order_relaxed);
      if (before + per_tenant[t] > s.quota) {
        give_back(t + 1);
        s.rejected_full.fetch_add(1, std::memory_order_relaxed);
        return fail(ErrorKind::QueueFull,
                    "tenant " + std::to_string(t) + " would hold " + std::to_string(before + per_tenant[t]) +
                        " slots in flight, over its quota of " + std::to_string(s.quota),
                    "wait on earlier tickets of this tenant, use submit_wait, or raise "
                    "LiveOptions::max_in_flight_per_tenant");
      }
    }
  }

  // Allocated before the reservation: nothing between reserving and publishing may fail
  // (a reserved range that is never published would stall the doorbell for everyone).
  auto ticket = std::make_shared<detail::TicketState>();
  ticket->owner = s.id;
  ticket->count = n;
  ticket->remaining.store(n, std::memory_order_relaxed);
  ticket->results.resize(n);

  // Reserve [pos, pos + n) in one CAS; harvest once when the ring looks full.
  std::uint64_t pos = s.tail.load(std::memory_order_relaxed);
  bool harvested = false;
  for (;;) {
    const std::uint64_t head = s.head.load(std::memory_order_acquire);
    if (pos + n - head > s.slot_count) {
      if (!harvested) {
        harvested = true;
        s.harvest();
        pos = s.tail.load(std::memory_order_relaxed);
        continue;
      }
      if (quotas) give_back(abi::MAX_TENANTS);
      s.rejected_full.fetch_add(1, std::memory_order_relaxed);
      return fail(ErrorKind::QueueFull,
                  "the live ring has " + std::to_string(s.slot_count - (pos - head)) + " free slots of " +
                      std::to_string(s.slot_count) + ", the batch needs " + std::to_string(n),
                  "wait on earlier tickets (or poll) so finished slots are reclaimed, use submit_wait, or "
                  "start the session with a larger LiveOptions::slot_count");
    }
    if (s.tail.compare_exchange_weak(pos, pos + n, std::memory_order_acq_rel, std::memory_order_relaxed)) break;
  }

  ticket->first = pos;
  ticket->in_flight = ticket;
  auto slot = static_cast<std::uint32_t>(pos % s.slot_count);
  for (std::uint32_t k = 0; k < n; ++k) {
    // Registered first: write_slot stores STATUS last with release, so a lane (and the
    // harvester after it) that sees PUBLISHED sees the item and the ticket.
    s.slot_ticket[slot].store(ticket.get(), std::memory_order_relaxed);
    detail::write_slot(s.ring, slot, items[k]);
    if (++slot == s.slot_count) slot = 0;
  }
  if (s.doorbell) {
    // Ring the doorbell in reservation order, so everything below it is published.
    detail::Backoff turn;
    while (s.published.load(std::memory_order_acquire) != pos) turn.pause();
    s.engine->published(pos + n);
    s.published.store(pos + n, std::memory_order_release);
  }
  return Ticket(std::move(ticket));
}

Result<Ticket> LiveSession::submit_wait(std::span<const WorkItem> items, std::chrono::nanoseconds timeout) {
  const auto deadline = detail::Clock::now() + timeout;
  detail::Backoff backoff;
  for (;;) {
    auto ticket = submit(items);
    if (ticket || ticket.error().kind() != ErrorKind::QueueFull) return ticket;
    if (detail::Clock::now() >= deadline) return ticket;
    if (m_state->harvest() == 0) backoff.pause();
    else backoff.reset();
  }
}

Result<bool> LiveSession::wait(const Ticket& ticket, std::chrono::nanoseconds timeout) {
  detail::LiveState& s = *m_state;
  if (!ticket.m_state || ticket.m_state->owner != s.id)
    return fail(ErrorKind::InvalidArgument, "the ticket was not issued by this live session",
                "wait on tickets with the session whose submit returned them");
  const auto deadline = detail::Clock::now() + timeout;
  detail::Backoff backoff;
  for (;;) {
    if (ticket.ready()) return true;
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
  // DONE_COUNT (published last) covers every drained item, read_control is exact.
  while (static_cast<std::int32_t>(s.engine->done_count() - s.initial_done - static_cast<std::uint32_t>(target)) < 0) {
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
  if (!stopped) s.set_failure(stopped.error());
  else if (!s.failed.load(std::memory_order_acquire) && s.head.load() < s.tail.load())
    s.set_failure(Error(ErrorKind::Backend, "the live session was shut down with items still in flight",
                        "drain() before shutdown to let every ticket finish"));
  if (!drained) return drained;
  return stopped;
}

Result<std::vector<std::uint32_t>> LiveSession::read_control() const {
  std::vector<std::uint32_t> words(m_state->control_words);
  MK_TRY(m_state->engine->read_control(words));
  return words;
}

LiveStats LiveSession::stats() const {
  const detail::LiveState& s = *m_state;
  LiveStats st;
  st.submitted = s.tail.load(std::memory_order_relaxed);
  st.completed = s.head.load(std::memory_order_relaxed);
  st.in_flight = st.submitted - st.completed;
  st.rejected_full = s.rejected_full.load(std::memory_order_relaxed);
  st.heartbeat = s.engine->heartbeat();
  st.done_count = s.engine->done_count();
  return st;
}

Status LiveSession::health() const { return m_state->failure_status(); }
std::uint32_t LiveSession::slot_count() const noexcept { return m_state->slot_count; }
std::uint32_t LiveSession::lanes() const noexcept { return m_state->engine->lanes(); }

void live_test_inject_stall(LiveSession& session, bool stalled) { session.m_state->engine->set_stalled(stalled); }

}  // namespace mk
