// mk_bench_bulk: N host-held ATOMIC_ADD items -> results in host memory, wall time.
// Paths, in one binary and run: a prebuilt compact batch (dispatch_batch), building it
// (BatchBuilder appends), a batch in pageable user memory (staged), the seed's ring
// path (std::vector<WorkItem> -> try_encode_work_items_ring_into -> dispatch_in_place),
// and the floors: a plain pinned-records CUDA program (12- and 64-byte records,
// unpipelined; 12- and 8-byte records chunked over 4 streams), per-item launches and a
// CUDA graph (1k items), and the PCIe copy bandwidth. Every path is checked first.
#include <cuda_runtime.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bulk/floors.cuh"
#include "common/cli.h"
#include "common/gpu_baselines.cuh"
#include "common/stats.h"
#include "mk/mk.h"

namespace {

using mk::bench::summarize;
using mk::bench::Summary;
using Clock = std::chrono::steady_clock;
constexpr std::uint32_t OBSERVABLES = 1024;

double ns_since(Clock::time_point t) { return std::chrono::duration<double, std::nano>(Clock::now() - t).count(); }

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "mk_bench_bulk: %s\n", what.c_str());
  std::exit(1);
}

template <class T>
T must(mk::Result<T>&& r, const char* what) {
  if (!r) die(std::string(what) + ": " + r.error().what());
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

nlohmann::json to_json(const Summary& s, const std::vector<double>& raw) {
  return {{"median_ns", s.median}, {"p99_ns", s.p99},      {"min_ns", s.min},
          {"max_ns", s.max},       {"samples", s.samples}, {"raw_ns", raw}};
}

struct Row {
  std::uint32_t n = 0;
  std::string path;
  Summary wall;
  std::vector<double> raw;
  double bytes_up = 0;  // per sample
};

// Warm up, then time `samples` calls of fn (which returns its own wall ns).
Row time_path(std::uint32_t n, std::string path, std::uint32_t warmup, std::uint32_t samples,
              const std::function<double()>& fn, double bytes_up = 0) {
  for (std::uint32_t i = 0; i < warmup; ++i) fn();
  Row r{n, std::move(path), {}, {}, bytes_up};
  for (std::uint32_t i = 0; i < samples; ++i) r.raw.push_back(fn());
  r.wall = summarize(r.raw);
  return r;
}

// The control buffer's observables sum to n and the batch reported no fault.
void check_batch(const mk::BatchOutput& out, std::uint32_t n, const char* path) {
  std::uint64_t sum = 0;
  const auto obs = mk::read_observables(out.control());
  for (auto v : obs) sum += v;
  if (sum != n || out.fault_count() != 0 || out.size() != n)
    die(std::string(path) + ": wrong result (sum " + std::to_string(sum) + ", faults " +
        std::to_string(out.fault_count()) + ")");
  // Previous values of word 0's adds are 0, 1, 2, ... in some order: check their sum.
  std::uint64_t prev = 0, count = 0;
  for (std::uint32_t i = 0; i < n; i += OBSERVABLES) prev += out.result(i), ++count;
  if (prev != count * (count - 1) / 2) die(std::string(path) + ": RESULT words are wrong");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"host-held items to results in host memory through the bulk path and its floors", "mk_bench_bulk"};
  std::vector<std::uint32_t> sizes{1000, 65536, 1u << 20, 16u << 20};
  std::uint32_t samples = 30, warmup = 3, ring_samples = 10;
  std::string json_path, backend_name = "cuda";
  bool quick = false;
  app.add_option("--sizes", sizes, "item counts");
  app.add_option("--samples", samples, "timed samples per path (16M items: a third)");
  app.add_option("--ring-samples", ring_samples, "timed samples of the ring path (slow by design)");
  app.add_option("--warmup", warmup, "untimed runs first");
  app.add_option("--json", json_path, "write every sample here");
  app.add_option("--backend", backend_name, "cpu or cuda (floors need cuda)");
  app.add_flag("--quick", quick, "sizes 1000 and 65536, 5 samples");
  if (const auto code = mk::bench::parse_flags(app, argc, argv)) return *code;
  if (quick) sizes = {1000, 65536}, samples = 5, ring_samples = 3, warmup = 1;

  auto backend = must(mk::make_backend(backend_name), "backend");
  const bool cuda = backend->name() == "cuda";
  const auto dev = backend->devices().at(0);
  std::printf("device %s (%s), driver %s, commit %s%s\n", dev.name.c_str(), dev.arch.c_str(), dev.driver.c_str(),
              MK_BENCH_COMMIT, MK_BENCH_DIRTY ? " (dirty tree)" : "");

  std::vector<Row> rows;
  nlohmann::json extra;
  double h2d = 0, d2h = 0;
  if (cuda) {
    h2d = mk::bench::pcie_bandwidth(std::size_t{256} << 20, true, 10);
    d2h = mk::bench::pcie_bandwidth(std::size_t{256} << 20, false, 10);
    std::printf("PCIe pinned copy bandwidth: H2D %.1f GB/s, D2H %.1f GB/s (256 MiB, median of 10)\n", h2d / 1e9,
                d2h / 1e9);
  }

  for (const std::uint32_t n : sizes) {
    const std::uint32_t s = n >= (8u << 20) ? std::max(5u, samples / 3) : samples;
    const mk::Bytes control = mk::encode_control(false, 1, OBSERVABLES);
    // One megakernel for the batch paths (its ring geometry does not matter to them).
    auto megakernel = must(mk::Megakernel::bootstrap_sharded(backend, 256, 256), "bootstrap");
    const mk::BatchShape shape = mk::BatchShape::uniform(mk::abi::OP_ATOMIC_ADD, 0, 2);
    auto builder = must(mk::BatchBuilder::make(megakernel, shape, n), "builder");
    // Records for many items at once (BatchBuilder::append(n)): one bounds check.
    auto build = [&] {
      builder.clear();
      mk::Word* r = builder.append(n);
      for (std::uint32_t i = 0; i < n; ++i, r += 2) {
        r[0] = i % OBSERVABLES;
        r[1] = 1;
      }
    };
    // One record at a time (BatchBuilder::append()).
    auto build_each = [&] {
      builder.clear();
      for (std::uint32_t i = 0; i < n; ++i) {
        mk::Word* r = builder.append();
        r[0] = i % OBSERVABLES;
        r[1] = 1;
      }
    };
    build();
    mk::BatchOutput out;
    must(megakernel.dispatch_batch(control, builder.view(), out), "dispatch_batch");
    check_batch(out, n, "batch");
    const double record_bytes = 8.0 * n;
    rows.push_back(time_path(
        n, "batch_prebuilt", warmup, s,
        [&] {
          const auto t = Clock::now();
          must(megakernel.dispatch_batch(control, builder.view(), out), "dispatch_batch");
          return ns_since(t);
        },
        record_bytes));
    check_batch(out, n, "batch");
    rows.push_back(time_path(n, "batch_build_only", warmup, s, [&] {
      const auto t = Clock::now();
      build();
      return ns_since(t);
    }));
    rows.push_back(time_path(n, "batch_build_one_at_a_time", warmup, s, [&] {
      const auto t = Clock::now();
      build_each();
      return ns_since(t);
    }));
    rows.push_back(time_path(
        n, "batch_build_and_dispatch", warmup, s,
        [&] {
          const auto t = Clock::now();
          build();
          must(megakernel.dispatch_batch(control, builder.view(), out), "dispatch_batch");
          return ns_since(t);
        },
        record_bytes));
    check_batch(out, n, "batch_build_and_dispatch");
    {
      std::vector<mk::Word> pageable(builder.view().records.begin(), builder.view().records.end());
      const mk::BatchView view{shape, n, pageable};
      rows.push_back(time_path(
          n, "batch_pageable_records", warmup, s,
          [&] {
            const auto t = Clock::now();
            must(megakernel.dispatch_batch(control, view, out), "dispatch_batch");
            return ns_since(t);
          },
          record_bytes));
      check_batch(out, n, "batch_pageable_records");
    }
    // The seed's path: WorkItems -> ring (reused buffer) -> one-shot dispatch in place.
    {
      const std::uint32_t slots = (n + 255) / 256 * 256;
      auto ring_mk = must(mk::Megakernel::bootstrap_sharded(backend, slots, 256), "bootstrap ring");
      std::vector<mk::WorkItem> items(n);
      for (std::uint32_t i = 0; i < n; ++i)
        items[i] =
            must(mk::WorkItem::make(mk::abi::OP_ATOMIC_ADD, 0, std::vector<std::uint32_t>{i % OBSERVABLES, 1}), "item");
      mk::OutputBuffers buffers;
      buffers.ring = mk::encode_empty_ring(slots);
      auto run_ring = [&] {
        const auto t = Clock::now();
        buffers.control.assign(control.begin(), control.end());
        must(mk::try_encode_work_items_ring_into(mk::ByteSpan(buffers.ring), items), "encode ring");
        must(ring_mk.dispatch_in_place(buffers), "dispatch_in_place");
        return ns_since(t);
      };
      // The encoder alone, against a plain memcpy of the ring's bytes (same process).
      rows.push_back(time_path(n, "ring_encode_only", 1, ring_samples, [&] {
        must(mk::try_encode_empty_ring_into(mk::ByteSpan(buffers.ring), slots), "reset ring");  // untimed
        const auto t = Clock::now();
        must(mk::try_encode_work_items_ring_into(mk::ByteSpan(buffers.ring), items), "encode ring");
        return ns_since(t);
      }));
      {
        mk::Bytes copy(buffers.ring.size());
        rows.push_back(time_path(n, "memcpy_ring_bytes", 1, ring_samples, [&] {
          const auto t = Clock::now();
          std::memcpy(copy.data(), buffers.ring.data(), copy.size());
          return ns_since(t);
        }));
      }
      // The one-shot dispatch alone (re-encoding untimed), what the kernel's ring costs.
      rows.push_back(time_path(
          n, "ring_dispatch_in_place_only", 1, ring_samples,
          [&] {
            must(mk::try_encode_empty_ring_into(mk::ByteSpan(buffers.ring), slots), "reset ring");
            must(mk::try_encode_work_items_ring_into(mk::ByteSpan(buffers.ring), items), "encode ring");
            buffers.control.assign(control.begin(), control.end());
            const auto t = Clock::now();
            must(ring_mk.dispatch_in_place(buffers), "dispatch_in_place");
            return ns_since(t);
          },
          64.0 * n));
      must(mk::try_encode_empty_ring_into(mk::ByteSpan(buffers.ring), slots), "reset ring");
      run_ring();
      std::uint64_t sum = 0;
      for (auto v : mk::read_observables(buffers.control)) sum += v;
      if (sum != n) die("ring path: wrong observables");
      rows.push_back(
          time_path(n, "ring_workitems_encode_dispatch", 1, n >= (8u << 20) ? 3u : ring_samples, run_ring, 64.0 * n));
    }
    if (cuda) {
      auto floor_case = [&](std::uint32_t bytes, std::uint32_t chunks, std::uint32_t streams, const std::string& name) {
        mk::bench::PinnedRecordsFloor f(n, bytes, OBSERVABLES);
        f.run(chunks, streams);
        if (!f.check()) die(name + ": wrong results");
        rows.push_back(time_path(
            n, name, warmup, s, [&] { return f.run(chunks, streams); }, double(bytes) * n));
      };
      floor_case(12, 1, 1, "floor_pinned_12B");
      floor_case(64, 1, 1, "floor_pinned_64B");
      floor_case(12, 8, 4, "floor_pinned_12B_8chunks_4streams");
      floor_case(8, 16, 4, "floor_pinned_8B_16chunks_4streams");
      if (n <= 1000) {
        // Per-item launches and a per-item graph over device-resident addr/delta.
        std::vector<std::uint32_t> addr(n), delta(n, 1);
        for (std::uint32_t i = 0; i < n; ++i) addr[i] = i % OBSERVABLES;
        std::uint32_t *d_obs = nullptr, *d_addr = nullptr, *d_delta = nullptr;
        cudaMalloc(&d_obs, OBSERVABLES * 4);
        cudaMalloc(&d_addr, n * 4);
        cudaMalloc(&d_delta, n * 4);
        cudaMemcpy(d_addr, addr.data(), n * 4, cudaMemcpyHostToDevice);
        cudaMemcpy(d_delta, delta.data(), n * 4, cudaMemcpyHostToDevice);
        cudaStream_t stream;
        cudaStreamCreate(&stream);
        rows.push_back(time_path(n, "per_item_launches", warmup, s, [&] {
          const auto t = Clock::now();
          if (mk::bench::launch_per_item(d_obs, d_addr, d_delta, n, stream) != cudaSuccess) die("launch");
          cudaStreamSynchronize(stream);
          return ns_since(t);
        }));
        cudaGraphExec_t exec = nullptr;
        if (mk::bench::build_per_item_graph(d_obs, d_addr, d_delta, n, stream, &exec) != cudaSuccess) die("graph");
        rows.push_back(time_path(n, "per_item_graph", warmup, s, [&] {
          const auto t = Clock::now();
          cudaGraphLaunch(exec, stream);
          cudaStreamSynchronize(stream);
          return ns_since(t);
        }));
        cudaGraphExecDestroy(exec);
        cudaStreamDestroy(stream);
        cudaFree(d_obs);
        cudaFree(d_addr);
        cudaFree(d_delta);
      }
    }
  }

  // Table: per size, every path against the unpipelined 12-byte floor.
  std::printf("\n%-10s %-34s %12s %12s %10s %9s %9s\n", "items", "path", "median us", "p99 us", "ns/item", "vs 12B",
              "GB/s up");
  for (const Row& r : rows) {
    double floor12 = 0;
    for (const Row& f : rows)
      if (f.n == r.n && f.path == "floor_pinned_12B") floor12 = f.wall.median;
    const double gbs = r.bytes_up > 0 ? r.bytes_up / r.wall.median : 0;
    std::printf("%-10u %-34s %12.1f %12.1f %10.2f %9s %9.1f\n", r.n, r.path.c_str(), r.wall.median / 1e3,
                r.wall.p99 / 1e3, r.wall.median / r.n,
                floor12 > 0 ? (std::to_string(r.wall.median / floor12).substr(0, 5) + "x").c_str() : "-", gbs);
  }
  if (!json_path.empty()) {
    nlohmann::json j;
    j["bench"] = "mk_bench_bulk";
    j["device"] = dev.name;
    j["arch"] = dev.arch;
    j["driver"] = dev.driver;
    j["commit"] = MK_BENCH_COMMIT;
    j["dirty"] = MK_BENCH_DIRTY != 0;
    j["backend"] = backend_name;
    j["pcie_h2d_bytes_per_s"] = h2d;
    j["pcie_d2h_bytes_per_s"] = d2h;
    j["workload"] = "ATOMIC_ADD, addr = i % 1024, delta = 1, tenant 0; records 8 bytes (2 args, shared opcode/tenant)";
    for (const Row& r : rows) {
      nlohmann::json row = to_json(r.wall, r.raw);
      row["items"] = r.n;
      row["path"] = r.path;
      row["bytes_up_per_sample"] = r.bytes_up;
      row["ns_per_item"] = r.wall.median / r.n;
      j["rows"].push_back(row);
    }
    std::ofstream(json_path) << j.dump(2) << "\n";
    std::printf("wrote %s\n", json_path.c_str());
  }
  return 0;
}
