// LiveSession measurements of mk_bench_live (round trip, throughput, tenant fairness).
#include "live_cases.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <deque>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>

#include "mk/bulk.h"
#include "must.h"

namespace mk::bench::live {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint32_t FLOOD_WORDS = 1000;                 // tenant 0 adds into words 0..999
constexpr std::uint32_t PROBE_WORD = OBSERVABLE_WORDS - 1;  // tenant 1 adds into word 1023

double ns_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::nano>(b - a).count();
}

std::string ms(std::chrono::nanoseconds t) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(t).count()) + " ms";
}

WorkItem make_item(std::uint32_t opcode, std::uint32_t tenant, std::uint32_t word) {
  const std::array<std::uint32_t, 2> args{word, 1};
  return must(WorkItem::make(opcode, tenant, args), "WorkItem::make");
}

std::vector<WorkItem> make_batch(std::uint32_t opcode, std::uint32_t tenant, std::uint32_t n, std::uint32_t words) {
  std::vector<WorkItem> items;
  items.reserve(n);
  for (std::uint32_t k = 0; k < n; ++k) items.push_back(make_item(opcode, tenant, k % words));
  return items;
}

// The first error any thread hit; the others stop at their next step.
class FirstError {
 public:
  void record(std::string message) {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_message.empty()) m_message = std::move(message);
    m_set.store(true, std::memory_order_release);
  }
  bool any() const { return m_set.load(std::memory_order_acquire); }
  void rethrow() {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (!m_message.empty()) throw std::runtime_error(m_message);
  }

 private:
  std::mutex m_mutex;
  std::string m_message;
  std::atomic<bool> m_set{false};
};

// Wait for a ticket within `timeout` and insist that none of its items faulted (either
// kind of ticket: item() reads WorkItem and compact results alike).
void retire(LiveSession& session, const Ticket& ticket, std::chrono::nanoseconds timeout) {
  if (!must(session.wait(ticket, timeout), "LiveSession::wait"))
    throw std::runtime_error("a batch of " + std::to_string(ticket.size()) + " items (ring position " +
                             std::to_string(ticket.sequence()) + ") did not finish within " + ms(timeout));
  if (ticket.fault_count() != 0) {
    for (std::uint32_t i = 0; i < ticket.size(); ++i)
      if (const ItemResult r = ticket.item(i); r.status == abi::STATUS_FAULT)
        throw std::runtime_error(std::to_string(ticket.fault_count()) + " items of a batch faulted (first: item " +
                                 std::to_string(i) + ", " + std::string(fault_name(r.result)) + ")");
  }
}

struct ProducerTime {
  std::atomic<std::uint64_t> submit_ns{0};
  std::atomic<std::uint64_t> wait_ns{0};
};

// One thread's submit loop: `batches` batches of `batch_items` items (`submit` publishes
// one and returns its ticket), or until *stop when stop is given.
template <class Submit>
void produce_with(LiveSession& session, Submit submit, std::uint32_t batch_items, std::uint64_t batches,
                  std::uint32_t window, std::chrono::nanoseconds timeout, const std::atomic<bool>& go,
                  const std::atomic<bool>* stop, std::atomic<std::uint64_t>* retired_items, FirstError& error,
                  ProducerTime* time) {
  try {
    while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
    std::deque<Ticket> pending;
    // Where a producer's time goes: in submit (host encoding, reservation, doorbell) or
    // waiting for the kernel. Two clock reads per batch, not per item.
    double submit_ns = 0, wait_ns = 0;
    auto retire_oldest = [&] {
      const auto t0 = Clock::now();
      retire(session, pending.front(), timeout);
      wait_ns += ns_between(t0, Clock::now());
      pending.pop_front();
      if (retired_items != nullptr) retired_items->fetch_add(batch_items, std::memory_order_relaxed);
    };
    for (std::uint64_t b = 0; stop != nullptr ? !stop->load(std::memory_order_relaxed) : b < batches; ++b) {
      if (error.any()) return;
      const auto t0 = Clock::now();
      pending.push_back(must(submit(), "LiveSession::submit_wait"));
      submit_ns += ns_between(t0, Clock::now());
      if (pending.size() >= window) retire_oldest();
    }
    while (!pending.empty()) retire_oldest();
    if (time != nullptr) {
      time->submit_ns.fetch_add(static_cast<std::uint64_t>(submit_ns), std::memory_order_relaxed);
      time->wait_ns.fetch_add(static_cast<std::uint64_t>(wait_ns), std::memory_order_relaxed);
    }
  } catch (const std::exception& e) {
    error.record(e.what());
  }
}

