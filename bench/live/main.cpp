// mk_bench_live: LiveSession round trip, streaming throughput and tenant fairness, each
// against baselines timed in the same run (raw mapped-memory ping-pong and the protocol
// ladder above it, launch + sync, a raw mapped ring, a device-memory ring, per-item
// launches, a per-item CUDA graph, plain CPU loops).
// Prints a table and writes JSON (--json FILE); any error exits 1.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/cli.h"
#include "cpu_baselines.h"
#include "live_cases.h"
#include "mk/mk.h"
#include "must.h"
#include "report.h"

#if MK_BENCH_HAVE_CUDA
#include "raw_baselines.cuh"
#include "raw_ladder.cuh"
#endif

namespace {

namespace lb = mk::bench::live;
using lb::Case;
using lb::CaseKind;
using lb::Group;

constexpr auto WATCHDOG = std::chrono::seconds(5);
constexpr std::uint64_t ROUND_TRIP_TIMEOUT_NS = 1000000000;  // 1 s per single item

struct Options {
  std::string json_path;
  std::string backend = "auto";
  bool quick = false;
  std::string op = "add";
  bool round_trip = true, throughput = true, fairness = true;  // --groups
  std::optional<std::uint32_t> samples, reps, batch, window, slots, quota, backoff_ns, compact_batch;
  std::optional<std::uint64_t> items;
};

// Everything a run uses, after --quick and explicit options were applied.
struct Settings {
  std::uint32_t rt_samples = 2000, rt_warmup = 200;
  std::uint32_t fair_samples = 1000, fair_warmup = 100;
  std::uint32_t reps = 5, warmup_reps = 1;
  std::uint64_t items = 10000000;
  std::uint32_t launch_items = 10000, launch_samples = 10, launch_warmup = 2;
  std::uint32_t batch = 256, window = 8;
  // Items per compact submit (live_compact_* rows): 32 chunks of 256, so the chunks of the
  // tickets in flight spread over the warps of many lanes.
  std::uint32_t compact_batch = 8192;
  std::uint32_t slots = 65536, rt_slots = 4096;
  std::uint32_t quota = 2048;  // the fairness session's per-tenant quota (rt_slots / 2)
  // Idle back-off of the live lanes, and of the raw baselines that copy it.
  std::uint32_t backoff_ns = static_cast<std::uint32_t>(mk::LiveOptions{}.max_idle_backoff.count());
  std::uint32_t opcode = mk::abi::OP_ATOMIC_ADD;
};

std::uint64_t parse_number(const std::string& flag, const std::string& text) {
  try {
    std::size_t used = 0;
    const double v = std::stod(text, &used);  // accepts 1e7
    if (used == text.size() && v >= 1 && v <= 1e15) return static_cast<std::uint64_t>(v);
  } catch (const std::exception&) {}
  throw CLI::ValidationError(flag, "needs a positive number, got '" + text + "'");
}

// The flags, each parsed as before: numbers may be written 1e7; u32 ones clamp at 2^32-1.
void add_flags(CLI::App& app, Options& o) {
  const auto u32 = [&app](const std::string& flag, std::optional<std::uint32_t>& out, const std::string& what) {
    app.add_option_function<std::string>(
           flag,
           [flag, &out](const std::string& v) {
             out = static_cast<std::uint32_t>(std::min<std::uint64_t>(parse_number(flag, v), 0xFFFFFFFFu));
           },
           what)
        ->type_name("N");
  };
  app.add_option("--json", o.json_path, "write every case and sample here")->type_name("FILE");
  std::vector<std::string> backends{"auto"};  // a selector, then the registry's backends
  for (const std::string& name : mk::backend_names()) backends.push_back(name);
  app.add_option("--backend", o.backend, "auto or a registered backend")->check(CLI::IsMember(backends));
  app.add_flag("--quick", o.quick, "fewer samples, 1e6 items per throughput repetition");
  u32("--samples", o.samples, "single-item round trips per case (A; the fairness case C takes N/2)");
  u32("--reps", o.reps, "timed throughput repetitions (B), after one warm-up rep");
  app.add_option_function<std::string>(
         "--items", [&o](const std::string& v) { o.items = parse_number("--items", v); },
         "items per throughput repetition (default 1e7, --quick 1e6)")
      ->type_name("N");
  u32("--batch", o.batch, "items per submit in B and C (default 256)");
  u32("--window", o.window, "outstanding tickets per producer (default 8)");
  u32("--slots", o.slots, "ring slots of the throughput session (default 65536)");
  u32("--quota", o.quota, "per-tenant quota of the fairness session (C; default 2048 of 4096 slots)");
  u32("--backoff-ns", o.backoff_ns, "longest idle sleep of a live lane (LiveOptions::max_idle_backoff)");
  u32("--compact-batch", o.compact_batch, "items per compact submit in B's live_compact rows (default 8192)");
  app.add_option("--op", o.op, "throughput items: ATOMIC_ADD (add, default) or NOP")
      ->check(CLI::IsMember({"add", "nop"}));
  app.add_option_function<std::string>(
         "--groups",
         [&o](const std::string& value) {
           o.round_trip = o.throughput = o.fairness = false;
           const std::string list = value + ",";
           for (std::size_t at = 0, comma; (comma = list.find(',', at)) != std::string::npos; at = comma + 1) {
             const std::string g = list.substr(at, comma - at);
             if (g == "round_trip")
               o.round_trip = true;
             else if (g == "throughput")
               o.throughput = true;
             else if (g == "fairness")
               o.fairness = true;
             else
               throw CLI::ValidationError("--groups", "takes round_trip, throughput and fairness, got '" + g + "'");
           }
         },
         "comma-separated groups to run: round_trip,throughput,fairness (default all three)")
      ->type_name("LIST");
}

Settings resolve(const Options& o) {
  Settings s;
  if (o.quick) {
    s.rt_samples = 300;
    s.rt_warmup = 50;
    s.reps = 2;
    s.items = 1000000;
    s.launch_items = 2000;
    s.launch_samples = 5;
    s.launch_warmup = 1;
  }
  if (o.samples) s.rt_samples = *o.samples;
  s.rt_warmup = std::max(1u, std::min(s.rt_warmup, s.rt_samples / 4));
  s.fair_samples = std::max(1u, s.rt_samples / 2);
  s.fair_warmup = std::max(1u, s.rt_warmup / 2);
  if (o.reps) s.reps = *o.reps;
  if (o.items) s.items = *o.items;
  if (o.batch) s.batch = *o.batch;
  if (o.window) s.window = *o.window;
  if (o.slots) s.slots = *o.slots;
  if (o.quota) s.quota = std::min(*o.quota, s.rt_slots);
  if (o.backoff_ns) s.backoff_ns = *o.backoff_ns;
  if (o.compact_batch) s.compact_batch = *o.compact_batch;
  s.opcode = o.op == "nop" ? mk::abi::OP_NOP : mk::abi::OP_ATOMIC_ADD;
  if (s.batch > s.slots)
    throw std::invalid_argument("--batch " + std::to_string(s.batch) + " does not fit --slots " +
                                std::to_string(s.slots));
  if (std::uint64_t{s.compact_batch} > std::uint64_t{s.slots} * mk::abi::LIVE_BATCH_CHUNK_ITEMS)
    throw std::invalid_argument("--compact-batch " + std::to_string(s.compact_batch) +
                                " needs more chunks than --slots " + std::to_string(s.slots));
  if (s.batch > s.quota)
    throw std::invalid_argument("--batch must be at most " + std::to_string(s.quota) +
                                " (the fairness session's per-tenant quota, --quota)");
  return s;
}

Case make_case(std::string key, std::string label, std::string what, CaseKind kind) {
  Case c;
  c.key = std::move(key);
  c.label = std::move(label);
  c.what = std::move(what);
  c.kind = kind;
  return c;
}

#if MK_BENCH_HAVE_CUDA
void raw_ok(const std::string& error, const char* baseline) {
  if (!error.empty()) throw std::runtime_error(std::string(baseline) + ": " + error);
}

std::string version_text(int v) { return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10); }

