// CUDA helpers shared by mk_bench_live's raw baselines (raw_baselines.cu, raw_ladder.cu):
// the error macro, owned buffers that can be leaked, bounded stream waits.
// C++17 (nvcc); included only by those .cu files, never by host C++20 code.
#pragma once

#include <cuda/atomic>
#include <cuda_runtime.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>

#include "mk/abi.h"
#include "raw_baselines.cuh"

#define MK_BENCH_CUDA_TRY(expr)                                                        \
  do {                                                                                 \
    const cudaError_t mk_bench_e_ = (expr);                                            \
    if (mk_bench_e_ != cudaSuccess) {                                                  \
      (void)cudaGetLastError();                                                        \
      return std::string(#expr) + " failed: " + cudaGetErrorName(mk_bench_e_) + " (" + \
             cudaGetErrorString(mk_bench_e_) + ")";                                    \
    }                                                                                  \
  } while (0)

namespace mk::bench::live_raw {

using Clock = std::chrono::steady_clock;
using SysRef = cuda::atomic_ref<unsigned, cuda::thread_scope_system>;
inline constexpr unsigned STOP = 0xFFFFFFFFu;
inline constexpr unsigned RING_THREADS_PER_BLOCK = 256;

inline double ns_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::nano>(b - a).count();
}

// Hand finished entries back in ring order: entry p (`stride` words, STATUS first) goes
// DONE -> EMPTY, from `head` while below `end`. Returns whether any did.
inline bool reclaim_done(unsigned* entries, unsigned stride, std::uint32_t count, std::uint64_t& head,
                         std::uint64_t end) {
  bool any = false;
  for (; head < end; ++head, any = true) {
    SysRef status(entries[static_cast<std::size_t>(head % count) * stride]);
    if (status.load(cuda::std::memory_order_acquire) != abi::STATUS_DONE) break;
    status.store(abi::STATUS_EMPTY, cuda::std::memory_order_relaxed);
  }
  return any;
}

// A host loop's bound: stalled() is true once `timeout_ns` passed without progress()
// (the clock is read every 1024 idle turns, not every turn).
class StallWatch {
 public:
  explicit StallWatch(std::uint64_t timeout_ns) : m_timeout(timeout_ns) {}
  void progress() { m_idle = 0; }
  bool stalled() {
    if ((++m_idle & 1023u) != 0) return false;
    const auto now = Clock::now();
    if (m_idle == 1024) m_since = now;
    return now - m_since > m_timeout;
  }

 private:
  std::chrono::nanoseconds m_timeout;
  std::uint32_t m_idle = 0;
  Clock::time_point m_since{};
};

// Checks a ring spec and caps its lanes at what `kernel` can keep resident (a lane that
// never runs would never serve its slots); fills report's lane fields. "" or what is wrong.
template <class Kernel>
std::string resident_ring_lanes(const RingSpec& spec, Kernel kernel, const std::string& name, RingReport& report) {
  if (spec.lanes == 0 || spec.slot_count == 0 || spec.batch == 0)
    return name + ": lanes, slot_count and batch must be positive";
  if (spec.observable_words == 0 || (spec.observable_words & (spec.observable_words - 1)) != 0)
    return name + ": observable_words must be a power of two";
  GpuRuntimeInfo gpu;
  if (std::string e = query_gpu(gpu); !e.empty()) return e;
  int blocks_per_sm = 0;
  MK_BENCH_CUDA_TRY(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks_per_sm, kernel, RING_THREADS_PER_BLOCK, 0));
  const std::uint64_t resident = std::uint64_t{static_cast<unsigned>(blocks_per_sm)} *
                                 static_cast<unsigned>(gpu.sm_count) * RING_THREADS_PER_BLOCK;
  report.lanes_requested = spec.lanes;
  report.threads_per_block = RING_THREADS_PER_BLOCK;
  report.lanes = spec.lanes;
  if (resident < spec.lanes) {
    report.lanes = static_cast<std::uint32_t>(resident);
    report.note = "only " + std::to_string(resident) + " " + name + " lanes can be resident at once";
  }
  return {};
}

// Owned buffers. leak() keeps them alive when a persistent kernel that uses them could
// not be stopped: freeing memory under a running kernel would block or fault.
class PinnedWords {
 public:
  PinnedWords() = default;
  PinnedWords(const PinnedWords&) = delete;
  PinnedWords& operator=(const PinnedWords&) = delete;
  ~PinnedWords() {
    if (m_host != nullptr && !m_leak) cudaFreeHost(m_host);
  }
  cudaError_t allocate(std::size_t words) {
    void* p = nullptr;
    cudaError_t e = cudaHostAlloc(&p, words * sizeof(unsigned), cudaHostAllocMapped);
    if (e != cudaSuccess) return e;
    m_host = static_cast<unsigned*>(p);
    std::memset(m_host, 0, words * sizeof(unsigned));
    void* d = nullptr;
    e = cudaHostGetDevicePointer(&d, m_host, 0);
    m_device = static_cast<unsigned*>(d);
    return e;
  }
  unsigned* host() const { return m_host; }
  unsigned* device() const { return m_device; }
  void leak() { m_leak = true; }