void produce(LiveSession& session, std::span<const WorkItem> batch, std::uint64_t batches, std::uint32_t window,
             std::chrono::nanoseconds timeout, const std::atomic<bool>& go, const std::atomic<bool>* stop,
             std::atomic<std::uint64_t>* retired_items, FirstError& error, ProducerTime* time) {
  produce_with(
      session, [&] { return session.submit_wait(batch, timeout); }, static_cast<std::uint32_t>(batch.size()), batches,
      window, timeout, go, stop, retired_items, error, time);
}

// A compact producer: its batch was built once (BatchBuilder); every submit copies the
// records into the session's arena and the ticket gets the RESULT words back.
void produce_compact(LiveSession& session, const BatchView* batch, std::uint64_t batches, std::uint32_t window,
                     std::chrono::nanoseconds timeout, const std::atomic<bool>& go, FirstError& error,
                     ProducerTime* time) {
  produce_with(
      session, [&] { return session.submit_wait(*batch, timeout); }, batch->count, batches, window, timeout, go,
      nullptr, nullptr, error, time);
}

struct Snapshot {
  std::vector<std::uint32_t> words;
  std::uint64_t observable_sum(std::uint32_t first, std::uint32_t count) const {
    std::uint64_t s = 0;
    for (std::uint32_t i = first; i < first + count; ++i) s += words[abi::CTRL_OBSERVABLES + i];
    return s;
  }
  std::uint32_t observable(std::uint32_t i) const { return words[abi::CTRL_OBSERVABLES + i]; }
  std::uint32_t done() const { return words[abi::CTRL_DONE_COUNT]; }
  std::uint32_t faults() const { return words[abi::CTRL_FAULT_COUNT]; }
  std::uint32_t tenant_done(std::uint32_t t) const { return words[abi::tenant_word(t, abi::TENANT_DONE)]; }
};

Snapshot snapshot(const LiveSession& session) {
  return Snapshot{must(session.read_control(), "LiveSession::read_control")};
}

// DONE_COUNT and the tenant counters are published at the end of a lane's sweep, so they
// may trail the terminal STATUS the host already harvested: wait (bounded) until `ready`.
template <class Ready>
Snapshot settled_snapshot(const LiveSession& session, Ready ready, std::chrono::nanoseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    Snapshot s = snapshot(session);
    if (ready(s) || Clock::now() >= deadline) return s;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

std::vector<double> round_trip_samples(LiveSession& session, const WorkItem& item, std::uint32_t warmup,
                                       std::uint32_t samples, bool spin_poll, std::chrono::nanoseconds timeout,
                                       std::uint32_t& previous, bool with_backpressure,
                                       std::vector<double>* submit_ns = nullptr) {
  std::vector<double> ns;
  ns.reserve(samples);
  const std::span<const WorkItem> one(&item, 1);
  for (std::uint32_t i = 0; i < warmup + samples; ++i) {
    const auto t0 = Clock::now();
    Ticket ticket = with_backpressure ? must(session.submit_wait(one, timeout), "LiveSession::submit_wait")
                                      : must(session.submit(one), "LiveSession::submit");
    if (submit_ns != nullptr && i >= warmup) submit_ns->push_back(ns_between(t0, Clock::now()));
    if (spin_poll) {
      std::uint32_t spins = 0;
      while (!ticket.ready()) {
        must(session.poll(), "LiveSession::poll");
        if ((++spins & 1023u) == 0 && Clock::now() - t0 > timeout)
          throw std::runtime_error("a single item did not finish within " + ms(timeout) + " (poll spin)");
      }
    } else if (!must(session.wait(ticket, timeout), "LiveSession::wait")) {
      throw std::runtime_error("a single item did not finish within " + ms(timeout));
    }
    const auto t1 = Clock::now();
    const ItemResult r = ticket.results()[0];
    if (r.status != abi::STATUS_DONE)
      throw std::runtime_error("a single ATOMIC_ADD item ended " + std::string(status_name(r.status)) + " (" +
                               std::string(fault_name(r.result)) + ")");
    if (r.result != previous)
      throw std::runtime_error("a single ATOMIC_ADD returned previous value " + std::to_string(r.result) +
                               ", expected " + std::to_string(previous));
    ++previous;
    if (i >= warmup) ns.push_back(ns_between(t0, t1));
  }
  return ns;
}

}  // namespace