#endif

mk::LiveOptions live_options(std::uint32_t slots, const Settings& s) {
  mk::LiveOptions lo;
  lo.slot_count = slots;
  lo.watchdog_timeout = WATCHDOG;
  lo.max_idle_backoff = std::chrono::nanoseconds(s.backoff_ns);
  return lo;
}

Group round_trip_group(const mk::Megakernel& megakernel, const Settings& s, bool on_gpu, const std::string& gpu_skip,
                       lb::RunInfo& info) {
  Group g;
  g.key = "round_trip";
  g.title = "A. single-item round trip: submit -> completion seen by the host";
  Case wait = make_case("live_wait", "live: submit + wait(1 s)", "LiveSession::submit of one ATOMIC_ADD, then wait",
                        CaseKind::Latency);
  Case poll =
      make_case("live_poll_spin", "live: submit + spin on poll()",
                "LiveSession::submit of one ATOMIC_ADD, then poll() until the ticket is ready", CaseKind::Latency);
  Case ping = make_case("raw_pingpong", "raw mapped-memory ping-pong (GPU)",
                        "one persistent GPU thread echoes a word of mapped pinned memory", CaseKind::Latency);
  // The protocol ladder: the live kernel's steps added to the raw ping-pong one at a time,
  // so the gap between raw_pingpong and live_wait can be split by step.
  std::vector<Case> ladder = {
      make_case("ladder_slot_poll", "ladder 1: poll a mapped 16-word slot (GPU)",
                "one GPU thread polls the slot's first 16 bytes; on PUBLISHED a system acquire fence, the rest "
                "of the slot, RESULT then STATUS=DONE with system release",
                CaseKind::Latency),
      make_case("ladder_doorbell", "ladder 2: + doorbell word (GPU)",
                "the host rings a u64 doorbell on its own line after the slot; the thread polls it, fences, reads "
                "the slot in four 16-byte loads and replies as ladder 1",
                CaseKind::Latency),
      make_case("ladder_doorbell_vec_reply", "ladder 3: doorbell, one 16-byte reply (GPU)",
                "as ladder 2, but STATUS and RESULT go back in one 16-byte store with no release fence",
                CaseKind::Latency),
      make_case("ladder_doorbell_relay", "ladder 4: doorbell relayed to a worker (GPU)",
                "as ladder 2, but block 0 polls the doorbell and relays it through device memory to a "
                "spinning worker thread in block 1",
                CaseKind::Latency),
      make_case("ladder_doorbell_relay_sleep", "ladder 5: relay + idle back-off (GPU)",
                "as ladder 4, with the worker backing off by __nanosleep from 32 ns up to max_idle_backoff "
                "(the live kernel's structure before the one-trip wire format)",
                CaseKind::Latency),
      make_case("ladder_one_trip", "ladder 6: one-trip wire slot (GPU)",
                "four 16-byte chunks tagged with the sample's sequence, stored 3..1 then 0; four lanes of a "
                "warp load one chunk each in one instruction, the slot is taken when every tag matches and lane "
                "0 answers with one 8-byte completion record (system release); no doorbell, no relay (the live "
                "kernel's hot worker)",
                CaseKind::Latency),
      make_case("ladder_one_trip_atomic", "ladder 7: one-trip + device atomicAdd (GPU)",
                "as ladder 6, and lane 0 adds 1 to a device-memory word and waits for the previous value before "
                "answering, as a live ATOMIC_ADD item does: the floor of that item",
                CaseKind::Latency),
  };
  Case device_rt = make_case("device_ring_round_trip", "device-memory ring, one item (GPU)",
                             "slot encoded in pinned staging, cudaMemcpyAsync into a device ring, copy waited for, "
                             "mapped doorbell relayed by a poller lane, worker with idle back-off, completion "
                             "written to mapped memory",
                             CaseKind::Latency);
  Case launch = make_case("launch_sync", "cudaLaunchKernel + sync per item (GPU)",
                          "one one-thread atomicAdd kernel launched and synchronised per sample", CaseKind::Latency);
  Case cpu = make_case("cpu_pingpong", "CPU thread ping-pong",
                       "one worker thread echoes an atomic word (the CPU backend's floor)", CaseKind::Latency);

  // Baselines first, while no live kernel holds the GPU.
  if (on_gpu) {
#if MK_BENCH_HAVE_CUDA
    mk::bench::live_raw::RoundTripSpec spec;
    spec.warmup = s.rt_warmup;
    spec.samples = s.rt_samples;
    spec.timeout_ns = ROUND_TRIP_TIMEOUT_NS;
    raw_ok(mk::bench::live_raw::pingpong_round_trip(spec, ping.samples_ns), "raw ping-pong");
    raw_ok(mk::bench::live_raw::launch_sync_round_trip(spec, launch.samples_ns), "launch + sync");
    using mk::bench::live_raw::LadderStep;
    const LadderStep steps[] = {LadderStep::SlotPoll,      LadderStep::Doorbell,           LadderStep::DoorbellVecReply,
                                LadderStep::DoorbellRelay, LadderStep::DoorbellRelaySleep, LadderStep::OneTrip,
                                LadderStep::OneTripAtomic};
    if (std::size(steps) != ladder.size()) throw std::logic_error("one LadderStep per ladder case");
    for (std::size_t k = 0; k < ladder.size(); ++k)
      raw_ok(mk::bench::live_raw::ladder_round_trip(steps[k], spec, s.backoff_ns, ladder[k].samples_ns),
             ladder[k].key.c_str());
    ladder[4].extra = {{"max_idle_backoff_ns", s.backoff_ns}};
    raw_ok(mk::bench::live_raw::device_ring_round_trip(spec, s.backoff_ns, device_rt.samples_ns),
           "device ring round trip");
    device_rt.extra = {{"max_idle_backoff_ns", s.backoff_ns}, {"worker_lanes", 32}};
#endif
  } else {
    ping.skipped = gpu_skip;
    launch.skipped = gpu_skip;
    for (Case& c : ladder) c.skipped = gpu_skip;
    device_rt.skipped = gpu_skip;
  }
  cpu.samples_ns = lb::cpu_pingpong_round_trip(s.rt_warmup, s.rt_samples, ROUND_TRIP_TIMEOUT_NS);

  {
    auto session =
        lb::must(mk::LiveSession::start(megakernel, live_options(s.rt_slots, s)), "LiveSession::start (round trip)");
    info.sessions["round_trip"] = {{"slot_count", session.slot_count()}, {"lanes", session.lanes()}};
    lb::RoundTripSpec spec;
    spec.warmup = s.rt_warmup;
    spec.samples = s.rt_samples;
    spec.timeout = std::chrono::nanoseconds(ROUND_TRIP_TIMEOUT_NS);
    lb::RoundTripRun run = lb::live_round_trip(session, spec);
    wait.samples_ns = std::move(run.wait_ns);
    poll.samples_ns = std::move(run.poll_ns);
    // How much of the round trip is the host's submit (encode, reserve, ring), not the kernel.
    if (!run.submit_ns.empty()) {
      std::sort(run.submit_ns.begin(), run.submit_ns.end());
      wait.extra["submit_ns_median"] = run.submit_ns[run.submit_ns.size() / 2];
    }
    lb::must(session.shutdown(WATCHDOG), "LiveSession::shutdown (round trip)");
  }
  g.cases = {wait, poll, ping};
  g.cases.insert(g.cases.end(), ladder.begin(), ladder.end());
  g.cases.insert(g.cases.end(), {device_rt, launch, cpu});
  g.ratios = {
      {"live_over_raw_pingpong", "live wait / raw ping-pong", "live_wait", "raw_pingpong", 1.4, true},
      // >= 2.7x faster than a launch: live / launch <= 1 / 2.7.
      {"live_over_launch_sync", "live wait / launch+sync", "live_wait", "launch_sync", 1.0 / 2.7, true},
      {"live_poll_over_raw_pingpong", "live poll spin / raw ping-pong", "live_poll_spin", "raw_pingpong", std::nullopt,
       true},
      {"live_over_cpu_pingpong", "live wait / CPU ping-pong", "live_wait", "cpu_pingpong", std::nullopt, true},
      // What the session adds to the raw floor of the same item (ladder 7).
      {"live_over_ladder_one_trip_atomic", "live wait / ladder 7", "live_wait", "ladder_one_trip_atomic", std::nullopt,
       true},
  };
  for (std::size_t k = 0; k < ladder.size(); ++k)
    g.ratios.push_back({ladder[k].key + "_over_raw_pingpong", "ladder " + std::to_string(k + 1) + " / raw ping-pong",
                        ladder[k].key, "raw_pingpong", std::nullopt, true});
  g.ratios.push_back({"device_ring_round_trip_over_raw_pingpong", "device ring, one item / raw ping-pong",
                      "device_ring_round_trip", "raw_pingpong", std::nullopt, true});
  return g;
}

