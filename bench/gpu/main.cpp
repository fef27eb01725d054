// mk_bench_gpu: the same small ATOMIC_ADD work through per-item launches, a CUDA graph of
// per-item nodes, and megakernel one-shot dispatch; plus a 1M-slot drain against the
// HBM floor. Prints a table and writes JSON (--json FILE).
#include <cuda_runtime.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "common/cli.h"
#include "common/gpu_baselines.cuh"
#include "common/stats.h"
#include "mk/mk.h"

namespace {

using mk::bench::summarize;
using mk::bench::Summary;
using Clock = std::chrono::steady_clock;

struct Options {
  std::uint32_t items = 1000;
  std::uint32_t samples = 30;
  std::uint32_t warmup = 3;
  std::uint32_t drain_slots = 1u << 20;
  std::string json_path;
};

#define CHECK_CUDA(expr)                                                                    \
  do {                                                                                      \
    cudaError_t e_ = (expr);                                                                \
    if (e_ != cudaSuccess) {                                                                \
      std::fprintf(stderr, "mk_bench_gpu: %s failed: %s\n", #expr, cudaGetErrorString(e_)); \
      std::exit(1);                                                                         \
    }                                                                                       \
  } while (0)

double ns_since(Clock::time_point t) { return std::chrono::duration<double, std::nano>(Clock::now() - t).count(); }

struct Workload {
  std::vector<std::uint32_t> addr, delta;
  std::uint32_t window = 1024;
  std::uint64_t expected_sum = 0;
};

Workload make_workload(std::uint32_t n) {
  std::mt19937 rng(42);
  Workload w;
  for (std::uint32_t i = 0; i < n; ++i) {
    w.addr.push_back(static_cast<std::uint32_t>(rng() % w.window));
    w.delta.push_back(1 + static_cast<std::uint32_t>(rng() % 7));
    w.expected_sum += w.delta.back();
  }
  return w;
}

std::uint64_t device_sum(const std::uint32_t* d_obs, std::uint32_t n) {
  std::vector<std::uint32_t> h(n);
  CHECK_CUDA(cudaMemcpy(h.data(), d_obs, n * 4, cudaMemcpyDeviceToHost));
  std::uint64_t s = 0;
  for (auto v : h) s += v;
  return s;
}

nlohmann::json to_json(const Summary& s) {
  return {{"median", s.median}, {"p99", s.p99}, {"min", s.min}, {"max", s.max}, {"samples", s.samples}};
}

struct PathResult {
  std::string name;
  std::string what;
  Summary per_item_ns;
  Summary device_per_item_ns;  // samples == 0 when not measured
};

// Per-item kernel launches and the per-item CUDA graph.
void bench_baselines(const Options& o, const Workload& w, cudaStream_t stream, std::vector<PathResult>& out) {
  std::uint32_t *d_obs, *d_addr, *d_delta;
  CHECK_CUDA(cudaMalloc(&d_obs, w.window * 4));
  CHECK_CUDA(cudaMalloc(&d_addr, o.items * 4));
  CHECK_CUDA(cudaMalloc(&d_delta, o.items * 4));
  CHECK_CUDA(cudaMemcpy(d_addr, w.addr.data(), o.items * 4, cudaMemcpyHostToDevice));
  CHECK_CUDA(cudaMemcpy(d_delta, w.delta.data(), o.items * 4, cudaMemcpyHostToDevice));

  // Correctness first.
  CHECK_CUDA(cudaMemset(d_obs, 0, w.window * 4));
  CHECK_CUDA(mk::bench::launch_per_item(d_obs, d_addr, d_delta, o.items, stream));
  CHECK_CUDA(cudaStreamSynchronize(stream));
  if (device_sum(d_obs, w.window) != w.expected_sum) {
    std::fprintf(stderr, "mk_bench_gpu: per-item launch result is wrong\n");
    std::exit(1);
  }
  std::vector<double> samples;
  for (std::uint32_t s = 0; s < o.warmup + o.samples; ++s) {
    const auto t = Clock::now();
    CHECK_CUDA(mk::bench::launch_per_item(d_obs, d_addr, d_delta, o.items, stream));
    CHECK_CUDA(cudaStreamSynchronize(stream));
    if (s >= o.warmup) samples.push_back(ns_since(t) / o.items);
  }
  out.push_back({"per_item_launch", "one <<<1,1>>> launch per item, sync at the end", summarize(samples), {}});

  cudaGraphExec_t exec = nullptr;
  CHECK_CUDA(mk::bench::build_per_item_graph(d_obs, d_addr, d_delta, o.items, stream, &exec));
  CHECK_CUDA(cudaMemset(d_obs, 0, w.window * 4));
  CHECK_CUDA(cudaGraphLaunch(exec, stream));
  CHECK_CUDA(cudaStreamSynchronize(stream));
  if (device_sum(d_obs, w.window) != w.expected_sum) {
    std::fprintf(stderr, "mk_bench_gpu: CUDA graph result is wrong\n");
    std::exit(1);
  }
  samples.clear();
  for (std::uint32_t s = 0; s < o.warmup + o.samples; ++s) {
    const auto t = Clock::now();
    CHECK_CUDA(cudaGraphLaunch(exec, stream));
    CHECK_CUDA(cudaStreamSynchronize(stream));
    if (s >= o.warmup) samples.push_back(ns_since(t) / o.items);
  }
  out.push_back({"cuda_graph", "one graph of per-item kernel nodes, replayed", summarize(samples), {}});
  cudaGraphExecDestroy(exec);
  cudaFree(d_obs);
  cudaFree(d_addr);
  cudaFree(d_delta);
}

mk::OutputBuffers megakernel_job(const Workload& w, std::uint32_t slots, std::uint32_t items) {
  mk::OutputBuffers b;
  b.control = mk::encode_control(false, 1, w.window);
  b.ring = mk::encode_empty_ring(slots);
  std::vector<mk::WorkItem> list;
  list.reserve(items);
  for (std::uint32_t i = 0; i < items; ++i)
    list.push_back(mk::value_or_throw(
        mk::WorkItem::make(mk::abi::OP_ATOMIC_ADD, 0,
                           std::vector<std::uint32_t>{w.addr[i % w.addr.size()], w.delta[i % w.delta.size()]})));
  mk::value_or_throw(mk::try_encode_work_items_ring_into(mk::ByteSpan(b.ring), list));
  return b;
}

std::uint64_t observable_sum(const mk::OutputBuffers& b) {
  std::uint64_t s = 0;
  for (auto v : mk::read_observables(b.control)) s += v;
  return s;
}

void bench_one_shot(const Options& o, const Workload& w, std::vector<PathResult>& out) {
  auto backend = mk::value_or_throw(mk::make_backend("cuda"));
  const std::uint32_t slots = (o.items + 63) / 64 * 64;
  auto mk = mk::value_or_throw(mk::Megakernel::bootstrap_sharded(backend, slots, 64));
  const mk::OutputBuffers pristine = megakernel_job(w, slots, o.items);
  mk::OutputBuffers b = pristine;
  mk::value_or_throw(mk.dispatch_in_place(b));
  if (observable_sum(b) != w.expected_sum) {
    std::fprintf(stderr, "mk_bench_gpu: one-shot dispatch result is wrong\n");
    std::exit(1);
  }
  std::vector<double> wall, device;
  for (std::uint32_t s = 0; s < o.warmup + o.samples; ++s) {
    b.control = pristine.control;  // same sizes: no reallocation
    b.ring = pristine.ring;
    auto stats = mk::value_or_throw(mk.dispatch_in_place(b));
    if (s < o.warmup) continue;
    wall.push_back(static_cast<double>(stats.wall_ns) / o.items);
    device.push_back(static_cast<double>(stats.device_ns) / o.items);
  }
  out.push_back({"one_shot_dispatch", "megakernel dispatch_in_place: upload, one cooperative launch, readback",
                 summarize(wall), summarize(device)});
}

enum class DrainKind { Nop, StoreUnique, AtomicAdd1024 };

// A drain job: every slot pre-published. NOP touches only the ring; STORE writes one
// observable word per slot; ATOMIC_ADD hits 1024 words, so ~1000 items share a word.
mk::OutputBuffers drain_job(const Workload& w, std::uint32_t slots, DrainKind kind, std::uint64_t* expected_sum) {
  if (kind == DrainKind::AtomicAdd1024) {
    *expected_sum = 0;
    for (std::uint32_t i = 0; i < slots; ++i) *expected_sum += w.delta[i % w.delta.size()];
    return megakernel_job(w, slots, slots);
  }
  mk::OutputBuffers b;
  b.control = mk::encode_control(false, 1, kind == DrainKind::StoreUnique ? slots : 16);
  b.ring = mk::encode_empty_ring(slots);
  std::vector<mk::WorkItem> list;
  list.reserve(slots);
  *expected_sum = 0;
  for (std::uint32_t i = 0; i < slots; ++i) {
    if (kind == DrainKind::Nop) {
      list.push_back(mk::value_or_throw(mk::WorkItem::make(mk::abi::OP_NOP, 0, std::vector<std::uint32_t>{})));
    } else {
      list.push_back(
          mk::value_or_throw(mk::WorkItem::make(mk::abi::OP_STORE_U32, 0, std::vector<std::uint32_t>{i, 1})));
      *expected_sum += 1;
    }
  }
  mk::value_or_throw(mk::try_encode_work_items_ring_into(mk::ByteSpan(b.ring), list));
  return b;
}

// Resident many-launch: N submissions of one item each, one graph per batch.
void bench_many_launch(const Options& o, const Workload& w, std::vector<PathResult>& out) {
  auto backend = mk::value_or_throw(mk::make_backend("cuda"));
  auto mk = mk::value_or_throw(mk::Megakernel::bootstrap_sharded(backend, 1024, 64));
  const auto control = mk::encode_control(false, 1, w.window);
  const auto ring = mk::encode_empty_ring(1024);
  auto handles = mk::value_or_throw(mk.create_resident_handles(mk::DispatchInput{control, ring, {}, {}}));
  std::vector<mk::WorkItem> items;
  for (std::uint32_t i = 0; i < o.items; ++i)
    items.push_back(mk::value_or_throw(
        mk::WorkItem::make(mk::abi::OP_ATOMIC_ADD, 0, std::vector<std::uint32_t>{w.addr[i], w.delta[i]})));
  std::vector<mk::Submission> subs;
  for (std::uint32_t i = 0; i < o.items; ++i) subs.push_back(mk::Submission{i % 1024, std::span(&items[i], 1)});
  // Correctness first: one batch adds every delta once.
  auto first = mk::value_or_throw(mk.dispatch_persistent_handles_many_observed(handles, subs));
  mk::OutputBuffers b;
  mk::value_or_throw(handles.readback(b));
  if (first.rejected != 0 || observable_sum(b) != w.expected_sum) {
    std::fprintf(stderr, "mk_bench_gpu: many-launch result is wrong\n");
    std::exit(1);
  }
  std::vector<double> wall, device;
  for (std::uint32_t s = 0; s < o.warmup + o.samples; ++s) {
    auto many = mk::value_or_throw(mk.dispatch_persistent_handles_many_observed(handles, subs));
    if (s < o.warmup) continue;
    wall.push_back(static_cast<double>(many.stats.wall_ns) / o.items);
    device.push_back(static_cast<double>(many.stats.device_ns) / o.items);
  }
  out.push_back({"resident_many_launch", "N one-item submissions in one cached CUDA graph over resident buffers",
                 summarize(wall), summarize(device)});
}

nlohmann::json bench_drain(const Options& o, const Workload& w, cudaStream_t stream, DrainKind kind, const char* name) {
  auto backend = mk::value_or_throw(mk::make_backend("cuda"));
  auto mk = mk::value_or_throw(mk::Megakernel::bootstrap_sharded(backend, o.drain_slots, 256));
  std::uint64_t expected = 0;
  const mk::OutputBuffers pristine = drain_job(w, o.drain_slots, kind, &expected);
  mk::OutputBuffers b = pristine;
  mk::value_or_throw(mk.dispatch_in_place(b));
  if (observable_sum(b) != expected || mk::read_done_count(b.control) != o.drain_slots) {
    std::fprintf(stderr, "mk_bench_gpu: %s drain result is wrong\n", name);
    std::exit(1);
  }
  std::vector<double> device_ns, sweeps;
  for (std::uint32_t s = 0; s < o.warmup + std::min(o.samples, 15u); ++s) {
    b.control = pristine.control;
    b.ring = pristine.ring;
    auto stats = mk::value_or_throw(mk.dispatch_in_place(b));
    if (s < o.warmup) continue;
    device_ns.push_back(static_cast<double>(stats.device_ns));
    sweeps.push_back(stats.sweeps);
  }
  double bw = 0;
  CHECK_CUDA(mk::bench::measure_copy_bandwidth(std::size_t{1} << 30, stream, &bw));
  // Fewest bytes: every slot line read once and written once (status + result), plus
  // one observable word read and written per STORE item.
  double bytes = static_cast<double>(o.drain_slots) * mk::abi::SLOT_BYTES * 2;
  if (kind == DrainKind::StoreUnique) bytes += static_cast<double>(o.drain_slots) * 4 * 2;
  const double floor_ns = bytes / bw * 1e9;
  const Summary d = summarize(device_ns);
  std::printf("\n%s drain of %u pre-published slots (device time of the kernel; buffers on the device):\n", name,
              o.drain_slots);
  std::printf("  bytes at the floor %.1f MB, copy bandwidth %.0f GB/s -> floor %.1f us\n", bytes / 1e6, bw / 1e9,
              floor_ns / 1e3);
  std::printf("  kernel median %.1f us, p99 %.1f us, %.2fx the floor, %.0f sweeps, %.2f Gitems/s\n", d.median / 1e3,
              d.p99 / 1e3, d.median / floor_ns, summarize(sweeps).median, o.drain_slots / d.median);
  return {{"slots", o.drain_slots},
          {"workload", name},
          {"floor_bytes", bytes},
          {"copy_bandwidth_bytes_per_s", bw},
          {"floor_ns", floor_ns},
          {"device_ns", to_json(d)},
          {"ratio_to_floor", d.median / floor_ns},
          {"sweeps_median", summarize(sweeps).median}};
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  bool quick = false;
  CLI::App app{"per-item launches, a per-item CUDA graph and megakernel dispatch of the same items", "mk_bench_gpu"};
  app.add_option("--json", o.json_path, "write the results here")->type_name("FILE");
  app.add_option("--items", o.items, "ATOMIC_ADD items per sample")->capture_default_str();
  app.add_option("--samples", o.samples, "timed samples per path")->capture_default_str();
  app.add_flag("--quick", quick, "10 samples, a 256K-slot drain (overrides --samples)");
  if (const auto code = mk::bench::parse_flags(app, argc, argv)) return *code;
  if (quick) {
    o.samples = 10;
    o.drain_slots = 1u << 18;
  }
  if (!mk::cuda_available()) {
    std::fprintf(stderr, "mk_bench_gpu: no CUDA device visible\n");
    return 1;
  }
  cudaStream_t stream;
  CHECK_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  const Workload w = make_workload(o.items);
  std::vector<PathResult> paths;
  bench_baselines(o, w, stream, paths);
  bench_one_shot(o, w, paths);
  bench_many_launch(o, w, paths);

  auto backend = mk::value_or_throw(mk::make_backend("cuda"));
  const mk::DeviceInfo dev = backend->devices().at(0);
  std::printf("device %s (%s, %u SMs), driver %s, commit %s, %u items per sample, %u samples\n", dev.name.c_str(),
              dev.arch.c_str(), dev.compute_units, dev.driver.c_str(), MK_BENCH_COMMIT, o.items, o.samples);
  std::printf("%-20s %14s %14s %16s %s\n", "path", "median ns/item", "p99 ns/item", "device ns/item",
              "vs per_item_launch");
  const double base = paths[0].per_item_ns.median;
  nlohmann::json j;
  j["device"] = dev.name;
  j["arch"] = dev.arch;
  j["driver"] = dev.driver;
  j["commit"] = MK_BENCH_COMMIT;
  j["dirty"] = MK_BENCH_DIRTY != 0;
  j["items_per_sample"] = o.items;
  for (const auto& p : paths) {
    std::printf("%-20s %14.1f %14.1f %16s %.2fx\n", p.name.c_str(), p.per_item_ns.median, p.per_item_ns.p99,
                p.device_per_item_ns.samples ? std::to_string(p.device_per_item_ns.median).substr(0, 8).c_str() : "-",
                base / p.per_item_ns.median);
    j["paths"][p.name] = {{"what", p.what},
                          {"wall_ns_per_item", to_json(p.per_item_ns)},
                          {"speedup_vs_per_item_launch", base / p.per_item_ns.median}};
    if (p.device_per_item_ns.samples) j["paths"][p.name]["device_ns_per_item"] = to_json(p.device_per_item_ns);
  }
  j["drain"]["nop"] = bench_drain(o, w, stream, DrainKind::Nop, "NOP");
  j["drain"]["store_unique"] = bench_drain(o, w, stream, DrainKind::StoreUnique, "STORE_U32 (one word per slot)");
  j["drain"]["atomic_add_1024"] = bench_drain(o, w, stream, DrainKind::AtomicAdd1024, "ATOMIC_ADD (1024 shared words)");
  if (!o.json_path.empty()) std::ofstream(o.json_path) << j.dump(2) << "\n";
  cudaStreamDestroy(stream);
  return 0;
}
