// LiveSession: one interpreter kernel (CUDA) or set of worker threads (CPU) keeps
// running while any number of host threads stream work items into its ring.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "mk/batch.h"
#include "mk/error.h"
#include "mk/protocol.h"

namespace mk {

class Megakernel;

namespace detail {
struct LiveState;
struct LiveTestAccess;
struct TicketState;
}  // namespace detail

struct LiveOptions {
  // Ring slots (each submit takes one slot per item; a batch larger than this is
  // rejected). Power of two not required.
  std::uint32_t slot_count = 4096;
  // Control buffer shape when `control` is empty: every tenant below tenant_count is
  // enabled, may run every opcode and sees the whole observable region (encode_control).
  std::uint32_t tenant_count = 1;
  std::uint32_t observable_count = 1024;
  // Initial control words (encode_control + set_tenant_policy); empty: see above.
  std::vector<std::uint32_t> control;
  // Fairness: most slots one tenant may hold in flight; 0 = slot_count (no quota).
  // A tenant over its quota gets QueueFull while other tenants still find room. Items of
  // compact batches count one each, like the slots of WorkItems.
  std::uint32_t max_in_flight_per_tenant = 0;
  // The watchdog turns "work pending, and neither HEARTBEAT nor DONE_COUNT moved for this
  // long" or a dead kernel into an Error from wait/submit within 2x this.
  std::chrono::milliseconds watchdog_timeout{2000};
  // Lanes polling the ring; 0 = backend default: on the CPU one worker thread per
  // hardware thread, on CUDA one thread per slot up to what the GPU holds at once.
  // Slot s belongs to lane s % lanes. The Megakernel's geometry plays no part here.
  std::uint32_t lanes = 0;
  // Longest idle back-off of a polling lane; bounds the added latency when idle.
  std::chrono::nanoseconds max_idle_backoff{2000};
  // CUDA: most SMs the live kernel may occupy (one 128-lane block per SM, so lanes <=
  // 128 x max_sms); 0 = as many as the ring needs. The other SMs stay free for kernels
  // the process launches on other streams while the session runs. The CPU backend
  // ignores it (use `lanes`).
  // @warning Anything that synchronises the whole device (cudaDeviceSynchronize, cudaFree,
  // a cooperative launch sized to the whole GPU) still waits for the session to end,
  // bounded or not: use streams and events beside a live session.
  // @warning With lazy module loading (the CUDA 12.2+ default) the first launch of a kernel
  // whose module is not loaded yet may wait for the running live kernel: load the kernels
  // you will launch beside a session before starting it (cudaFuncGetAttributes on each, or
  // CUDA_MODULE_LOADING=EAGER).
  std::uint32_t max_sms = 0;
  // Mapped host memory for compact batches in flight (submit(const BatchView&)): their
  // records and results, allocated once at start and reused in ring order. A compact
  // batch larger than this is rejected; 0 = no compact submits.
  std::size_t compact_arena_bytes = std::size_t{8} << 20;
  // Isolated backends (include/mk/isolate.h): after a worker restart, items that were in
  // flight run again when true (every item must then be safe to run twice); when false
  // they end FAULT with FAULT_DEVICE_LOST and wait() names them in a DeviceLost error.
  // In-process backends ignore it (a device fault there ends the session).
  bool idempotent = false;
};

// Terminal state of one submitted item.
struct ItemResult {
  std::uint32_t status = 0;  // abi::STATUS_DONE or abi::STATUS_FAULT
  std::uint32_t result = 0;  // RESULT word: the op's value, or the fault code
  friend bool operator==(const ItemResult&, const ItemResult&) = default;
};

// The results of a compact batch (submit(const BatchView&)), laid out as BatchOutput's:
// results[i] is item i's RESULT (its fault code where faulted(i)), bit i % 32 of
// fault_bits[i / 32] is set when item i ended FAULT.
struct TicketBatchResults {
  ConstWordSpan results;
  ConstWordSpan fault_bits;
  bool faulted(std::uint32_t item) const noexcept { return batch_item_faulted(fault_bits, item); }
};

// A submitted batch. Copyable handle; results stay readable as long as any copy lives,
// even after the ring slots were reused.
class Ticket {
 public:
  Ticket() = default;
  std::uint64_t sequence() const noexcept;  // ring position of the first item
  std::uint32_t size() const noexcept;
  // Every item of this ticket reached DONE or FAULT (items of other tickets, earlier in
  // the ring, may still run: completion is per ticket, not in ring order).
  bool ready() const noexcept;
  // Per-item results in submit order; empty until ready(). Empty for a compact ticket
  // too: its results are batch_results() (no 8-byte record per item is kept).
  std::span<const ItemResult> results() const noexcept;
  // A ticket of submit(const BatchView&).
  bool compact() const noexcept;
  // A compact ticket's RESULT words and fault bitmap; empty until ready(), and for a
  // ticket of WorkItems.
  TicketBatchResults batch_results() const noexcept;
  // Item `item`'s outcome, for either kind of ticket; {0, 0} until ready() or past size().
  ItemResult item(std::uint32_t item) const noexcept;
  std::uint32_t fault_count() const noexcept;  // valid once ready()
  explicit operator bool() const noexcept { return m_state != nullptr; }