// Empty when `session` takes compact batches; else why not (one NOP item is submitted to ask).
std::string compact_refusal(const mk::Megakernel& megakernel, mk::LiveSession& session) {
  auto builder = lb::must(mk::BatchBuilder::make(megakernel, mk::BatchShape::uniform(mk::abi::OP_NOP, 0, 0)),
                          "BatchBuilder::make");
  builder.append(1);
  auto ticket = session.submit(builder.view());
  if (!ticket) {
    if (ticket.error().kind() == mk::ErrorKind::Unsupported) return "refused: " + std::string(ticket.error().what());
    lb::must(std::move(ticket), "LiveSession::submit (compact probe)");
  }
  lb::must(session.wait(*ticket, WATCHDOG), "LiveSession::wait (compact probe)");
  return {};
}

Group throughput_group(const mk::Megakernel& megakernel, const Settings& s, bool on_gpu, const std::string& gpu_skip,
                       lb::RunInfo& info) {
  Group g;
  g.key = "throughput";
  g.title = "B. streaming throughput (items/s; p99 = items / the 99th-percentile rep time)";
  const std::string op = s.opcode == mk::abi::OP_NOP ? "NOP" : "ATOMIC_ADD";
  Case one = make_case("live_1_producer", "live: 1 producer",
                       "1 thread: submit_wait of " + std::to_string(s.batch) + "-item " + op + " batches, " +
                           std::to_string(s.window) + " tickets outstanding; first submit to drain()",
                       CaseKind::Rate);
  Case four =
      make_case("live_4_producers", "live: 4 producers", "as live_1_producer from 4 threads at once", CaseKind::Rate);
  Case compact_one = make_case(
      "live_compact_1_producer", "live compact: 1 producer",
      "1 thread: submit_wait of a " + std::to_string(s.compact_batch) + "-item compact " + op +
          " batch (BatchBuilder, built once; 2 record words per item), " + std::to_string(s.window) +
          " tickets outstanding; records in host memory to RESULT words in each ticket, first submit to drain()",
      CaseKind::Rate);
  Case compact_four = make_case("live_compact_4_producers", "live compact: 4 producers",
                                "as live_compact_1_producer from 4 threads at once", CaseKind::Rate);
  Case ring = make_case("raw_ring", "raw mapped ring, no interpreter (GPU)",
                        "persistent kernel, session's lane count, 16-word slots in mapped pinned memory, 1 producer",
                        CaseKind::Rate);
  Case device_ring = make_case("device_ring", "device-memory ring, no interpreter (GPU)",
                               "as raw_ring, but batches are copied (cudaMemcpyAsync, up to 4 in flight) into a "
                               "device-memory ring; a poller lane relays a mapped doorbell, lanes write completions "
                               "to mapped memory",
                               CaseKind::Rate);
  Case launches = make_case("per_item_launch", "per-item kernel launches (GPU)",
                            "one <<<1,1>>> atomicAdd launch per item, one sync per sample", CaseKind::Rate);
  Case graph = make_case("cuda_graph", "CUDA graph of per-item nodes (GPU)",
                         "one graph of per-item kernel nodes, replayed per sample", CaseKind::Rate);
  Case cpu = make_case("cpu_loop", "plain CPU loop, 1 thread", "one relaxed atomic add per item into word i % 1024",
                       CaseKind::Rate);

  std::uint32_t lanes = 0;
  {
    mk::LiveOptions throughput_options = live_options(s.slots, s);
    // Room for every producer's window of compact batches (a region is about 3.1 words per
    // 2-word item), twice over.
    const std::uint64_t arena_need = 2ull * 4 * s.window * s.compact_batch * 16;
    throughput_options.compact_arena_bytes = std::max<std::size_t>(throughput_options.compact_arena_bytes, arena_need);
    auto session = lb::must(mk::LiveSession::start(megakernel, throughput_options), "LiveSession::start (throughput)");
    lanes = session.lanes();
    info.lanes = lanes;
    info.slot_count = session.slot_count();
    info.sessions["throughput"] = {{"slot_count", session.slot_count()}, {"lanes", lanes}};
    lb::ThroughputSpec spec;
    spec.opcode = s.opcode;
    spec.batch = s.batch;
    spec.window = s.window;
    spec.items_per_rep = s.items;
    spec.warmup_reps = s.warmup_reps;
    spec.reps = s.reps;
    spec.timeout = WATCHDOG;
    // A session that refuses compact batches (CUDA for now) skips their rows with its reason.
    const std::string compact_refused = compact_refusal(megakernel, session);
    for (Case* c : {&one, &four, &compact_one, &compact_four}) {
      const bool compact = c == &compact_one || c == &compact_four;
      if (compact && !compact_refused.empty()) {
        c->skipped = compact_refused;
        continue;
      }
      spec.producers = c == &one || c == &compact_one ? 1 : 4;
      spec.batch = compact ? s.compact_batch : s.batch;
      lb::ThroughputRun run = lb::live_throughput(session, spec, compact ? &megakernel : nullptr);
      c->items_per_sample = run.items_per_rep;
      c->samples_ns = std::move(run.rep_ns);
      c->extra = {{"producers", spec.producers},
                  {"compact", compact},
                  {"batch", spec.batch},
                  {"window", s.window},
                  {"opcode", op},
                  {"warmup_reps", s.warmup_reps},
                  {"rejected_full", run.rejected_full},
                  {"items_per_rep_reduced", run.reduced},
                  // Producer-thread time per item, summed over producers: inside submit_wait
                  // (host encoding) vs inside wait (the kernel's latency, not hidden).
                  {"submit_ns_per_item", run.submit_ns_per_item},
                  {"wait_ns_per_item", run.wait_ns_per_item}};
      if (run.reduced)
        c->extra["note"] = "the warm-up rep took over 8 s, so the timed reps ran fewer items than --items";
    }
    lb::must(session.shutdown(WATCHDOG), "LiveSession::shutdown (throughput)");
  }

  if (on_gpu) {
#if MK_BENCH_HAVE_CUDA
    namespace raw = mk::bench::live_raw;
    raw::RingSpec rs;
    rs.lanes = lanes;
    rs.slot_count = s.slots;
    rs.batch = s.batch;
    rs.items_per_rep = s.items;
    rs.warmup_reps = s.warmup_reps;
    rs.reps = s.reps;
    rs.atomic_add = s.opcode == mk::abi::OP_ATOMIC_ADD;
    rs.observable_words = lb::OBSERVABLE_WORDS;
    rs.max_backoff_ns = s.backoff_ns;
    raw::RingReport rr;
    raw_ok(raw::raw_ring_throughput(rs, rr), "raw ring");
    ring.items_per_sample = s.items;
    ring.samples_ns = std::move(rr.rep_ns);
    ring.extra = {{"lanes_requested", rr.lanes_requested},
                  {"lanes", rr.lanes},
                  {"slot_count", rr.slot_count},
                  {"threads_per_block", rr.threads_per_block},
                  {"producers", 1},
                  {"opcode", op},
                  {"max_idle_backoff_ns", rs.max_backoff_ns},
                  {"warmup_reps", s.warmup_reps}};
    if (!rr.note.empty()) ring.extra["note"] = rr.note;
    raw::RingReport dr;
    raw_ok(raw::device_ring_throughput(rs, dr), "device ring");
    device_ring.items_per_sample = s.items;
    device_ring.samples_ns = std::move(dr.rep_ns);
    device_ring.extra = {{"lanes_requested", dr.lanes_requested},
                         {"lanes", dr.lanes},
                         {"poller_lanes", 32},
                         {"slot_count", dr.slot_count},
                         {"threads_per_block", dr.threads_per_block},
                         {"producers", 1},
                         {"opcode", op},
                         {"max_idle_backoff_ns", rs.max_backoff_ns},
                         {"warmup_reps", s.warmup_reps}};
    if (!dr.note.empty()) device_ring.extra["note"] = dr.note;
    raw::LaunchSpec ls;
    ls.items = s.launch_items;
    ls.warmup = s.launch_warmup;
    ls.samples = s.launch_samples;
    raw_ok(raw::per_item_launches(ls, launches.samples_ns), "per-item launches");
    raw_ok(raw::per_item_graph(ls, graph.samples_ns), "per-item CUDA graph");
    launches.items_per_sample = graph.items_per_sample = s.launch_items;
#endif
  } else {
    ring.skipped = device_ring.skipped = launches.skipped = graph.skipped = gpu_skip;
  }
  cpu.items_per_sample = s.items;
  cpu.samples_ns = lb::cpu_loop_throughput(s.items, s.warmup_reps, s.reps, lb::OBSERVABLE_WORDS);

  g.cases = {one, four, compact_one, compact_four, ring, device_ring, launches, graph, cpu};
  g.ratios = {
      {"live_1_over_raw_ring", "live 1 producer / raw ring", "live_1_producer", "raw_ring", 0.95, false},
      {"live_4_over_raw_ring", "live 4 producers / raw ring", "live_4_producers", "raw_ring", std::nullopt, false},
      {"device_ring_over_raw_ring", "device-memory ring / raw mapped ring", "device_ring", "raw_ring", std::nullopt,
       false},
      {"live_1_over_per_item_launch", "live 1 producer / per-item launches", "live_1_producer", "per_item_launch",
       std::nullopt, false},
      {"live_1_over_cuda_graph", "live 1 producer / CUDA graph", "live_1_producer", "cuda_graph", std::nullopt, false},
      {"live_1_over_cpu_loop", "live 1 producer / plain CPU loop", "live_1_producer", "cpu_loop", std::nullopt, false},
      {"live_4_over_live_1", "live 4 producers / live 1 producer", "live_4_producers", "live_1_producer", std::nullopt,
       false},
      // Issue #17 item 4: compact batches stream past the per-slot wire ring.
      {"live_compact_1_over_raw_ring", "live compact 1 producer / raw ring", "live_compact_1_producer", "raw_ring", 1.5,
       false},
      {"live_compact_1_over_live_1", "live compact 1 producer / live 1 producer", "live_compact_1_producer",
       "live_1_producer", std::nullopt, false},
      {"live_compact_4_over_raw_ring", "live compact 4 producers / raw ring", "live_compact_4_producers", "raw_ring",
       std::nullopt, false},
  };
  g.absolutes = {
      {"live_4_producers_rate", "live 4 producers, absolute", "live_4_producers", 1.14e8, false},
      {"live_compact_4_producers_rate", "live compact 4 producers, absolute", "live_compact_4_producers", 4e8, false}};
  return g;
}

