// mk_bench_jit: what the CUDA JIT costs. Cold bootstrap (empty cache: lower + NVRTC + load)
// vs cached bootstrap (disk hit + load), and the per-item device time of a custom opcode
// doing an atomic add vs the built-in ATOMIC_ADD over the same 1M-item drain (built-in in
// the nvcc kernel, built-in in the JIT kernel, custom in the JIT kernel). Medians of
// >= 10 samples; JSON with --json FILE.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "common/cli.h"
#include "common/stats.h"
#include "cuda/cuda_pipeline.h"
#include "cuda/jit/nvrtc_compile.h"
#include "mk/mk.h"

namespace {

namespace fs = std::filesystem;
using mk::bench::summarize;
using mk::bench::Summary;
using Clock = std::chrono::steady_clock;

struct Options {
  std::uint32_t samples = 10;
  std::uint32_t cold_samples = 10;
  std::uint32_t warmup = 2;
  std::uint32_t items = 1u << 20;
  std::uint32_t workgroup = 256;
  std::string json_path;
};

constexpr std::uint32_t JIT_ADD_OPCODE = 0x1000;
constexpr std::uint32_t WINDOW = 1024;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "mk_bench_jit: %s\n", what.c_str());
  std::exit(1);
}

template <class T>
T must(mk::Result<T>&& r, const char* what) {
  if (!r) die(std::string(what) + ": " + r.error().what());
  return std::move(*r);
}

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

nlohmann::json to_json(const Summary& s) {
  return {{"median", s.median}, {"p99", s.p99}, {"min", s.min}, {"max", s.max}, {"samples", s.samples}};
}

mk::OpcodeHandler jit_atomic_add() {
  using namespace mk::ir;
  return {JIT_ADD_OPCODE, "jit_atomic_add", body({result(atomic_add(arg(0), arg(1)))})};
}

