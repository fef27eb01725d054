// Conformance harness: table-driven cases run on every backend, checked against their
// own expectations and compared word for word with the CPU-deterministic oracle.
//
// What this catches: a backend (or a change to interp/) whose observable behaviour
// differs from docs/reference.md sections 1-3 or from the reference CPU run: wrong RESULTs,
// counters, fault codes, stray writes, lost or duplicated completions.
//
// Order-dependent words. Several lanes may run slots in any order, so these words may
// legitimately differ between two correct runs; the oracle comparison skips them and
// the harness checks an order-independent property instead:
//   control HEARTBEAT (10)         number of sweeps: a scheduling artefact. Never compared.
//   control LAST_FAULT_SLOT (9)    the last of several faults to settle. Compared only when
//                                  the oracle saw at most one fault.
//   control LAST_FENCE_TAG (7)     with fences that do not wait on each other, whichever
//                                  settles last. Compared unless the case marks it racy
//                                  (nested fences are ordered, so they are compared).
//   ring RESULT of racing slots    ATOMIC_ADD / COMPARE_SWAP on a word other slots also
//                                  touch (previous value), independent BATCH_FENCEs (the
//                                  EPOCH each saw), PRINTF (the claimed record index).
//                                  Cases list them; PRINTF results are always racy when a
//                                  case has two or more PRINTFs. Checked instead as
//                                  multisets (e.g. PRINTF results are distinct, < CURSOR).
//   debug log records              record i is whichever PRINTF claimed i first: compared
//                                  as a multiset of (fmt, tenant, slot, args); when records
//                                  were dropped, which ones survived is order-dependent
//                                  too, so only their count is compared and each record
//                                  must match a distinct PRINTF slot of the case.
//   I/O queue entries              which entry a LOAD_MISS got (and so the stale OP,
//                                  SOURCE, DEST, ... words left in it) depends on who
//                                  posted first. Entry STATUS words are compared (all
//                                  EMPTY once every slot settled). HEAD counts requests
//                                  ever posted, so its final value is order-independent
//                                  and is compared.
//   observables a case marks racy  none of the built-in cases race stores on one word,
//                                  but a case may mark words it cannot predict.
// Everything else (every other control word, every observable, every ring word, the
// log and queue headers, CURSOR) must match the oracle exactly.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mk/megakernel.h"

namespace mk::conformance {

using u32 = std::uint32_t;

// One backend configuration the suite runs a case on: a registered backend and its options.
struct BackendVariant {
  std::string label;  // the test-name suffix
  std::string name;   // make_backend's name
  BackendOptions options;
};
// The variants, from the backend registry (mk::list_backends()): the oracle first ("cpu_det":
// one thread, slots in order), the CPU again with 4 threads and in a supervised worker process
// ("cpu_isolated", so every case also proves the isolation layer forwards one-shot and batch
// dispatch faithfully), then every other registered backend by its name with default options.
const std::vector<BackendVariant>& backend_variants();
const BackendVariant& oracle_variant();

// Failures found by a check, one line each. A case passes when this stays empty.
using Errors = std::vector<std::string>;

struct TenantSetup {
  u32 tenant = 0;
  std::optional<std::uint64_t> allow;  // set_tenant_policy (with window)
  std::optional<Window> window;
  std::optional<bool> enabled;  // try_set_tenant_flags (with admin)
  std::optional<bool> admin;
};

struct IoSourceSpec {
  u32 id = 0;
  std::vector<std::byte> bytes;
  bool as_file = false;  // registered with IoSources::add_file from a temporary file
};

// An item and how the harness publishes it: publish_slot by default,
// try_publish_packed_slot for packed ops, try_batch_publish for a batch (items and the
// trailing fence), or try_encode_work_items_ring_into for a whole-ring case.
struct Placed {
  u32 slot = 0;
  WorkItem item;
  std::optional<std::vector<PackedOp>> packed_ops;
  int batch = -1;  // index into Case::batches
};

struct BatchSpec {
  u32 first_slot = 0;
  std::vector<WorkItem> items;
  u32 tag = 0;
  u32 fence_tenant = 0;
};

struct SlotExpect {
  u32 status = abi::STATUS_EMPTY;
  u32 result = 0;
  bool check_result = true;
};

// A debug record as a multiset element (the record index is order-dependent).
struct RecordExpect {
  u32 fmt = 0;
  u32 tenant = 0;
  u32 slot = 0;
  std::array<u32, abi::REC_MAX_ARGS> args{};
  auto operator<=>(const RecordExpect&) const = default;
};

struct RunOutput {
  OutputBuffers input;   // buffers as handed to the dispatch
  OutputBuffers output;  // buffers after it
  Readback readback;
  DispatchStats stats;
};

enum class Runner { Auto, InPlace, UntilIdle };

// One conformance case. Built with the chainable setters below; every placed item
// must get a slot expectation (the harness refuses a case that forgets one).
class Case {
 public:
  explicit Case(std::string name) : name(std::move(name)) {}

