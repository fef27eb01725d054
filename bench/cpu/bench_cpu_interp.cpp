// CPU backend throughput (items/s, and per core) against a plain C++ loop doing the same
// ATOMIC_ADD work. Run: build/default/bench/cpu/mk_bench_cpu [--benchmark_format=json]
#include <benchmark/benchmark.h>

#include <atomic>
#include <map>
#include <cstring>
#include <random>
#include <vector>

#include "mk/mk.h"

namespace {

constexpr std::uint32_t WINDOW = 1024;

struct Job {
  std::vector<std::uint32_t> addr, delta;
  mk::OutputBuffers pristine;
};

const Job& job(std::uint32_t items) {
  static std::map<std::uint32_t, Job> jobs;
  auto it = jobs.find(items);
  if (it != jobs.end()) return it->second;
  Job j;
  std::mt19937 rng(7);
  std::vector<mk::WorkItem> list;
  for (std::uint32_t i = 0; i < items; ++i) {
    j.addr.push_back(static_cast<std::uint32_t>(rng() % WINDOW));
    j.delta.push_back(1 + static_cast<std::uint32_t>(rng() % 7));
    list.push_back(mk::value_or_throw(
        mk::WorkItem::make(mk::abi::OP_ATOMIC_ADD, 0, std::vector<std::uint32_t>{j.addr.back(), j.delta.back()})));
  }
  j.pristine.control = mk::encode_control(false, 1, WINDOW);
  j.pristine.ring = mk::encode_empty_ring(items);
  mk::value_or_throw(mk::try_encode_work_items_ring_into(mk::ByteSpan(j.pristine.ring), list));
  return jobs.emplace(items, std::move(j)).first->second;
}

// Baseline: the same adds as relaxed atomics in a plain loop (what a hand-written
// host loop over the items costs).
void BM_PlainLoop(benchmark::State& state) {
  const auto items = static_cast<std::uint32_t>(state.range(0));
  const Job& j = job(items);
  std::vector<std::atomic<std::uint32_t>> obs(WINDOW);
  for (auto _ : state) {
    for (std::uint32_t i = 0; i < items; ++i) obs[j.addr[i]].fetch_add(j.delta[i], std::memory_order_relaxed);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * items);
  state.counters["threads"] = 1;
}

// Baseline for the per-iteration ring reset that the interpreter benchmark pays.
void BM_RingResetOnly(benchmark::State& state) {
  const auto items = static_cast<std::uint32_t>(state.range(0));
  const Job& j = job(items);
  mk::OutputBuffers b = j.pristine;
  for (auto _ : state) {
    std::memcpy(b.ring.data(), j.pristine.ring.data(), b.ring.size());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * items);
}

void BM_CpuInterpreter(benchmark::State& state) {
  const auto items = static_cast<std::uint32_t>(state.range(0));
  const auto threads = static_cast<std::uint32_t>(state.range(1));
  const Job& j = job(items);
  auto mk =
      mk::value_or_throw(mk::Megakernel::bootstrap_sharded(mk::make_cpu_backend({.threads = threads}), items, 64));
  mk::OutputBuffers b = j.pristine;
  // Correctness before timing.
  mk::value_or_throw(mk.dispatch_in_place(b));
  if (mk::read_done_count(b.control) != items) state.SkipWithError("interpreter lost items");
  for (auto _ : state) {
    std::memcpy(b.ring.data(), j.pristine.ring.data(), b.ring.size());
    auto stats = mk.dispatch_in_place(b);
    if (!stats || stats->items_done != items) state.SkipWithError("dispatch failed");
  }
  state.SetItemsProcessed(state.iterations() * items);
  state.counters["threads"] = threads;
  state.counters["items_per_s_per_core"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * items / threads, benchmark::Counter::kIsRate);
}

BENCHMARK(BM_PlainLoop)->Arg(4096)->Arg(65536);
BENCHMARK(BM_RingResetOnly)->Arg(4096)->Arg(65536);
BENCHMARK(BM_CpuInterpreter)->Args({4096, 1})->Args({65536, 1})->Args({65536, 2})->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