// A scratch cache directory, removed at exit; MK_JIT_CACHE_DIR points at it while set.
struct CacheDir {
  fs::path path;
  explicit CacheDir(const std::string& tag) {
    std::random_device rd;
    path = fs::temp_directory_path() / ("mk_bench_jit_" + tag + "_" + std::to_string(rd()));
    fs::create_directories(path);
    ::setenv("MK_JIT_CACHE_DIR", path.c_str(), 1);
  }
  ~CacheDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

struct BootstrapResult {
  Summary wall_ms;
  Summary compile_ms, load_ms, lower_ms, cache_read_ms;
  std::size_t image_bytes = 0;
};

// Megakernel::bootstrap_jit wall time (what a user waits), plus the backend's breakdown
// from building the same pipeline spec directly.
BootstrapResult bench_bootstrap(const Options& o, const std::shared_ptr<mk::Backend>& backend, bool cold) {
  std::vector<double> wall, compile, load, lower, read;
  std::size_t image = 0;
  std::optional<CacheDir> shared;
  if (!cold) {
    shared.emplace("cached");
    must(mk::Megakernel::bootstrap_jit(backend, jit_atomic_add(), 1u << 16, o.workgroup), "priming the cache");
  }
  const std::uint32_t n = cold ? o.cold_samples : o.samples;
  for (std::uint32_t s = 0; s < n; ++s) {
    std::optional<CacheDir> fresh;
    if (cold) fresh.emplace("cold");
    const auto t = Clock::now();
    auto mk = must(mk::Megakernel::bootstrap_jit(backend, jit_atomic_add(), 1u << 16, o.workgroup), "bootstrap_jit");
    wall.push_back(ms_since(t));
    if (cold) {  // the breakdown needs a cold build of its own
      fresh.reset();
      fresh.emplace("cold");
    }
    mk::PipelineSpec spec;
    spec.geometry = mk.geometry();
    spec.opcode_ids.assign(mk.opcode_table().begin(), mk.opcode_table().end());
    spec.handlers = {jit_atomic_add()};
    spec.payload_processor = mk::abi::FIRST_CUSTOM_INDEX;
    auto pipe = must(backend->build_pipeline(spec), "build_pipeline");
    const mk::detail::JitStats* st = mk::detail::cuda_jit_stats(*pipe);
    if (st == nullptr || st->cache_hit == cold) die("unexpected cache state in the bootstrap benchmark");
    compile.push_back(st->compile_ms);
    load.push_back(st->load_ms);
    lower.push_back(st->lower_ms);
    read.push_back(st->cache_read_ms);
    image = st->image_bytes;
  }
  return {summarize(wall), summarize(compile), summarize(load), summarize(lower), summarize(read), image};
}

struct Drain {
  std::string name;
  std::string what;
  Summary device_ns_per_item;
  Summary sweeps;
};

Drain bench_drain(const Options& o, const mk::Megakernel& mk, std::uint32_t opcode, const char* name,
                  const char* what) {
  mk::OutputBuffers pristine;
  pristine.control = mk::encode_control(false, 1, WINDOW);
  pristine.ring = mk::encode_empty_ring(o.items);
  std::mt19937 rng(42);
  std::vector<mk::WorkItem> items;
  items.reserve(o.items);
  std::uint64_t expected = 0;
  for (std::uint32_t i = 0; i < o.items; ++i) {
    const std::uint32_t delta = 1 + static_cast<std::uint32_t>(rng() % 7);
    expected += delta;
    items.push_back(must(
        mk::WorkItem::make(opcode, 0, std::vector<std::uint32_t>{static_cast<std::uint32_t>(rng() % WINDOW), delta}),
        "WorkItem::make"));
  }
  if (auto s = mk::try_encode_work_items_ring_into(mk::ByteSpan(pristine.ring), items); !s) die(s.error().what());
  mk::OutputBuffers b = pristine;
  must(mk.dispatch_in_place(b), "dispatch");
  std::uint64_t sum = 0;
  for (auto v : mk::read_observables(b.control)) sum += v;
  if (sum != expected || mk::read_done_count(b.control) != o.items || mk::read_fault_count(b.control) != 0)
    die(std::string(name) + " drain result is wrong");
  std::vector<double> per_item, sweeps;
  for (std::uint32_t s = 0; s < o.warmup + o.samples; ++s) {
    b.control = pristine.control;
    b.ring = pristine.ring;
    const mk::DispatchStats st = must(mk.dispatch_in_place(b), "dispatch");
    if (!st.device_ns_known) die("the CUDA backend reported no device time");
    if (s < o.warmup) continue;
    per_item.push_back(static_cast<double>(st.device_ns) / o.items);
    sweeps.push_back(st.sweeps);
  }
  return {name, what, summarize(per_item), summarize(sweeps)};
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"cold vs cached bootstrap_jit, and a custom opcode's per-item cost against ATOMIC_ADD", "mk_bench_jit"};
  app.add_option("--json", o.json_path, "write the results here")->type_name("FILE");
  app.add_option("--samples", o.samples, "timed samples of the drains and of the cached bootstrap")
      ->capture_default_str();
  app.add_option("--cold-samples", o.cold_samples, "cold bootstraps (each one compiles)")->capture_default_str();
  app.add_option("--items", o.items, "slots drained per sample (a multiple of 256)")->capture_default_str();
  if (const auto code = mk::bench::parse_flags(app, argc, argv)) return *code;
  if (o.items == 0 || o.items % o.workgroup != 0) die("--items must be a positive multiple of 256");
  if (!mk::cuda_available()) die("no CUDA device visible");
  auto backend = must(mk::make_backend("cuda"), "make_backend");
  const mk::DeviceInfo dev = backend->devices().at(0);
  const mk::detail::NvrtcVersion nvrtc = mk::detail::nvrtc_version();
  std::printf("device %s (%s, %u SMs), driver %s, NVRTC %d.%d, commit %s\n", dev.name.c_str(), dev.arch.c_str(),
              dev.compute_units, dev.driver.c_str(), nvrtc.major, nvrtc.minor, MK_BENCH_COMMIT);