 private:
  friend class LiveSession;
  friend struct LiveTestWire;
  explicit Ticket(std::shared_ptr<detail::TicketState> state) : m_state(std::move(state)) {}
  std::shared_ptr<detail::TicketState> m_state;
};

// Counters of the host side of a session.
struct LiveStats {
  std::uint64_t submitted = 0;      // items accepted by submit (compact items included)
  std::uint64_t completed = 0;      // items whose slots were reclaimed (ring order; a ticket may be ready first)
  std::uint64_t in_flight = 0;      // submitted - completed
  std::uint64_t positions = 0;      // ring positions taken so far: one per WorkItem, one per compact chunk
  std::uint64_t rejected_full = 0;  // submits refused with QueueFull
  std::uint32_t heartbeat = 0;      // last HEARTBEAT the host saw
  std::uint32_t done_count = 0;     // last DONE_COUNT the host saw
  // Slot reads the lanes rejected as torn or stale (a chunk's tag from another write, a
  // bad checksum) and read again instead of running; on CUDA it trails by one poll.
  std::uint64_t wire_rejects = 0;
  // Isolated backends: worker restarts this session lived through, items marked lost
  // (FAULT_DEVICE_LOST) and items run again after a restart (idempotent sessions).
  std::uint64_t restarts = 0;
  std::uint64_t lost = 0;
  std::uint64_t replayed = 0;
  std::string last_fault;  // what the last worker fault was and which items it hit ("" if none)
};

class LiveSession {
 public:
  // Start the kernel (or worker threads) of `megakernel`'s backend and pipeline.
  // Unsupported when the backend has no live sessions.
  static Result<LiveSession> start(const Megakernel& megakernel, LiveOptions options = {});

  LiveSession(LiveSession&&) noexcept;
  LiveSession& operator=(LiveSession&&) noexcept;
  // Shuts the kernel down and joins; items still in flight finish first when the kernel
  // is healthy (bounded by the watchdog timeout).
  ~LiveSession();

  // Publish a whole batch or nothing; safe from any number of threads (lock-free slot
  // reservation). QueueFull when the ring or the tenant's quota has no room; the
  // watchdog's error once the kernel failed. BATCH_FENCE items are rejected (a ticket
  // is the live session's fence), and so are SHUTDOWN items (shutdown() ends a session).
  Result<Ticket> submit(std::span<const WorkItem> items);
  // Like submit, but waits up to `timeout` for room (bounded blocking backpressure).
  Result<Ticket> submit_wait(std::span<const WorkItem> items, std::chrono::nanoseconds timeout);
  // Publish a compact batch (include/mk/batch.h: a BatchBuilder's view(), or records in
  // the documented layout) whole or not at all. Its records are copied into the session's
  // arena, so `batch` may be reused as soon as this returns; each chunk of at most
  // abi::LIVE_BATCH_CHUNK_ITEMS items takes one ring position. Items run with
  // dispatch_batch's semantics (docs/bulk.md): the batch is validated whole first
  // (InvalidArgument naming the item and field; BATCH_FENCE, LOAD_MISS and SHUTDOWN are
  // refused) and item i is slot i for LAST_FAULT_SLOT. The tenant quota counts items.
  // Results: Ticket::batch_results(). QueueFull when the ring, the arena or a quota has
  // no room now.
  Result<Ticket> submit(const BatchView& batch);
  Result<Ticket> submit_wait(const BatchView& batch, std::chrono::nanoseconds timeout);

  // Wait until every item of `ticket` finished: true when it did, false on timeout (the
  // ticket stays valid); an Error when the watchdog found the kernel stalled or dead, or
  // (isolated backends) a DeviceLost Error naming the items of this ticket that were lost
  // in a worker fault; the ticket is then ready and those items read FAULT_DEVICE_LOST.
  Result<bool> wait(const Ticket& ticket, std::chrono::nanoseconds timeout);
  // Harvest finished slots without blocking; returns how many items completed.
  Result<std::uint64_t> poll();
  // Wait until everything submitted so far has finished and DONE_COUNT counts it, so a
  // read_control() after drain() sees exact counters.
  Status drain(std::chrono::nanoseconds timeout);
  // Stop the kernel after in-flight items finish (or the timeout); later submits fail.
  Status shutdown(std::chrono::nanoseconds timeout);

  // The whole control buffer now (counters, metrics, tenants, observables), read while
  // the kernel runs.
  Result<std::vector<std::uint32_t>> read_control() const;
  // The same as bytes, the form every read_* helper takes:
  // read_observable(value_or_throw(session.read_control_bytes()), 3).
  Result<Bytes> read_control_bytes() const;
  // Counters of this session so far, as one snapshot.
  LiveStats stats() const;
  // The watchdog's verdict: ok while the kernel is healthy.
  Status health() const;
  std::uint32_t slot_count() const noexcept;
  std::uint32_t lanes() const noexcept;  // lanes actually polling

 private:
  explicit LiveSession(std::unique_ptr<detail::LiveState> state);
  // Test hooks (src/core/live_test_hooks.h, not installed).
  friend struct detail::LiveTestAccess;
  friend struct LiveTestWire;
  std::unique_ptr<detail::LiveState> m_state;
};

}  // namespace mk
