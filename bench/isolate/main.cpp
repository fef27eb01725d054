// mk_bench_isolate: what process isolation costs. The same work through the in-process
// backend and through an isolated one (Isolation::Process) in one run: one-shot call
// overhead, live single-item round trip, live streaming throughput. Every figure is a
// ratio (or a difference) against the in-process baseline timed in the same binary.
// Targets (issue 19): isolated within 5% of in-process; one-shot overhead <= 10 us.
// Prints a table; --json FILE writes every summary with sample counts. Errors exit 1.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/cli.h"
#include "common/stats.h"
#include "mk/mk.h"

namespace {

using Clock = std::chrono::steady_clock;
using mk::bench::summarize;
using mk::bench::Summary;

template <class T>
T must(mk::Result<T>&& r, const char* step) {
  if (!r) throw std::runtime_error(std::string(step) + ": " + r.error().what());
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

struct Options {
  std::string backend = "auto";
  std::string json;
  std::string worker;  // IsolationOptions::worker_path ("" = the usual search)
  std::uint32_t samples = 2000;
  std::uint64_t items = 0;  // throughput items per rep (0: 10^6 on cpu, 10^7 on cuda)
  std::uint32_t reps = 3;
  bool quick = false;
};

double ns(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::nano>(b - a).count(); }

mk::WorkItem add(std::uint32_t word) {
  const std::uint32_t args[2] = {word, 1};
  return must(mk::WorkItem::make(mk::abi::OP_ATOMIC_ADD, 0, args), "WorkItem::make");
}

// One-shot: a 256-slot ring with one item, dispatched into reused buffers (what a small
// synchronous call costs end to end). Checked before timing.
std::vector<double> one_shot(const mk::Megakernel& m, std::uint32_t samples) {
  auto control = mk::encode_control(false, 1, 16);
  auto ring = mk::encode_empty_ring(m.slot_count());
  mk::publish_slot(ring, 0, add(3));
  mk::OutputBuffers out;
  must(m.dispatch_into(control, ring, out), "one-shot check");
  if (mk::read_observable(out.control, 3) != 1) throw std::runtime_error("one-shot check: wrong result");
  for (std::uint32_t i = 0; i < samples / 10; ++i) must(m.dispatch_into(control, ring, out), "one-shot warm-up");
  std::vector<double> t;
  t.reserve(samples);
  for (std::uint32_t i = 0; i < samples; ++i) {
    const auto a = Clock::now();
    must(m.dispatch_into(control, ring, out), "one-shot");
    t.push_back(ns(a, Clock::now()));
  }
  return t;
}

// Live round trip: submit one item, wait for its ticket.
std::vector<double> round_trip(const mk::Megakernel& m, std::uint32_t samples) {
  mk::LiveOptions options;
  options.slot_count = 4096;
  auto session = must(mk::LiveSession::start(m, options), "LiveSession::start");
  std::vector<mk::WorkItem> one{add(0)};
  for (std::uint32_t i = 0; i < samples / 10; ++i)
    must(session.wait(must(session.submit(one), "submit"), std::chrono::seconds(5)), "warm-up wait");
  std::vector<double> t;
  t.reserve(samples);
  for (std::uint32_t i = 0; i < samples; ++i) {
    const auto a = Clock::now();
    auto ticket = must(session.submit(one), "submit");
    if (!must(session.wait(ticket, std::chrono::seconds(5)), "wait")) throw std::runtime_error("round trip timed out");
    t.push_back(ns(a, Clock::now()));
  }
  must(session.drain(std::chrono::seconds(10)), "drain");
  const auto control = must(session.read_control(), "read_control");
  if (control[mk::abi::CTRL_OBSERVABLES] != samples + samples / 10)
    throw std::runtime_error("round trip check: wrong count");
  return t;
}

// Live throughput: one producer, batches of 256, 8 tickets outstanding; items per second.
std::vector<double> throughput(const mk::Megakernel& m, std::uint64_t items, std::uint32_t reps) {
  mk::LiveOptions options;
  options.slot_count = 65536;
  auto session = must(mk::LiveSession::start(m, options), "LiveSession::start");
  std::vector<mk::WorkItem> batch;
  for (std::uint32_t k = 0; k < 256; ++k) batch.push_back(add(k % 64));
  std::vector<double> rates;
  for (std::uint32_t r = 0; r <= reps; ++r) {  // rep 0 warms up
    std::deque<mk::Ticket> window;
    const auto a = Clock::now();
    for (std::uint64_t k = 0; k < items; k += batch.size()) {
      window.push_back(must(session.submit_wait(batch, std::chrono::seconds(10)), "submit"));
      if (window.size() >= 8) {
        if (!must(session.wait(window.front(), std::chrono::seconds(10)), "wait"))
          throw std::runtime_error("throughput wait timed out");
        window.pop_front();
      }
    }
    while (!window.empty()) {
      if (!must(session.wait(window.front(), std::chrono::seconds(10)), "wait"))
        throw std::runtime_error("throughput wait timed out");
      window.pop_front();
    }
    const double seconds = ns(a, Clock::now()) * 1e-9;
    if (r > 0) rates.push_back(static_cast<double>(items) / seconds);
  }
  must(session.drain(std::chrono::seconds(30)), "drain");
  return rates;
}

struct Row {
  std::string name, unit;
  Summary in_process, isolated;
  bool higher_is_better = false;
};

nlohmann::json to_json(const Summary& s) {
  return {{"median", s.median}, {"p99", s.p99}, {"min", s.min}, {"max", s.max}, {"samples", s.samples}};
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app("Isolation overhead: the same work in process and through a supervised worker", "mk_bench_isolate");
  std::vector<std::string> backends{"auto"};  // a selector, then the registry's backends
  for (const std::string& name : mk::backend_names()) backends.push_back(name);
  app.add_option("--backend", o.backend, "auto or a registered backend")->check(CLI::IsMember(backends));
  app.add_option("--worker", o.worker, "the mk-worker to run (default: the usual search)")->type_name("PATH");
  app.add_option("--samples", o.samples, "one-shot calls and round trips per path")->check(CLI::Range(1u, 100000000u));
  app.add_option("--items", o.items, "throughput items per rep (default 1e6 on cpu, 1e7 on cuda)");
  app.add_option("--reps", o.reps, "timed throughput reps")->check(CLI::Range(1u, 100000000u));
  app.add_flag("--quick", o.quick, "at most 300 samples, a tenth of the items");
  app.add_option("--json", o.json, "write every summary with its sample count here")->type_name("FILE");
  if (auto code = mk::bench::parse_flags(app, argc, argv)) return *code;
  try {
    if (o.quick) o.samples = std::min<std::uint32_t>(o.samples, 300);
    // The isolated backend first: its worker decides what "auto" is, and this process
    // must not hold a CUDA context while it measures (the in-process one comes after).
    mk::BackendOptions iso;
    iso.isolation = mk::Isolation::Process;
    iso.isolate.worker_path = o.worker;
    auto isolated_backend = must(mk::make_backend(o.backend, iso), "isolated backend");
    const std::string name(isolated_backend->name());
    const std::string device = isolated_backend->devices().empty() ? "?" : isolated_backend->devices()[0].name;
    if (o.items == 0) o.items = name == "cuda" ? 10'000'000 : 1'000'000;
    if (o.quick) o.items /= 10;
    std::vector<Row> rows(3);
    rows[0] = {"one-shot call (256 slots, 1 item)", "us", {}, {}, false};
    rows[1] = {"live round trip (1 item)", "us", {}, {}, false};
    rows[2] = {"live throughput (1 producer, 256/batch)", "M items/s", {}, {}, true};
    auto to_us = [](std::vector<double> v) {
      for (double& x : v) x *= 1e-3;
      return summarize(std::move(v));
    };
    auto to_m = [](std::vector<double> v) {
      for (double& x : v) x *= 1e-6;
      return summarize(std::move(v));
    };
    {
      auto m = must(mk::Megakernel::bootstrap(isolated_backend), "bootstrap (isolated)");
      rows[0].isolated = to_us(one_shot(m, o.samples));
      rows[1].isolated = to_us(round_trip(m, o.samples));
      rows[2].isolated = to_m(throughput(m, o.items, o.reps));
    }
    isolated_backend.reset();
    {
      auto m =
          must(mk::Megakernel::bootstrap(must(mk::make_backend(name), "in-process backend")), "bootstrap (in process)");
      rows[0].in_process = to_us(one_shot(m, o.samples));
      rows[1].in_process = to_us(round_trip(m, o.samples));
      rows[2].in_process = to_m(throughput(m, o.items, o.reps));
    }
    std::printf("mk_bench_isolate: backend %s (%s), commit %s\n", name.c_str(), device.c_str(), MK_BENCH_COMMIT);
    std::printf("%-42s %12s %12s %10s %12s %12s\n", "case", "in-process", "isolated", "ratio", "iso p99", "overhead");
    nlohmann::json json = {
        {"bench", "mk_bench_isolate"},  {"backend", name},  {"device", device}, {"commit", MK_BENCH_COMMIT},
        {"dirty", MK_BENCH_DIRTY != 0}, {"items", o.items}, {"reps", o.reps}};
    for (const Row& r : rows) {
      const double ratio = r.isolated.median / r.in_process.median;
      const double overhead = r.isolated.median - r.in_process.median;
      std::printf("%-42s %9.3f %-2s %9.3f %-2s %9.3fx %9.3f %-2s %+9.3f %s\n", r.name.c_str(), r.in_process.median,
                  r.unit == "us" ? "us" : "M/s", r.isolated.median, r.unit == "us" ? "us" : "M/s", ratio,
                  r.isolated.p99, r.unit == "us" ? "us" : "M/s", overhead, r.unit == "us" ? "us" : "M/s");
      json["cases"].push_back({{"name", r.name},
                               {"unit", r.unit},
                               {"in_process", to_json(r.in_process)},
                               {"isolated", to_json(r.isolated)},
                               {"ratio_isolated_over_in_process", ratio},
                               {"overhead", overhead}});
    }
    std::printf("targets: throughput ratio >= 0.95, round-trip ratio <= 1.05, one-shot overhead <= 10 us\n");
    if (!o.json.empty()) std::ofstream(o.json) << json.dump(2) << "\n";
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mk_bench_isolate: %s\n", e.what());
    return 1;
  }
  return 0;
}