RoundTripRun live_round_trip(LiveSession& session, const RoundTripSpec& spec) {
  const Snapshot before = snapshot(session);
  std::uint32_t previous = before.observable(0);
  const WorkItem item = make_item(abi::OP_ATOMIC_ADD, 0, 0);
  RoundTripRun run;
  run.wait_ns = round_trip_samples(session, item, spec.warmup, spec.samples, false, spec.timeout, previous, false,
                                   &run.submit_ns);
  run.poll_ns = round_trip_samples(session, item, spec.warmup, spec.samples, true, spec.timeout, previous, false);
  const std::uint32_t items = 2 * (spec.warmup + spec.samples);
  const Snapshot after = settled_snapshot(
      session, [&](const Snapshot& s) { return s.done() - before.done() >= items; }, spec.timeout);
  if (after.observable(0) - before.observable(0) != items || after.done() - before.done() != items ||
      after.faults() != before.faults())
    throw std::runtime_error("round trip: word 0 grew by " +
                             std::to_string(after.observable(0) - before.observable(0)) + " and DONE_COUNT by " +
                             std::to_string(after.done() - before.done()) + " for " + std::to_string(items) + " items");
  return run;
}

ThroughputRun live_throughput(LiveSession& session, const ThroughputSpec& spec, const Megakernel* compact) {
  if (spec.producers == 0 || spec.batch == 0 || spec.window == 0)
    throw std::runtime_error("throughput: producers, batch and window must be positive");
  const std::vector<WorkItem> batch =
      compact != nullptr ? std::vector<WorkItem>{} : make_batch(spec.opcode, 0, spec.batch, OBSERVABLE_WORDS);
  // Compact: each producer's batch (the same items as `batch`: item k adds 1 to word
  // k % OBSERVABLE_WORDS) built once with a BatchBuilder, in page-locked memory on CUDA.
  std::vector<BatchBuilder> builders;
  std::vector<BatchView> views;
  if (compact != nullptr) {
    for (std::uint32_t p = 0; p < spec.producers; ++p) {
      builders.push_back(
          must(BatchBuilder::make(*compact, BatchShape::uniform(spec.opcode, 0, 2), spec.batch), "BatchBuilder::make"));
      Word* r = builders.back().append(spec.batch);
      for (std::uint32_t k = 0; k < spec.batch; ++k) r[2 * k] = k % OBSERVABLE_WORDS, r[2 * k + 1] = 1;
    }
    for (const BatchBuilder& b : builders) views.push_back(b.view());
  }
  const std::uint64_t per_round = std::uint64_t{spec.batch} * spec.producers;
  std::uint64_t batches = std::max<std::uint64_t>(1, (spec.items_per_rep + per_round - 1) / per_round);
  ThroughputRun run;
  const std::uint64_t rejected_before = session.stats().rejected_full;

  for (std::uint32_t rep = 0; rep < spec.warmup_reps + spec.reps; ++rep) {
    run.items_per_rep = batches * per_round;
    const std::uint64_t adds = spec.opcode == abi::OP_ATOMIC_ADD ? run.items_per_rep : 0;
    const Snapshot before = snapshot(session);
    FirstError error;
    std::atomic<bool> go{false};
    ProducerTime time;
    std::vector<std::thread> threads;
    threads.reserve(spec.producers);
    for (std::uint32_t p = 0; p < spec.producers; ++p) {
      if (compact != nullptr)
        threads.emplace_back(produce_compact, std::ref(session), &views[p], batches, spec.window, spec.timeout,
                             std::cref(go), std::ref(error), &time);
      else
        threads.emplace_back(produce, std::ref(session), std::span<const WorkItem>(batch), batches, spec.window,
                             spec.timeout, std::cref(go), nullptr, nullptr, std::ref(error), &time);
    }
    const auto t0 = Clock::now();
    go.store(true, std::memory_order_release);
    for (auto& t : threads) t.join();
    error.rethrow();
    must(session.drain(spec.timeout), "LiveSession::drain");
    const auto t1 = Clock::now();
    const double rep_ns = ns_between(t0, t1);
    if (rep >= spec.warmup_reps) {
      run.rep_ns.push_back(rep_ns);
      const double items = static_cast<double>(batches * per_round);
      run.submit_ns_per_item.push_back(static_cast<double>(time.submit_ns.load()) / items);
      run.wait_ns_per_item.push_back(static_cast<double>(time.wait_ns.load()) / items);
    }

    // Every rep is checked, the warm-up (before anything is timed) first.
    const auto items32 = static_cast<std::uint32_t>(run.items_per_rep);  // DONE_COUNT wraps at 2^32
    const Snapshot after = settled_snapshot(
        session, [&](const Snapshot& s) { return s.done() - before.done() == items32; }, spec.timeout);
    const std::uint64_t grew = after.observable_sum(0, OBSERVABLE_WORDS) - before.observable_sum(0, OBSERVABLE_WORDS);
    if (grew != adds || after.done() - before.done() != items32 || after.faults() != before.faults())
      throw std::runtime_error("throughput rep " + std::to_string(rep) + " with " + std::to_string(spec.producers) +
                               " producers: observables grew by " + std::to_string(grew) + " (expected " +
                               std::to_string(adds) + "), DONE_COUNT by " +
                               std::to_string(after.done() - before.done()) + " (expected " + std::to_string(items32) +
                               "), FAULT_COUNT by " + std::to_string(after.faults() - before.faults()));
    const auto max_rep_ns = static_cast<double>(spec.max_rep.count());
    if (rep + 1 == spec.warmup_reps && rep_ns > max_rep_ns) {
      batches =
          std::max<std::uint64_t>(1, static_cast<std::uint64_t>(static_cast<double>(batches) * max_rep_ns / rep_ns));
      run.reduced = true;
    }
  }
  run.rejected_full = session.stats().rejected_full - rejected_before;
  return run;
}