  const BootstrapResult cold = bench_bootstrap(o, backend, true);
  const BootstrapResult cached = bench_bootstrap(o, backend, false);
  std::printf("\nbootstrap_jit (one custom opcode, %u lanes per group), wall ms:\n", o.workgroup);
  std::printf("  cold   median %8.1f  p99 %8.1f  (NVRTC %.1f, module load %.2f, lowering+key %.2f; %zu-byte CUBIN)\n",
              cold.wall_ms.median, cold.wall_ms.p99, cold.compile_ms.median, cold.load_ms.median, cold.lower_ms.median,
              cold.image_bytes);
  std::printf("  cached median %8.1f  p99 %8.1f  (cache read %.2f, module load %.2f)  -> %.0fx faster\n",
              cached.wall_ms.median, cached.wall_ms.p99, cached.cache_read_ms.median, cached.load_ms.median,
              cold.wall_ms.median / cached.wall_ms.median);

  const CacheDir drain_cache("drain");
  const auto nvcc_mk = must(mk::Megakernel::bootstrap_sharded(backend, o.items, o.workgroup), "bootstrap (built-ins)");
  const auto jit_mk =
      must(mk::Megakernel::bootstrap_sharded(backend, o.items, o.workgroup, {jit_atomic_add()}), "bootstrap (JIT)");
  std::vector<Drain> drains;
  drains.push_back(bench_drain(o, nvcc_mk, mk::abi::OP_ATOMIC_ADD, "builtin_nvcc",
                               "built-in ATOMIC_ADD in the nvcc kernel (baseline)"));
  drains.push_back(
      bench_drain(o, jit_mk, mk::abi::OP_ATOMIC_ADD, "builtin_jit_kernel", "built-in ATOMIC_ADD in the JIT kernel"));
  drains.push_back(bench_drain(o, jit_mk, JIT_ADD_OPCODE, "custom_jit",
                               "custom opcode result(atomic_add(arg0, arg1)) in the JIT kernel"));
  std::printf("\n%u-item drain over %u shared words, kernel device time per item (DispatchStats::device_ns):\n",
              o.items, WINDOW);
  const double base = drains[0].device_ns_per_item.median;
  for (const Drain& d : drains)
    std::printf("  %-20s median %7.3f ns  p99 %7.3f ns  %5.2fx baseline  (%.0f sweeps)  %s\n", d.name.c_str(),
                d.device_ns_per_item.median, d.device_ns_per_item.p99, d.device_ns_per_item.median / base,
                d.sweeps.median, d.what.c_str());

  if (!o.json_path.empty()) {
    nlohmann::json j;
    j["device"] = dev.name;
    j["arch"] = dev.arch;
    j["driver"] = dev.driver;
    j["nvrtc"] = std::to_string(nvrtc.major) + "." + std::to_string(nvrtc.minor);
    j["commit"] = MK_BENCH_COMMIT;
    j["dirty"] = MK_BENCH_DIRTY != 0;
    j["workgroup_size_x"] = o.workgroup;
    auto boot = [](const BootstrapResult& r) {
      return nlohmann::json{{"wall_ms", to_json(r.wall_ms)},
                            {"nvrtc_compile_ms", to_json(r.compile_ms)},
                            {"module_load_ms", to_json(r.load_ms)},
                            {"lower_and_key_ms", to_json(r.lower_ms)},
                            {"cache_read_ms", to_json(r.cache_read_ms)},
                            {"image_bytes", r.image_bytes}};
    };
    j["bootstrap"]["cold"] = boot(cold);
    j["bootstrap"]["cached"] = boot(cached);
    j["bootstrap"]["cold_over_cached"] = cold.wall_ms.median / cached.wall_ms.median;
    j["drain"]["items"] = o.items;
    j["drain"]["shared_words"] = WINDOW;
    for (const Drain& d : drains)
      j["drain"]["paths"][d.name] = {{"what", d.what},
                                     {"device_ns_per_item", to_json(d.device_ns_per_item)},
                                     {"sweeps", to_json(d.sweeps)},
                                     {"ratio_to_builtin_nvcc", d.device_ns_per_item.median / base}};
    std::ofstream(o.json_path) << j.dump(2) << "\n";
  }
  return 0;
}
