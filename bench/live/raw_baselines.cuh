// Raw GPU baselines of mk_bench_live (no interpreter, no mk headers): mapped-memory
// ping-pong, launch + sync, a raw mapped ring, per-item launches and a per-item graph.
//
// The interface is plain C++17 without CUDA types so the C++20 host code can include
// it; raw_baselines.cu (nvcc, C++17) implements it. Only built when MK_BENCH_HAVE_CUDA.
// Every function returns "" on success, else what failed; every wait is bounded.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mk::bench::live_raw {

struct GpuRuntimeInfo {
  std::string name;
  int driver_version = 0;   // cudaDriverGetVersion, e.g. 13000 for 13.0
  int runtime_version = 0;  // cudaRuntimeGetVersion
  int sm_count = 0;
};
std::string query_gpu(GpuRuntimeInfo& out);

struct RoundTripSpec {
  std::uint32_t warmup = 0;
  std::uint32_t samples = 0;
  std::uint64_t timeout_ns = 1000000000;  // per round trip
};

// One GPU thread of one persistent kernel spins on a word of mapped pinned host memory;
// the host writes a sequence number there and spins until the thread echoes it into a
// second mapped word. The kernel runs across every sample. `ns` gets one wall-clock
// round trip per sample.
// @warning host-device handshake: the kernel leaves only when it sees the stop value;
// a kernel that never starts is reported after timeout_ns, not waited for forever.
std::string pingpong_round_trip(const RoundTripSpec& spec, std::vector<double>& ns);

// cudaLaunchKernel of a one-thread atomicAdd kernel + cudaStreamSynchronize per sample.
std::string launch_sync_round_trip(const RoundTripSpec& spec, std::vector<double>& ns);

struct RingSpec {
  std::uint32_t lanes = 0;       // lanes the live session reported
  std::uint32_t slot_count = 0;  // rounded up to a multiple of the lanes used
  std::uint32_t batch = 256;     // items published per pass of the producer
  std::uint64_t items_per_rep = 0;
  std::uint32_t warmup_reps = 1;
  std::uint32_t reps = 0;
  bool atomic_add = true;                 // false: NOP items (the lane only acknowledges)
  std::uint32_t observable_words = 1024;  // power of two: item i adds 1 to word i % this
  std::uint64_t timeout_ns = 5000000000;  // longest time without any progress
  std::uint32_t max_backoff_ns = 2000;    // longest idle back-off of a lane (as LiveOptions)
};

struct RingReport {
  std::uint32_t lanes_requested = 0;
  std::uint32_t lanes = 0;       // lanes run (fewer only when they cannot all be resident)
  std::uint32_t slot_count = 0;  // slots used (a multiple of lanes)
  std::uint32_t threads_per_block = 0;
  std::string note;            // why lanes != lanes_requested, when so
  std::vector<double> rep_ns;  // wall time of each timed rep
};

// A persistent kernel of `lanes` threads polls a ring of 16-word slots in mapped pinned
// host memory; lane l owns slots s with s % lanes == l and visits them in ring order,
// polling as the live kernel does (16-byte loads, idle back-off up to max_backoff_ns).
// One host thread publishes (words, then STATUS=1 with release), the owning lane does
// the item's atomicAdd into device memory, writes RESULT and STATUS=3 with release,
// and the host reclaims slots in order (3 -> 0) and reuses them. The observable words
// are checked against the items after the warm-up and after the last rep.
// @warning host-device handshake: the lanes leave only when they see the stop word,
// which is set on every path; a ring that stops moving is reported after timeout_ns.
std::string raw_ring_throughput(const RingSpec& spec, RingReport& report);

struct LaunchSpec {
  std::uint32_t items = 10000;  // per sample
  std::uint32_t warmup = 2;
  std::uint32_t samples = 10;
};

// bench/common/gpu_baselines.cu's per-item launches (one <<<1,1>>> kernel per item, one sync
// per sample) and its CUDA graph of per-item nodes; `ns` gets the wall time of each
// sample of spec.items items.
std::string per_item_launches(const LaunchSpec& spec, std::vector<double>& ns);
std::string per_item_graph(const LaunchSpec& spec, std::vector<double>& ns);

}  // namespace mk::bench::live_raw