Group fairness_group(const mk::Megakernel& megakernel, const Settings& s, lb::RunInfo& info) {
  Group g;
  g.key = "fairness";
  g.title = "C. tenant fairness: tenant 1's single-item round trip while tenant 0 floods (ns)";
  Case alone = make_case("tenant1_alone", "tenant 1 round trip, ring idle",
                         "tenant 1: submit_wait of one ATOMIC_ADD, then wait; nothing else running", CaseKind::Latency);
  Case flooded = make_case("tenant1_flooded", "tenant 1 round trip, tenant 0 flooding",
                           "the same while 2 threads of tenant 0 stream batches", CaseKind::Latency);
  Case flood = make_case("tenant0_flood", "tenant 0 flood rate while measured",
                         "tenant 0 items retired while tenant 1 was measured, over that time", CaseKind::Rate);
  Case flood_alone = make_case("tenant0_flood_alone", "tenant 0 flood rate alone",
                               "tenant 0 items retired in 50 ms just before tenant 1 was measured", CaseKind::Rate);
  mk::LiveOptions lo = live_options(s.rt_slots, s);
  lo.tenant_count = 2;
  lo.max_in_flight_per_tenant = s.quota;
  auto session = lb::must(mk::LiveSession::start(megakernel, lo), "LiveSession::start (fairness)");
  info.sessions["fairness"] = {{"slot_count", session.slot_count()},
                               {"lanes", session.lanes()},
                               {"tenant_count", lo.tenant_count},
                               {"max_in_flight_per_tenant", lo.max_in_flight_per_tenant}};
  lb::FairnessSpec spec;
  spec.flood_threads = 2;
  spec.batch = s.batch;
  spec.window = s.window;
  spec.warmup = s.fair_warmup;
  spec.samples = s.fair_samples;
  spec.timeout = WATCHDOG;
  lb::FairnessRun run = lb::live_fairness(session, spec);
  lb::must(session.shutdown(WATCHDOG), "LiveSession::shutdown (fairness)");
  alone.samples_ns = std::move(run.alone_ns);
  flooded.samples_ns = std::move(run.flooded_ns);
  flood.items_per_sample = run.flood_items_in_window;
  flood.samples_ns = {run.flood_window_ns};
  flood.extra = {{"flood_threads", spec.flood_threads},
                 {"batch", s.batch},
                 {"window", s.window},
                 {"items_total", run.flood_items_total},
                 {"rejected_full", run.rejected_full}};
  flood_alone.items_per_sample = run.flood_alone_items;
  flood_alone.samples_ns = {run.flood_alone_ns};
  g.cases = {alone, flooded, flood, flood_alone};
  g.ratios = {
      {"flooded_over_alone", "tenant 1 flooded / alone", "tenant1_flooded", "tenant1_alone", 1.5, true},
      {"flood_kept", "tenant 0 flood while probed / alone", "tenant0_flood", "tenant0_flood_alone", 0.9, false}};
  g.extra = {{"quota_per_tenant", lo.max_in_flight_per_tenant}, {"flood_threads", spec.flood_threads}};
  return g;
}

