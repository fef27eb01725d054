// Raw GPU baselines of mk_bench_live: the floors a LiveSession is measured against.
// C++17 (nvcc); only mk/abi.h (C++17, no includes) is taken from the library.
#include <cuda/atomic>
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "common/gpu_baselines.cuh"
#include "mk/abi.h"
#include "raw_baselines.cuh"
#include "raw_cuda_util.cuh"

namespace mk::bench::live_raw {
namespace {

namespace abi = mk::abi;

// --- kernels ----------------------------------------------------------------------------

// One thread echoes every new value of *to_gpu into *from_gpu until it echoes STOP.
__global__ void pingpong_kernel(unsigned* to_gpu, unsigned* from_gpu) {
  SysRef in(*to_gpu);
  SysRef out(*from_gpu);
  unsigned last = 0;
  for (;;) {
    const unsigned v = in.load(cuda::std::memory_order_relaxed);
    if (v == last) continue;
    last = v;
    out.store(v, cuda::std::memory_order_relaxed);
    if (v == STOP) return;
  }
}

__global__ void add_one_kernel(unsigned* word) { atomicAdd(word, 1u); }

// Lane l visits slots l, l + lanes, ... (slot_count is a multiple of lanes), so the slot
// it waits on can only turn PUBLISHED for the position it expects next. Polling is the
// live kernel's: one 16-byte uncached load of STATUS..RESULT per poll, an acquire fence
// on a hit, and an idle back-off of 32 ns doubling up to max_backoff_ns.
__global__ void raw_ring_kernel(unsigned* ring, unsigned slot_count, unsigned lanes, unsigned* observables,
                                unsigned observable_mask, unsigned* stop, unsigned max_backoff_ns) {
  const unsigned lane = blockIdx.x * blockDim.x + threadIdx.x;
  if (lane >= lanes) return;
  unsigned slot = lane;
  unsigned idle = 0;
  unsigned backoff = 0;
  for (;;) {
    unsigned* w = ring + static_cast<std::size_t>(slot) * abi::SLOT_WORDS;
    const uint4 head = __ldcv(reinterpret_cast<const uint4*>(w));  // STATUS, OPCODE, TENANT, RESULT
    if (head.x == abi::STATUS_PUBLISHED) {
      // Acquire: the host wrote every other word before STATUS (release).
      cuda::atomic_thread_fence(cuda::std::memory_order_acquire, cuda::thread_scope_system);
      const uint4 args = __ldcv(reinterpret_cast<const uint4*>(w + abi::SLOT_ARGS));
      unsigned result = 0;
      if (head.y == abi::OP_ATOMIC_ADD) result = atomicAdd(observables + (args.x & observable_mask), args.y);
      SysRef(w[abi::SLOT_RESULT]).store(result, cuda::std::memory_order_relaxed);
      SysRef(w[abi::SLOT_STATUS]).store(abi::STATUS_DONE, cuda::std::memory_order_release);
      slot += lanes;
      if (slot >= slot_count) slot -= slot_count;
      idle = 0;
      backoff = 0;
      continue;
    }
    if ((++idle & 63u) == 0 && SysRef(*stop).load(cuda::std::memory_order_relaxed) != 0) return;
    backoff = backoff == 0 ? 32u : (2 * backoff < max_backoff_ns ? 2 * backoff : max_backoff_ns);
    __nanosleep(backoff);
  }
}

// --- raw ring host side -----------------------------------------------------------------

struct HostRing {
  unsigned* words = nullptr;
  unsigned slot_count = 0;
  std::uint64_t head = 0;  // next position to reclaim
  std::uint64_t tail = 0;  // next position to publish
};

// Publish n more items and reclaim them all, one host thread; "" or why it stalled.
std::string ring_run(HostRing& r, std::uint64_t n, const RingSpec& spec) {
  const std::uint64_t end = r.tail + n;
  const unsigned opcode = spec.atomic_add ? abi::OP_ATOMIC_ADD : abi::OP_NOP;
  const unsigned mask = spec.observable_words - 1;
  StallWatch watch(spec.timeout_ns);
  while (r.head < end) {
    bool progress = false;
    const std::uint64_t room_end = std::min(end, r.head + r.slot_count);
    const std::uint64_t publish_end = std::min(room_end, r.tail + spec.batch);
    for (; r.tail < publish_end; ++r.tail) {
      unsigned* w = r.words + static_cast<std::size_t>(r.tail % r.slot_count) * abi::SLOT_WORDS;
      SysRef(w[abi::SLOT_OPCODE]).store(opcode, cuda::std::memory_order_relaxed);
      SysRef(w[abi::SLOT_TENANT]).store(0, cuda::std::memory_order_relaxed);
      SysRef(w[abi::SLOT_RESULT]).store(0, cuda::std::memory_order_relaxed);
      SysRef(w[abi::SLOT_ARGS]).store(static_cast<unsigned>(r.tail) & mask, cuda::std::memory_order_relaxed);
      SysRef(w[abi::SLOT_ARGS + 1]).store(1, cuda::std::memory_order_relaxed);
      SysRef(w[abi::SLOT_STATUS]).store(abi::STATUS_PUBLISHED, cuda::std::memory_order_release);
      progress = true;
    }
    static_assert(abi::SLOT_STATUS == 0, "reclaim_done reads STATUS as an entry's first word");
    if (reclaim_done(r.words, abi::SLOT_WORDS, r.slot_count, r.head, r.tail)) progress = true;
    if (progress) {
      watch.progress();
      continue;
    }
    if (watch.stalled())
      return "the raw ring made no progress for " + std::to_string(spec.timeout_ns / 1000000) + " ms (published " +
             std::to_string(r.tail) + ", reclaimed " + std::to_string(r.head) + ")";
  }
  return {};
}

std::string per_item_setup(const LaunchSpec& spec, DeviceWords& obs, DeviceWords& addr, DeviceWords& delta) {
  std::vector<unsigned> a(spec.items), d(spec.items, 1u);
  for (std::uint32_t i = 0; i < spec.items; ++i) a[i] = i % 1024u;
  MK_BENCH_CUDA_TRY(obs.allocate(1024));
  MK_BENCH_CUDA_TRY(addr.allocate(spec.items));
  MK_BENCH_CUDA_TRY(delta.allocate(spec.items));
  MK_BENCH_CUDA_TRY(cudaMemcpy(addr.get(), a.data(), spec.items * sizeof(unsigned), cudaMemcpyHostToDevice));
  MK_BENCH_CUDA_TRY(cudaMemcpy(delta.get(), d.data(), spec.items * sizeof(unsigned), cudaMemcpyHostToDevice));
  return {};
}

std::string per_item_check(const DeviceWords& obs, std::uint64_t expected, const char* what) {
  std::vector<unsigned> h(1024);
  MK_BENCH_CUDA_TRY(cudaMemcpy(h.data(), obs.get(), 1024 * sizeof(unsigned), cudaMemcpyDeviceToHost));
  std::uint64_t sum = 0;
  for (unsigned v : h) sum += v;
  if (sum != expected)
    return std::string(what) + " added " + std::to_string(sum) + " instead of " + std::to_string(expected);
  return {};
}

}  // namespace

std::string query_gpu(GpuRuntimeInfo& out) {
  int device = 0;
  MK_BENCH_CUDA_TRY(cudaGetDevice(&device));
  cudaDeviceProp prop{};
  MK_BENCH_CUDA_TRY(cudaGetDeviceProperties(&prop, device));
  out.name = prop.name;
  out.sm_count = prop.multiProcessorCount;
  MK_BENCH_CUDA_TRY(cudaDriverGetVersion(&out.driver_version));
  MK_BENCH_CUDA_TRY(cudaRuntimeGetVersion(&out.runtime_version));
  return {};
}

std::string pingpong_round_trip(const RoundTripSpec& spec, std::vector<double>& ns) {
  PinnedWords words;
  MK_BENCH_CUDA_TRY(words.allocate(64));  // the two words sit 128 bytes apart
  Stream stream;
  MK_BENCH_CUDA_TRY(stream.create());
  unsigned* to_gpu = words.host();
  unsigned* from_gpu = words.host() + 32;
  pingpong_kernel<<<1, 1, 0, stream.get()>>>(words.device(), words.device() + 32);
  MK_BENCH_CUDA_TRY(cudaGetLastError());
  SysRef to(*to_gpu);
  SysRef from(*from_gpu);

  std::string failure;
  const std::uint32_t total = spec.warmup + spec.samples;
  ns.reserve(ns.size() + spec.samples);
  for (std::uint32_t i = 0; i < total && failure.empty(); ++i) {
    const unsigned seq = i + 1;
    // The first handshake also covers the kernel's launch and module load.
    const auto timeout = std::chrono::nanoseconds(i == 0 ? 10 * spec.timeout_ns : spec.timeout_ns);
    const auto t0 = Clock::now();
    to.store(seq, cuda::std::memory_order_release);
    std::uint32_t spins = 0;
    unsigned seen = 0;
    while ((seen = from.load(cuda::std::memory_order_acquire)) != seq) {
      if ((++spins & 1023u) == 0 && Clock::now() - t0 > timeout) {
        failure = "the ping-pong kernel did not echo sequence " + std::to_string(seq) + " in time (it echoed " +
                  std::to_string(seen) + "); is another kernel occupying the GPU?";
        break;
      }
    }
    const auto t1 = Clock::now();
    if (failure.empty() && i >= spec.warmup) ns.push_back(ns_between(t0, t1));
  }
  to.store(STOP, cuda::std::memory_order_release);
  cudaError_t e = cudaSuccess;
  if (!wait_stream(stream.get(), 5000000000ull, e)) {
    words.leak();
    return failure.empty() ? "the ping-pong kernel did not stop within 5 s" : failure;
  }
  if (e != cudaSuccess) return stop_error(e, "pingpong_kernel");
  if (!failure.empty()) return failure;
  if (from.load(cuda::std::memory_order_acquire) != STOP) return "the ping-pong kernel left without echoing STOP";
  return {};
}

std::string launch_sync_round_trip(const RoundTripSpec& spec, std::vector<double>& ns) {
  DeviceWords word;
  MK_BENCH_CUDA_TRY(word.allocate(1));
  Stream stream;
  MK_BENCH_CUDA_TRY(stream.create());
  unsigned* ptr = word.get();
  void* args[] = {&ptr};
  const std::uint32_t total = spec.warmup + spec.samples;
  ns.reserve(ns.size() + spec.samples);
  for (std::uint32_t i = 0; i < total; ++i) {
    const auto t0 = Clock::now();
    MK_BENCH_CUDA_TRY(
        cudaLaunchKernel(reinterpret_cast<const void*>(&add_one_kernel), dim3(1), dim3(1), args, 0, stream.get()));
    MK_BENCH_CUDA_TRY(cudaStreamSynchronize(stream.get()));
    const auto t1 = Clock::now();
    if (i >= spec.warmup) ns.push_back(ns_between(t0, t1));
  }
  unsigned value = 0;
  MK_BENCH_CUDA_TRY(cudaMemcpy(&value, ptr, sizeof(value), cudaMemcpyDeviceToHost));
  if (value != total) return "launch+sync added " + std::to_string(value) + " instead of " + std::to_string(total);
  return {};
}

std::string raw_ring_throughput(const RingSpec& spec, RingReport& report) {
  if (std::string e = resident_ring_lanes(spec, raw_ring_kernel, "raw ring", report); !e.empty()) return e;
  if (report.lanes == 0) return "raw ring: the kernel cannot be resident on this device";
  const std::uint64_t slots = (std::uint64_t{spec.slot_count} + report.lanes - 1) / report.lanes * report.lanes;
  if (slots > abi::MAX_RING_SLOTS) return "raw ring: too many slots";
  report.slot_count = static_cast<std::uint32_t>(slots);

  PinnedWords ring, stop, staging;
  DeviceWords obs;
  MK_BENCH_CUDA_TRY(ring.allocate(slots * abi::SLOT_WORDS));
  MK_BENCH_CUDA_TRY(stop.allocate(32));
  MK_BENCH_CUDA_TRY(staging.allocate(spec.observable_words));
  MK_BENCH_CUDA_TRY(obs.allocate(spec.observable_words));
  Stream stream, side;
  MK_BENCH_CUDA_TRY(stream.create());
  MK_BENCH_CUDA_TRY(side.create());
  const unsigned blocks = (report.lanes + RING_THREADS_PER_BLOCK - 1) / RING_THREADS_PER_BLOCK;
  raw_ring_kernel<<<blocks, RING_THREADS_PER_BLOCK, 0, stream.get()>>>(
      ring.device(), report.slot_count, report.lanes, obs.get(), spec.observable_words - 1, stop.device(),
      std::max(32u, spec.max_backoff_ns));
  MK_BENCH_CUDA_TRY(cudaGetLastError());

  HostRing host{ring.host(), report.slot_count, 0, 0};
  const std::string failure = timed_ring_reps(
      spec, report, "the raw ring", [&] { return ring_run(host, spec.items_per_rep, spec); }, [&] { return host.head; },
      obs, side.get(), staging);
  SysRef(*stop.host()).store(1, cuda::std::memory_order_release);
  cudaError_t e = cudaSuccess;
  if (!wait_stream(stream.get(), 5000000000ull, e)) {
    ring.leak();
    stop.leak();
    obs.leak();
    return failure.empty() ? "the raw ring kernel did not stop within 5 s" : failure;
  }
  if (e != cudaSuccess) return stop_error(e, "raw_ring_kernel");
  return failure;
}

std::string per_item_launches(const LaunchSpec& spec, std::vector<double>& ns) {
  DeviceWords obs, addr, delta;
  if (std::string e = per_item_setup(spec, obs, addr, delta); !e.empty()) return e;
  Stream stream;
  MK_BENCH_CUDA_TRY(stream.create());
  MK_BENCH_CUDA_TRY(mk::bench::launch_per_item(obs.get(), addr.get(), delta.get(), spec.items, stream.get()));
  MK_BENCH_CUDA_TRY(cudaStreamSynchronize(stream.get()));
  if (std::string e = per_item_check(obs, spec.items, "per-item launches"); !e.empty()) return e;
  for (std::uint32_t s = 0; s < spec.warmup + spec.samples; ++s) {
    const auto t0 = Clock::now();
    MK_BENCH_CUDA_TRY(mk::bench::launch_per_item(obs.get(), addr.get(), delta.get(), spec.items, stream.get()));
    MK_BENCH_CUDA_TRY(cudaStreamSynchronize(stream.get()));
    const auto t1 = Clock::now();
    if (s >= spec.warmup) ns.push_back(ns_between(t0, t1));
  }
  return {};
}

std::string per_item_graph(const LaunchSpec& spec, std::vector<double>& ns) {
  DeviceWords obs, addr, delta;
  if (std::string e = per_item_setup(spec, obs, addr, delta); !e.empty()) return e;
  Stream stream;
  MK_BENCH_CUDA_TRY(stream.create());
  cudaGraphExec_t exec = nullptr;
  MK_BENCH_CUDA_TRY(
      mk::bench::build_per_item_graph(obs.get(), addr.get(), delta.get(), spec.items, stream.get(), &exec));
  struct ExecGuard {
    cudaGraphExec_t exec;
    ~ExecGuard() { cudaGraphExecDestroy(exec); }
  } guard{exec};
  MK_BENCH_CUDA_TRY(cudaGraphLaunch(exec, stream.get()));
  MK_BENCH_CUDA_TRY(cudaStreamSynchronize(stream.get()));
  if (std::string e = per_item_check(obs, spec.items, "the per-item CUDA graph"); !e.empty()) return e;
  for (std::uint32_t s = 0; s < spec.warmup + spec.samples; ++s) {
    const auto t0 = Clock::now();
    MK_BENCH_CUDA_TRY(cudaGraphLaunch(exec, stream.get()));
    MK_BENCH_CUDA_TRY(cudaStreamSynchronize(stream.get()));
    const auto t1 = Clock::now();
    if (s >= spec.warmup) ns.push_back(ns_between(t0, t1));
  }
  return {};
}

}  // namespace mk::bench::live_raw