FairnessRun live_fairness(LiveSession& session, const FairnessSpec& spec) {
  const Snapshot before = snapshot(session);
  if (before.words[abi::CTRL_TENANT_COUNT] < 2) throw std::runtime_error("fairness needs a session with 2 tenants");
  const std::vector<WorkItem> flood = make_batch(abi::OP_ATOMIC_ADD, 0, spec.batch, FLOOD_WORDS);
  const WorkItem probe = make_item(abi::OP_ATOMIC_ADD, 1, PROBE_WORD);
  const std::uint64_t rejected_before = session.stats().rejected_full;
  std::uint32_t previous = before.observable(PROBE_WORD);
  FairnessRun run;

  run.alone_ns = round_trip_samples(session, probe, spec.warmup, spec.samples, false, spec.timeout, previous, true);

  FirstError error;
  std::atomic<bool> go{false}, stop{false};
  std::atomic<std::uint64_t> retired{0};
  std::vector<std::thread> threads;
  for (std::uint32_t t = 0; t < spec.flood_threads; ++t)
    threads.emplace_back(produce, std::ref(session), std::span<const WorkItem>(flood), 0, spec.window, spec.timeout,
                         std::cref(go), &stop, &retired, std::ref(error), nullptr);
  go.store(true, std::memory_order_release);
  auto stop_flood = [&] {
    stop.store(true, std::memory_order_relaxed);
    for (auto& t : threads)
      if (t.joinable()) t.join();
  };
  try {
    // Let the flood fill its quota before tenant 1 is measured.
    const std::uint64_t ramp = 4ull * spec.window * spec.batch * spec.flood_threads;
    const auto deadline = Clock::now() + spec.timeout;
    while (retired.load(std::memory_order_relaxed) < ramp && !error.any()) {
      if (Clock::now() >= deadline)
        throw std::runtime_error("fairness: the flooding tenant retired only " + std::to_string(retired.load()) +
                                 " items in " + ms(spec.timeout));
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    // The flood's rate alone (the baseline of its rate while tenant 1 is measured): a
    // 50 ms measurement window, timed, not a synchronisation.
    if (!error.any()) {
      const std::uint64_t a0 = retired.load(std::memory_order_relaxed);
      const auto ta = Clock::now();
      while (Clock::now() - ta < std::chrono::milliseconds(50) && !error.any()) std::this_thread::yield();
      run.flood_alone_items = retired.load(std::memory_order_relaxed) - a0;
      run.flood_alone_ns = ns_between(ta, Clock::now());
    }
    if (!error.any()) {
      const std::uint64_t r0 = retired.load(std::memory_order_relaxed);
      const auto t0 = Clock::now();
      run.flooded_ns =
          round_trip_samples(session, probe, spec.warmup, spec.samples, false, spec.timeout, previous, true);
      const auto t1 = Clock::now();
      run.flood_items_in_window = retired.load(std::memory_order_relaxed) - r0;
      run.flood_window_ns = ns_between(t0, t1);
    }
  } catch (...) {
    stop_flood();
    throw;
  }
  stop_flood();
  error.rethrow();
  must(session.drain(spec.timeout), "LiveSession::drain");
  run.flood_items_total = retired.load();
  run.rejected_full = session.stats().rejected_full - rejected_before;

  const std::uint32_t probes = 2 * (spec.warmup + spec.samples);
  const auto flood32 = static_cast<std::uint32_t>(run.flood_items_total);
  const Snapshot after = settled_snapshot(
      session,
      [&](const Snapshot& s) {
        return s.tenant_done(0) - before.tenant_done(0) == flood32 &&
               s.tenant_done(1) - before.tenant_done(1) == probes;
      },
      spec.timeout);
  const std::uint64_t flood_grew = after.observable_sum(0, FLOOD_WORDS) - before.observable_sum(0, FLOOD_WORDS);
  const std::uint32_t probe_grew = after.observable(PROBE_WORD) - before.observable(PROBE_WORD);
  if (flood_grew != run.flood_items_total || probe_grew != probes ||
      after.tenant_done(0) - before.tenant_done(0) != flood32 ||
      after.tenant_done(1) - before.tenant_done(1) != probes || after.faults() != before.faults())
    throw std::runtime_error("fairness: tenant 0 words grew by " + std::to_string(flood_grew) + " for " +
                             std::to_string(run.flood_items_total) + " items, tenant 1's word by " +
                             std::to_string(probe_grew) + " for " + std::to_string(probes) + "; tenant DONE counters " +
                             std::to_string(after.tenant_done(0) - before.tenant_done(0)) + " / " +
                             std::to_string(after.tenant_done(1) - before.tenant_done(1)));
  return run;
}

}  // namespace mk::bench::live