 private:
  unsigned* m_host = nullptr;
  unsigned* m_device = nullptr;
  bool m_leak = false;
};

class DeviceWords {
 public:
  DeviceWords() = default;
  DeviceWords(const DeviceWords&) = delete;
  DeviceWords& operator=(const DeviceWords&) = delete;
  ~DeviceWords() {
    if (m_ptr != nullptr && !m_leak) cudaFree(m_ptr);
  }
  cudaError_t allocate(std::size_t words) {
    void* p = nullptr;
    cudaError_t e = cudaMalloc(&p, words * sizeof(unsigned));
    if (e != cudaSuccess) return e;
    m_ptr = static_cast<unsigned*>(p);
    return cudaMemset(m_ptr, 0, words * sizeof(unsigned));
  }
  unsigned* get() const { return m_ptr; }
  void leak() { m_leak = true; }

 private:
  unsigned* m_ptr = nullptr;
  bool m_leak = false;
};

class Stream {
 public:
  Stream() = default;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream() {
    if (m_stream != nullptr) cudaStreamDestroy(m_stream);  // returns at once; work finishes first
  }
  cudaError_t create() { return cudaStreamCreateWithFlags(&m_stream, cudaStreamNonBlocking); }
  cudaStream_t get() const { return m_stream; }

 private:
  cudaStream_t m_stream = nullptr;
};

// Wait for a stream's work with a deadline instead of cudaStreamSynchronize, which
// would block forever on a persistent kernel that never saw its stop word.
// Returns false on timeout; `error` holds the stream's error once it finished.
inline bool wait_stream(cudaStream_t stream, std::uint64_t timeout_ns, cudaError_t& error) {
  const auto deadline = Clock::now() + std::chrono::nanoseconds(timeout_ns);
  for (;;) {
    error = cudaStreamQuery(stream);
    if (error != cudaErrorNotReady) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
}

inline std::string stop_error(cudaError_t e, const char* kernel) {
  (void)cudaGetLastError();
  return std::string(kernel) + " failed: " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")";
}

// Sum of a ring's observable words in device memory, read through a side stream (the
// persistent kernel's stream never finishes) into pinned staging; bounded.
inline std::string observable_sum(const DeviceWords& obs, std::uint32_t words, cudaStream_t side, PinnedWords& staging,
                                  std::uint64_t& sum) {
  MK_BENCH_CUDA_TRY(cudaMemcpyAsync(staging.host(), obs.get(), words * sizeof(unsigned), cudaMemcpyDeviceToHost, side));
  cudaError_t e = cudaSuccess;
  if (!wait_stream(side, 5000000000ull, e)) return "reading the ring's observables timed out";
  MK_BENCH_CUDA_TRY(e);
  sum = 0;
  for (std::uint32_t i = 0; i < words; ++i) sum += staging.host()[i];
  return {};
}

// A ring's warm-up and timed reps: run_rep() moves spec.items_per_rep items ("" or why
// it stalled), the timed reps' wall times go to report.rep_ns, and the observables are
// checked (every item added 1, or nothing for NOP items) after the warm-up, before
// anything is timed, and after the last rep. reclaimed() is how many items finished.
template <class RunRep, class Reclaimed>
std::string timed_ring_reps(const RingSpec& spec, RingReport& report, const std::string& name, RunRep run_rep,
                            Reclaimed reclaimed, const DeviceWords& obs, cudaStream_t side, PinnedWords& staging) {
  std::string failure;
  for (std::uint32_t rep = 0; rep < spec.warmup_reps + spec.reps && failure.empty(); ++rep) {
    const auto t0 = Clock::now();
    failure = run_rep();
    const auto t1 = Clock::now();
    if (!failure.empty()) break;
    if (rep >= spec.warmup_reps) report.rep_ns.push_back(ns_between(t0, t1));
    if (rep + 1 == spec.warmup_reps || rep + 1 == spec.warmup_reps + spec.reps) {
      std::uint64_t sum = 0;
      failure = observable_sum(obs, spec.observable_words, side, staging, sum);
      const std::uint64_t expected = spec.atomic_add ? reclaimed() : 0;
      if (failure.empty() && sum != expected)
        failure = name + "'s observables add up to " + std::to_string(sum) + " after " + std::to_string(reclaimed()) +
                  " items; expected " + std::to_string(expected);
    }
  }
  return failure;
}

}  // namespace mk::bench::live_raw