  // --- setup
  Case& geometry(u32 slots, u32 workgroup) {
    slot_count = slots, wg = workgroup;
    return *this;
  }
  Case& tenants(u32 count) {
    tenant_count = count;
    return *this;
  }
  Case& observables(u32 count) {
    observable_count = count;
    return *this;
  }
  Case& policy(u32 tenant, std::uint64_t allow, Window window);
  Case& flags(u32 tenant, bool enabled, bool admin);
  Case& init(u32 at, std::vector<u32> words);
  Case& item(u32 slot, u32 opcode, u32 tenant, std::vector<u32> args);
  Case& raw(u32 slot, const WorkItem& item);
  Case& packed(u32 slot, u32 tenant, std::vector<PackedOp> ops);
  Case& fence(u32 slot, u32 first, u32 count, u32 tag, u32 tenant = 0);
  // Items in first_slot.. and a BATCH_FENCE right after them (batch_publish layout).
  Case& batch(u32 first_slot, std::vector<WorkItem> batch_items, u32 tag, u32 fence_tenant = 0);
  // Publish with try_encode_work_items_ring_into (items must fill slots 0..n-1).
  Case& whole_ring() {
    encode_whole_ring = true;
    return *this;
  }
  Case& debug_log(u32 capacity) {
    log_capacity = capacity;
    return *this;
  }
  Case& io_queue(u32 capacity) {
    io_capacity = capacity;
    return *this;
  }
  Case& source(u32 id, std::vector<std::byte> bytes, bool as_file = false);
  Case& run_with(Runner r) {
    runner = r;
    return *this;
  }

  // --- expectations
  Case& done(u32 slot, u32 result);
  Case& done_any(u32 slot);  // DONE, RESULT order-dependent (also marks it racy)
  Case& fault(u32 slot, u32 code);
  Case& stays(u32 slot, u32 status);  // e.g. PUBLISHED for a fence that can never complete
  Case& obs(u32 index, u32 value);
  Case& obs_range(u32 at, std::vector<u32> values);
  Case& metric(u32 opcode, u32 extra_count);  // added to the count derived from DONE slots
  Case& epoch(u32 value) {
    expect_epoch = value;
    return *this;
  }
  Case& fence_tag(u32 value) {
    expect_fence_tag = value;
    return *this;
  }
  Case& shutdown(u32 value) {
    expect_shutdown = value;
    return *this;
  }
  Case& last_fault_slot(u32 slot) {
    expect_last_fault_slot = slot;
    return *this;
  }
  Case& record(u32 fmt, u32 tenant, u32 slot, std::vector<u32> args);
  Case& no_records() {
    expect_records = std::vector<RecordExpect>{};
    return *this;
  }
  Case& log_claimed(u32 cursor, u32 dropped) {
    expect_cursor = cursor, expect_dropped = dropped;
    return *this;
  }
  Case& io_head(u32 value) {
    expect_io_head = value;
    return *this;
  }
  Case& min_rounds(u32 value) {
    expect_min_rounds = value;
    return *this;
  }
  Case& racy_result(u32 slot) {
    racy_results.insert(slot);
    return *this;
  }
  Case& racy_fence_tag() {
    racy_tag = true;
    return *this;
  }
  Case& racy_observable(u32 index) {
    racy_observables.insert(index);
    return *this;
  }
  Case& check(std::function<void(const RunOutput&, Errors&)> fn) {
    extra_checks.push_back(std::move(fn));
    return *this;
  }

  // --- data (public so the harness and tests can inspect a case)
  std::string name;
  u32 slot_count = 256;
  u32 wg = 64;
  u32 tenant_count = 1;
  u32 observable_count = 1024;
  std::vector<TenantSetup> tenant_setup;
  std::vector<std::pair<u32, std::vector<u32>>> initial;
  std::vector<Placed> items;
  std::vector<BatchSpec> batches;
  bool encode_whole_ring = false;
  std::optional<u32> log_capacity;
  std::optional<u32> io_capacity;
  std::vector<IoSourceSpec> sources;
  Runner runner = Runner::Auto;

  std::map<u32, SlotExpect> slots;
  std::map<u32, u32> expect_obs;
  std::map<u32, u32> extra_metrics;
  std::optional<u32> expect_epoch, expect_fence_tag, expect_shutdown, expect_last_fault_slot;
  std::optional<std::vector<RecordExpect>> expect_records;
  std::optional<u32> expect_cursor, expect_dropped, expect_io_head, expect_min_rounds;
  std::set<u32> racy_results;
  bool racy_tag = false;
  std::set<u32> racy_observables;
  std::vector<std::function<void(const RunOutput&, Errors&)>> extra_checks;
};

// The backend a variant names, or nullptr with `why` set. `skip` tells a legitimate
// absence (the registry says it is unavailable here, e.g. no CUDA device, or it reports
// Unsupported) from a failure (an available backend that cannot start).
std::shared_ptr<Backend> make_backend_for(const BackendVariant& variant, std::string& why, bool& skip);

// Build the buffers, dispatch and decode. Any API error is appended to `errors`.
std::optional<RunOutput> run_case(const Case& c, std::shared_ptr<Backend> backend, Errors& errors);

// The case's own expectations plus the invariants every run must satisfy.
void check_case(const Case& c, const RunOutput& run, Errors& errors);

// Word-for-word comparison of every order-independent word with the oracle's run.
void compare_with_oracle(const Case& c, const RunOutput& oracle, const RunOutput& run, Errors& errors);

// Problems with the case definition itself (an item without an expectation, ...).
void validate_case(const Case& c, Errors& errors);

// A check that the RESULTs of `slots` are, as a multiset, exactly `values` (for slots
// whose individual RESULT is order-dependent, e.g. racing ATOMIC_ADDs or PRINTFs).
std::function<void(const RunOutput&, Errors&)> result_multiset(std::vector<u32> slots, std::vector<u32> values);

// A work item (for batches).
WorkItem work(u32 opcode, u32 tenant, std::vector<u32> args);

// Convenience for expectations.
std::vector<std::byte> bytes_of(std::initializer_list<unsigned> values);
std::vector<std::byte> pattern_bytes(std::size_t count, unsigned seed);
// u32 little-endian words of `bytes` from byte `offset`, `count` bytes, zero-padded.
std::vector<u32> le_words(const std::vector<std::byte>& bytes, std::size_t offset, std::size_t count);

}  // namespace mk::conformance