int run(const Options& o, const Settings& s) {
  const std::string backend_name = o.backend == "auto" ? mk::auto_backend_name() : o.backend;
  auto backend = lb::must(mk::make_backend(backend_name), "make_backend(\"" + backend_name + "\")");
  const bool on_gpu = backend->name() == "cuda";
  const mk::Megakernel megakernel = lb::must(mk::Megakernel::bootstrap(backend), "Megakernel::bootstrap");
  const std::vector<mk::DeviceInfo> devices = backend->devices();
  if (devices.empty()) throw std::runtime_error("the " + backend_name + " backend lists no device");

  lb::RunInfo info;
  info.backend = std::string(backend->name());
  info.device = devices.front().name;
  info.arch = devices.front().arch;
  info.driver = devices.front().driver;
  info.commit = MK_BENCH_COMMIT;
  info.dirty = MK_BENCH_DIRTY != 0;
  info.quick = o.quick;
  info.batch = s.batch;
  info.targets_apply = on_gpu;
  if (!on_gpu) info.targets_note = "targets are set for the cuda backend: reported here, not judged";
#if MK_BENCH_HAVE_CUDA
  const std::string gpu_skip = "GPU baseline, needs --backend cuda";
  if (on_gpu) {
    mk::bench::live_raw::GpuRuntimeInfo gpu;
    raw_ok(mk::bench::live_raw::query_gpu(gpu), "query_gpu");
    info.cuda_runtime = version_text(gpu.runtime_version);
  }
#else
  const std::string gpu_skip = "GPU baseline, this build has no CUDA";
  if (on_gpu) throw std::runtime_error("the cuda backend needs mk_bench_live built with CUDA");
#endif
  info.options = {{"round_trip_samples", s.rt_samples},
                  {"round_trip_warmup", s.rt_warmup},
                  {"fairness_samples", s.fair_samples},
                  {"fairness_warmup", s.fair_warmup},
                  {"throughput_reps", s.reps},
                  {"throughput_warmup_reps", s.warmup_reps},
                  {"items_per_rep", s.items},
                  {"launch_items", s.launch_items},
                  {"launch_samples", s.launch_samples},
                  {"batch", s.batch},
                  {"window", s.window},
                  {"slot_count_throughput", s.slots},
                  {"slot_count_round_trip", s.rt_slots},
                  {"watchdog_timeout_ms", 5000},
                  {"op", o.op == "nop" ? "NOP" : "ATOMIC_ADD"}};
  info.options["compact_batch"] = s.compact_batch;
  info.options["groups"] = nlohmann::json::array();
  if (o.round_trip) info.options["groups"].push_back("round_trip");
  if (o.throughput) info.options["groups"].push_back("throughput");
  if (o.fairness) info.options["groups"].push_back("fairness");

  std::vector<Group> groups;
  if (o.round_trip) groups.push_back(round_trip_group(megakernel, s, on_gpu, gpu_skip, info));
  if (o.throughput) groups.push_back(throughput_group(megakernel, s, on_gpu, gpu_skip, info));
  if (o.fairness) groups.push_back(fairness_group(megakernel, s, info));

  lb::print_report(info, groups);
  if (!o.json_path.empty()) {
    std::ofstream out(o.json_path);
    out << lb::report_json(info, groups).dump(2) << "\n";
    if (!out) throw std::runtime_error("could not write " + o.json_path);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"LiveSession round trip, streaming throughput and tenant fairness against baselines", "mk_bench_live"};
  add_flags(app, o);
  if (const auto code = mk::bench::parse_flags(app, argc, argv)) return *code;
  Settings s;
  try {
    s = resolve(o);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "mk_bench_live: %s\n%s", e.what(), app.help().c_str());
    return 2;
  }
  try {
    return run(o, s);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "mk_bench_live: %s\n", e.what());
    return 1;
  }
}
