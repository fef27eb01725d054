// Protocol ladder and device-memory ring of mk_bench_live (raw_ladder.cuh): what each of
// the live kernel's protocol steps costs beyond the raw ping-pong's round trip.
// C++17 (nvcc); only mk/abi.h (C++17, no includes) is taken from the library.
#include <cuda/atomic>
#include <cuda_runtime.h>
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "mk/abi.h"
#include "raw_cuda_util.cuh"
#include "raw_ladder.cuh"

namespace mk::bench::live_raw {
namespace {

namespace abi = mk::abi;
using SysRef64 = cuda::atomic_ref<unsigned long long, cuda::thread_scope_system>;
using DevRef = cuda::atomic_ref<unsigned, cuda::thread_scope_device>;
using DevRef64 = cuda::atomic_ref<unsigned long long, cuda::thread_scope_device>;
constexpr auto RELAXED = cuda::std::memory_order_relaxed;
constexpr auto ACQUIRE = cuda::std::memory_order_acquire;
constexpr auto RELEASE = cuda::std::memory_order_release;
constexpr std::uint64_t STOP_TIMEOUT_NS = 5000000000ull;

// Mapped words of a ladder kernel. The slot and the host-written doorbell sit on
// separate 128-byte lines, as the live session's ring and page do.
constexpr unsigned LADDER_SLOT = 0;         // words 0..15
constexpr unsigned LADDER_DOORBELL = 32;    // u64
constexpr unsigned LADDER_COMPLETION = 48;  // u64, OneTrip's answer (GPU-written line)
constexpr unsigned LADDER_WORDS = 64;
constexpr unsigned long long BELL_STOP = ~0ull;  // the doorbell value that stops a ladder kernel
// The ladder kernels compute args[0] + args[1] whatever the opcode; only slot_poll looks
// at it, for its in-band stop (OP_SHUTDOWN).
constexpr unsigned LADDER_OPCODE = abi::OP_NOP;

// Device ring: mapped page (host -> GPU), device flags (poller -> workers), and a mapped
// completion array (GPU -> host) of one 16-byte entry per slot.
constexpr unsigned PAGE_DOORBELL = 0;  // u64: positions below it are in the device ring
constexpr unsigned PAGE_STOP = 32;     // own line: the host writes it once, at the end
constexpr unsigned PAGE_WORDS = 64;
constexpr unsigned FLAG_DOORBELL = 0;  // u64: the poller's copy of PAGE_DOORBELL
constexpr unsigned FLAG_STOP = 2;      // same line, so an idle worker's poll is one L2 read
constexpr unsigned FLAG_WORDS = 32;
constexpr unsigned COMPLETION_WORDS = 4;
constexpr unsigned COMPLETION_STATUS = 0;
constexpr unsigned COMPLETION_RESULT = 1;
constexpr unsigned POLLER_LANES = 32;  // the first warp polls, as LIVE_POLLER_LANES
constexpr unsigned COPIES_IN_FLIGHT = 4;
constexpr unsigned RT_WORKERS = 32;  // device_ring_round_trip's worker lanes
constexpr unsigned RT_SLOTS = 64;

// --- ladder kernels ---------------------------------------------------------------------

// args[0] + args[1]. The host leaves every other word zero; OR-ing them in keeps the
// compiler from dropping loads whose values are otherwise unused (__ldcv is not asm
// volatile), and a load that misread one shows as a wrong RESULT.
__device__ unsigned ladder_result(uint4 w0, uint4 w1, uint4 w2, uint4 w3) {
  const unsigned zeros = w0.z | w0.w | w1.z | w1.w | w2.x | w2.y | w2.z | w2.w | w3.x | w3.y | w3.z | w3.w;
  return w1.x + w1.y + zeros;
}

template <bool VecReply>
__device__ void ladder_reply(unsigned* slot, uint4 w0, unsigned result) {
  if constexpr (VecReply) {
    // STATUS, OPCODE, TENANT and RESULT in one 16-byte store and no fence. This relies on
    // a 16-byte aligned store reaching host memory as one PCIe write, so the host never
    // reads DONE without the RESULT beside it; the memory model does not promise that
    // (the store is weak), the hardware does in practice. Nothing else needs ordering:
    // RESULT depends on every load of the slot, so they completed before the store.
    __stwt(reinterpret_cast<uint4*>(slot), make_uint4(abi::STATUS_DONE, w0.y, w0.z, result));
  } else {
    SysRef(slot[abi::SLOT_RESULT]).store(result, RELAXED);
    SysRef(slot[abi::SLOT_STATUS]).store(abi::STATUS_DONE, RELEASE);  // MEMBAR.SYS, then the store
  }
}

// The whole slot in four 16-byte loads issued together (as live_run_position; the caller
// acquired the doorbell), then the reply; false when STATUS is not PUBLISHED yet.
template <bool VecReply>
__device__ bool ladder_answer(unsigned* slot) {
  const uint4* s = reinterpret_cast<const uint4*>(slot);
  const uint4 w0 = __ldcv(s), w1 = __ldcv(s + 1), w2 = __ldcv(s + 2), w3 = __ldcv(s + 3);
  if (w0.x != abi::STATUS_PUBLISHED) return false;
  ladder_reply<VecReply>(slot, w0, ladder_result(w0, w1, w2, w3));
  return true;
}

// Rung 1: the raw ring's polling on a single slot. Stops on a slot with OP_SHUTDOWN.
__global__ void ladder_slot_poll_kernel(unsigned* slot) {
  const uint4* s = reinterpret_cast<const uint4*>(slot);
  for (;;) {
    const uint4 w0 = __ldcv(s);  // STATUS, OPCODE, TENANT, RESULT
    if (w0.x != abi::STATUS_PUBLISHED) continue;
    // Acquire: the host wrote every other word before STATUS (release).
    cuda::atomic_thread_fence(ACQUIRE, cuda::thread_scope_system);
    const uint4 w1 = __ldcv(s + 1), w2 = __ldcv(s + 2), w3 = __ldcv(s + 3);
    ladder_reply<false>(slot, w0, ladder_result(w0, w1, w2, w3));
    if (w0.y == abi::OP_SHUTDOWN) return;
  }
}

// Rungs 2 and 3: poll a doorbell, read the slot only when it moved. Stops on BELL_STOP.
template <bool VecReply>
__global__ void ladder_doorbell_kernel(unsigned* slot, const unsigned long long* doorbell) {
  unsigned long long seen = 0;
  for (;;) {
    const unsigned long long bell = __ldcv(doorbell);
    if (bell == seen) continue;
    if (bell == BELL_STOP) return;
    // Acquire only when it moved, as live_poll: the host wrote the slot before ringing.
    cuda::atomic_thread_fence(ACQUIRE, cuda::thread_scope_system);
    if (ladder_answer<VecReply>(slot)) seen = bell;  // else read it again (never expected)
  }
}

// Rungs 4 and 5, launched <<<2, 1>>>: block 0 polls the doorbell and relays it through
// device memory; block 1 waits on the relay and answers (live_poll + live_run's split).
// Sleep: the worker's idle back-off of live_run (32 ns doubling up to max_backoff_ns).
template <bool Sleep>
__global__ void ladder_relay_kernel(unsigned* slot, const unsigned long long* doorbell, unsigned long long* relay,
                                    unsigned max_backoff_ns) {
  if (threadIdx.x != 0) return;
  DevRef64 relayed(*relay);
  unsigned long long seen = 0;
  if (blockIdx.x == 0) {
    for (;;) {
      const unsigned long long bell = __ldcv(doorbell);
      if (bell == seen) continue;
      cuda::atomic_thread_fence(ACQUIRE, cuda::thread_scope_system);
      relayed.store(bell, RELEASE);
      seen = bell;
      if (bell == BELL_STOP) return;
    }
  }
  unsigned backoff = 0;
  for (;;) {
    const unsigned long long bell = relayed.load(ACQUIRE);
    if (bell != seen) {
      if (bell == BELL_STOP) return;
      if (ladder_answer<false>(slot)) {
        seen = bell;
        backoff = 0;
        continue;
      }
    }
    if constexpr (Sleep) {
      backoff = backoff == 0 ? 32u : (2 * backoff < max_backoff_ns ? 2 * backoff : max_backoff_ns);
      __nanosleep(backoff);
    }
  }
}

// Rung 6: the live wire slot. The tag of sample seq sits in the low half of every chunk's
// first word; the high half of word 0 says "stop after this one". Lanes 0..3 of one warp
// each load one chunk in the same instruction (one 64-byte PCIe read, as the live
// kernel's workers do); the slot is taken when all four tags match, and lane 0 answers
// with one 8-byte record: RESULT << 32 | tag << 16 | DONE, with release.
__device__ __host__ inline unsigned one_trip_tag(unsigned seq) { return (seq & (abi::WIRE_TAG_LAPS - 1u)) + 1u; }

// ATOMIC (rung 7): lane 0 also adds 1 to a device word and waits for the previous value,
// as a live ATOMIC_ADD item does, so rung 7 - rung 6 is the cost of the item's own work.
template <bool ATOMIC>
__global__ void ladder_one_trip_kernel(const unsigned* slot, unsigned long long* completion, unsigned* counter) {
  const unsigned lane = threadIdx.x;
  if (lane >= 4) return;
  constexpr unsigned QUAD = 0xFu;
  SysRef64 answer(*completion);
  for (unsigned seq = 1;;) {
    uint4 c;
    asm volatile("ld.volatile.global.v4.u32 {%0,%1,%2,%3}, [%4];"
                 : "=r"(c.x), "=r"(c.y), "=r"(c.z), "=r"(c.w)
                 : "l"(slot + 4 * lane)
                 : "memory");
    const unsigned tag = one_trip_tag(seq);
    if (__ballot_sync(QUAD, (c.x & abi::WIRE_TAG_MASK) == tag) != QUAD) continue;
    // Every payload word but lane 0's two arguments is zero: OR them in so a misread shows.
    unsigned zeros = lane == 0 ? c.w : (c.y | c.z | c.w);
    for (unsigned o = 2; o >= 1; o >>= 1) zeros |= __shfl_down_sync(QUAD, zeros, o);
    if (lane == 0) {
      unsigned result = c.y + c.z + zeros;
      // The previous value is seq - 1 when every sample added once: a miscount shows.
      if (ATOMIC) result += atomicAdd(counter, 1u) - (seq - 1);
      answer.store(
          (static_cast<unsigned long long>(result) << 32) | (tag << abi::WIRE_COMPLETION_TAG_SHIFT) | abi::STATUS_DONE,
          RELEASE);
    }
    if ((__shfl_sync(QUAD, c.x, 0) >> abi::WIRE_HALF_SHIFT) != 0) return;
    ++seq;
  }
}

// --- ladder host side -------------------------------------------------------------------

// The live session's chunk order: 3, 2, 1, then 0, each one aligned 16-byte store.
void one_trip_publish(unsigned* slot, unsigned seq, unsigned a0, unsigned a1, bool stop) {
  const int tag = static_cast<int>(one_trip_tag(seq));
  auto* d = reinterpret_cast<__m128i*>(slot);
  _mm_store_si128(d + 3, _mm_setr_epi32(tag, 0, 0, 0));
  _mm_store_si128(d + 2, _mm_setr_epi32(tag, 0, 0, 0));
  _mm_store_si128(d + 1, _mm_setr_epi32(tag, 0, 0, 0));
  std::atomic_signal_fence(std::memory_order_release);
  _mm_store_si128(
      d, _mm_setr_epi32(tag | (stop ? 1 << abi::WIRE_HALF_SHIFT : 0), static_cast<int>(a0), static_cast<int>(a1), 0));
}

// The live session's write_slot: every word but STATUS, then STATUS with release.
void ladder_publish(unsigned* slot, unsigned opcode, unsigned a0, unsigned a1) {
  SysRef(slot[abi::SLOT_OPCODE]).store(opcode, RELAXED);
  SysRef(slot[abi::SLOT_TENANT]).store(0, RELAXED);
  SysRef(slot[abi::SLOT_RESULT]).store(0, RELAXED);
  SysRef(slot[abi::SLOT_ARGS]).store(a0, RELAXED);
  SysRef(slot[abi::SLOT_ARGS + 1]).store(a1, RELAXED);
  for (unsigned i = 2; i < abi::MAX_ARGS; ++i) SysRef(slot[abi::SLOT_ARGS + i]).store(0, RELAXED);
  SysRef(slot[abi::SLOT_STATUS]).store(abi::STATUS_PUBLISHED, RELEASE);
}

const char* ladder_kernel_name(LadderStep step) {
  switch (step) {
    case LadderStep::SlotPoll:
      return "ladder_slot_poll_kernel";
    case LadderStep::Doorbell:
      return "ladder_doorbell_kernel";
    case LadderStep::DoorbellVecReply:
      return "ladder_doorbell_kernel (vector reply)";
    case LadderStep::DoorbellRelay:
      return "ladder_relay_kernel";
    case LadderStep::DoorbellRelaySleep:
      return "ladder_relay_kernel (back-off)";
    case LadderStep::OneTrip:
      return "ladder_one_trip_kernel";
    case LadderStep::OneTripAtomic:
      return "ladder_one_trip_kernel (device atomic)";
  }
  return "ladder kernel";
}

// wait_stream that calls nudge() between queries (to resend a stop that may be lost).
template <class Nudge>
bool wait_stream_nudging(cudaStream_t stream, std::uint64_t timeout_ns, cudaError_t& error, Nudge nudge) {
  const auto deadline = Clock::now() + std::chrono::nanoseconds(timeout_ns);
  for (;;) {
    error = cudaStreamQuery(stream);
    if (error != cudaErrorNotReady) return true;
    if (Clock::now() >= deadline) return false;
    nudge();
    std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
}

// DeviceWords::allocate zeroes on the legacy stream, which a kernel on a non-blocking
// stream does not wait for. Bounded, unlike cudaDeviceSynchronize, which would also wait
// for any persistent kernel still running (one leaked by an earlier failure).
std::string settle_memsets() {
  cudaError_t e = cudaSuccess;
  if (!wait_stream(cudaStreamLegacy, STOP_TIMEOUT_NS, e)) return "zeroing device words did not finish within 5 s";
  MK_BENCH_CUDA_TRY(e);
  return {};
}

// --- device ring kernel -----------------------------------------------------------------

// Lane 0: relay the mapped doorbell into device memory until the mapped stop word is set.
__device__ void device_ring_poll(const unsigned* page, unsigned* flags) {
  DevRef64 relayed(*reinterpret_cast<unsigned long long*>(flags + FLAG_DOORBELL));
  const auto* bell_word = reinterpret_cast<const unsigned long long*>(page + PAGE_DOORBELL);
  unsigned long long seen = 0;
  for (unsigned polls = 1;; ++polls) {
    const unsigned long long bell = __ldcv(bell_word);
    if (bell != seen) {
      // Acquire when it moved, as live_poll; workers acquire the device copy.
      cuda::atomic_thread_fence(ACQUIRE, cuda::thread_scope_system);
      relayed.store(bell, RELEASE);
      seen = bell;
    }
    // Each read of the stop word is a PCIe round trip: look every 64th poll only.
    if ((polls & 63u) == 0 && __ldcv(page + PAGE_STOP) != 0) {
      DevRef(flags[FLAG_STOP]).store(1, RELEASE);
      return;
    }
  }
}

// Run ring position pos; false when its slot does not hold pos yet (never expected: the
// host rings the doorbell only after the copy landed; a lane that sees it retries, and
// a ring that stalls on it is reported by the host).
__device__ bool device_ring_run_position(const unsigned* ring, unsigned slot_count, unsigned* completions,
                                         unsigned long long pos, unsigned* observables, unsigned observable_mask) {
  const unsigned s = static_cast<unsigned>(pos % slot_count);
  const uint4* w = reinterpret_cast<const uint4*>(ring + static_cast<unsigned long long>(s) * abi::SLOT_WORDS);
  // __ldcg (L2): the copy engine wrote the slot, and this SM's L1 may still hold the
  // slot's previous lap. STATUS..RESULT and args 0..3 are all the item needs.
  const uint4 head = __ldcg(w), args = __ldcg(w + 1);
  if (head.x != abi::STATUS_PUBLISHED || args.z != static_cast<unsigned>(pos)) return false;
  unsigned result = 0;
  if (head.y == abi::OP_ATOMIC_ADD) result = atomicAdd(observables + (args.x & observable_mask), args.y);
  unsigned* c = completions + static_cast<unsigned long long>(s) * COMPLETION_WORDS;
  SysRef(c[COMPLETION_RESULT]).store(result, RELAXED);
  SysRef(c[COMPLETION_STATUS]).store(abi::STATUS_DONE, RELEASE);
  return true;
}

// Lanes 0..31 are the poller warp (lane 0 polls); worker w = lane - 32 runs positions
// w, w + workers, ... as live_run does, with its idle back-off.
__global__ void device_ring_kernel(const unsigned* ring, unsigned slot_count, unsigned lanes, unsigned* completions,
                                   const unsigned* page, unsigned* flags, unsigned* observables,
                                   unsigned observable_mask, unsigned max_backoff_ns) {
  const unsigned lane = blockIdx.x * blockDim.x + threadIdx.x;
  if (lane >= lanes) return;
  if (lane < POLLER_LANES) {
    if (lane == 0) device_ring_poll(page, flags);
    return;
  }
  const unsigned worker = lane - POLLER_LANES;
  const unsigned workers = lanes - POLLER_LANES;
  DevRef64 relayed(*reinterpret_cast<unsigned long long*>(flags + FLAG_DOORBELL));
  DevRef stop(flags[FLAG_STOP]);
  unsigned long long next = worker;
  unsigned backoff = 0;
  while (stop.load(RELAXED) == 0) {
    const unsigned long long end = relayed.load(ACQUIRE);
    bool progress = false;
    while (next < end && device_ring_run_position(ring, slot_count, completions, next, observables, observable_mask)) {
      next += workers;
      progress = true;
    }
    if (progress) {
      backoff = 0;
    } else {
      backoff = backoff == 0 ? 32u : (2 * backoff < max_backoff_ns ? 2 * backoff : max_backoff_ns);
      __nanosleep(backoff);
    }
  }
}

// --- device ring host side --------------------------------------------------------------

class CopyEvents {
 public:
  CopyEvents() = default;
  CopyEvents(const CopyEvents&) = delete;
  CopyEvents& operator=(const CopyEvents&) = delete;
  ~CopyEvents() {
    for (cudaEvent_t e : m_events)
      if (e != nullptr) cudaEventDestroy(e);
  }
  cudaError_t create() {
    for (cudaEvent_t& e : m_events)
      if (const cudaError_t r = cudaEventCreateWithFlags(&e, cudaEventDisableTiming); r != cudaSuccess) return r;
    return cudaSuccess;
  }
  cudaEvent_t operator[](unsigned i) const { return m_events[i]; }

 private:
  std::array<cudaEvent_t, COPIES_IN_FLIGHT> m_events{};
};

struct DeviceRingBuffers {
  DeviceWords ring, flags, obs;
  PinnedWords staging, page, completions, obs_staging;
  void leak() {
    ring.leak();
    flags.leak();
    obs.leak();
    staging.leak();
    page.leak();
    completions.leak();
    obs_staging.leak();
  }
};

struct DeviceRingHost {
  unsigned* staging = nullptr;             // host: the slots as encoded, copied to `ring`
  unsigned* ring = nullptr;                // device
  unsigned* completions = nullptr;         // host view of the mapped completion array
  unsigned long long* doorbell = nullptr;  // host view of the mapped doorbell
  unsigned slot_count = 0;
  cudaStream_t copy = nullptr;
  const CopyEvents* events = nullptr;
  std::array<std::uint64_t, COPIES_IN_FLIGHT> copy_end{};  // position each copy covers up to
  unsigned copies = 0;                                     // in flight, oldest at first_copy
  unsigned first_copy = 0;
  std::uint64_t head = 0;  // next position to reclaim
  std::uint64_t rung = 0;  // doorbell: positions below it are in the device ring
  std::uint64_t tail = 0;  // next position to encode
};

void device_ring_encode(DeviceRingHost& r, std::uint64_t pos, unsigned opcode, unsigned observable_mask) {
  // Staging is read only by the copy engine, after cudaMemcpyAsync: plain stores. Args
  // 3..11 stay zero from allocation.
  unsigned* w = r.staging + (pos % r.slot_count) * abi::SLOT_WORDS;
  w[abi::SLOT_STATUS] = abi::STATUS_PUBLISHED;
  w[abi::SLOT_OPCODE] = opcode;
  w[abi::SLOT_TENANT] = 0;
  w[abi::SLOT_RESULT] = 0;
  w[abi::SLOT_ARGS] = static_cast<unsigned>(pos) & observable_mask;
  w[abi::SLOT_ARGS + 1] = 1;
  w[abi::SLOT_ARGS + 2] = static_cast<unsigned>(pos);  // the lane checks it owns what it reads
}

// Copy positions [from, to) into the device ring (two copies where they wrap) and mark
// their end with the next event.
std::string device_ring_copy(DeviceRingHost& r, std::uint64_t from, std::uint64_t to) {
  for (std::uint64_t pos = from; pos < to;) {
    const std::uint64_t s = pos % r.slot_count;
    const std::uint64_t n = std::min<std::uint64_t>(to - pos, r.slot_count - s);
    MK_BENCH_CUDA_TRY(cudaMemcpyAsync(r.ring + s * abi::SLOT_WORDS, r.staging + s * abi::SLOT_WORDS,
                                      n * abi::SLOT_BYTES, cudaMemcpyHostToDevice, r.copy));
    pos += n;
  }
  const unsigned k = (r.first_copy + r.copies) % COPIES_IN_FLIGHT;
  MK_BENCH_CUDA_TRY(cudaEventRecord((*r.events)[k], r.copy));
  r.copy_end[k] = to;
  ++r.copies;
  return {};
}

// Ring the doorbell past every copy that landed. One copy stream: they land in order,
// so the doorbell only grows.
std::string device_ring_bell(DeviceRingHost& r, bool& progress) {
  const std::uint64_t before = r.rung;
  while (r.copies > 0) {
    const cudaError_t q = cudaEventQuery((*r.events)[r.first_copy]);
    if (q == cudaErrorNotReady) break;
    MK_BENCH_CUDA_TRY(q);
    r.rung = r.copy_end[r.first_copy];
    r.first_copy = (r.first_copy + 1) % COPIES_IN_FLIGHT;
    --r.copies;
  }
  if (r.rung != before) {
    SysRef64(*r.doorbell).store(r.rung, RELEASE);
    progress = true;
  }
  return {};
}

// Publish n more items and reclaim them all, one host thread; "" or why it stalled.
std::string device_ring_run(DeviceRingHost& r, std::uint64_t n, const RingSpec& spec) {
  const std::uint64_t end = r.tail + n;
  const unsigned opcode = spec.atomic_add ? abi::OP_ATOMIC_ADD : abi::OP_NOP;
  const unsigned mask = spec.observable_words - 1;
  StallWatch watch(spec.timeout_ns);
  while (r.head < end) {
    bool progress = false;
    if (r.copies < COPIES_IN_FLIGHT) {
      // A slot (staging and device) is rewritten only once its last lap was reclaimed.
      const std::uint64_t publish_end = std::min({end, r.head + r.slot_count, r.tail + spec.batch});
      if (publish_end > r.tail) {
        for (std::uint64_t p = r.tail; p < publish_end; ++p) device_ring_encode(r, p, opcode, mask);
        if (std::string e = device_ring_copy(r, r.tail, publish_end); !e.empty()) return e;
        r.tail = publish_end;
        progress = true;
      }
    }
    if (std::string e = device_ring_bell(r, progress); !e.empty()) return e;
    static_assert(COMPLETION_STATUS == 0, "reclaim_done reads STATUS as an entry's first word");
    if (reclaim_done(r.completions, COMPLETION_WORDS, r.slot_count, r.head, r.rung)) progress = true;
    if (progress) {
      watch.progress();
      continue;
    }
    if (watch.stalled())
      return "the device ring made no progress for " + std::to_string(spec.timeout_ns / 1000000) + " ms (encoded " +
             std::to_string(r.tail) + ", doorbell " + std::to_string(r.rung) + ", reclaimed " + std::to_string(r.head) +
             ", copies in flight " + std::to_string(r.copies) + ")";
  }
  return {};
}

struct DeviceRingConfig {
  std::uint32_t lanes = 0;  // the poller warp included
  std::uint32_t threads_per_block = 0;
  std::uint32_t slot_count = 0;
  std::uint32_t observable_words = 0;
  std::uint32_t max_backoff_ns = 0;
};

// Allocate, launch device_ring_kernel, run body(host, buffers, side stream), then stop
// the kernel (bounded) and return body's failure, or the stop's.
template <class Body>
std::string device_ring_session(const DeviceRingConfig& cfg, Body&& body) {
  DeviceRingBuffers b;
  const std::size_t ring_words = std::size_t{cfg.slot_count} * abi::SLOT_WORDS;
  MK_BENCH_CUDA_TRY(b.ring.allocate(ring_words));
  MK_BENCH_CUDA_TRY(b.staging.allocate(ring_words));
  MK_BENCH_CUDA_TRY(b.completions.allocate(std::size_t{cfg.slot_count} * COMPLETION_WORDS));
  MK_BENCH_CUDA_TRY(b.page.allocate(PAGE_WORDS));
  MK_BENCH_CUDA_TRY(b.flags.allocate(FLAG_WORDS));
  MK_BENCH_CUDA_TRY(b.obs.allocate(cfg.observable_words));
  MK_BENCH_CUDA_TRY(b.obs_staging.allocate(cfg.observable_words));
  Stream stream, copy, side;
  MK_BENCH_CUDA_TRY(stream.create());
  MK_BENCH_CUDA_TRY(copy.create());
  MK_BENCH_CUDA_TRY(side.create());
  CopyEvents events;
  MK_BENCH_CUDA_TRY(events.create());
  if (std::string e = settle_memsets(); !e.empty()) return e;
  const unsigned blocks = (cfg.lanes + cfg.threads_per_block - 1) / cfg.threads_per_block;
  device_ring_kernel<<<blocks, cfg.threads_per_block, 0, stream.get()>>>(
      b.ring.get(), cfg.slot_count, cfg.lanes, b.completions.device(), b.page.device(), b.flags.get(), b.obs.get(),
      cfg.observable_words - 1, std::max(32u, cfg.max_backoff_ns));
  MK_BENCH_CUDA_TRY(cudaGetLastError());

  DeviceRingHost host;
  host.staging = b.staging.host();
  host.ring = b.ring.get();
  host.completions = b.completions.host();
  host.doorbell = reinterpret_cast<unsigned long long*>(b.page.host() + PAGE_DOORBELL);
  host.slot_count = cfg.slot_count;
  host.copy = copy.get();
  host.events = &events;
  std::string failure = body(host, b, side.get());

  SysRef(b.page.host()[PAGE_STOP]).store(1, RELEASE);
  cudaError_t e = cudaSuccess;
  cudaError_t copy_error = cudaSuccess;
  if (!wait_stream(stream.get(), STOP_TIMEOUT_NS, e) || !wait_stream(copy.get(), STOP_TIMEOUT_NS, copy_error)) {
    b.leak();
    return failure.empty() ? "the device ring kernel (or its copies) did not stop within 5 s" : failure;
  }
  if (e != cudaSuccess) return stop_error(e, "device_ring_kernel");
  if (copy_error != cudaSuccess) return stop_error(copy_error, "the device ring's copies");
  return failure;
}

}  // namespace

std::string ladder_round_trip(LadderStep step, const RoundTripSpec& spec, std::uint32_t max_backoff_ns,
                              std::vector<double>& ns) {
  PinnedWords words;
  MK_BENCH_CUDA_TRY(words.allocate(LADDER_WORDS));
  DeviceWords relay;
  MK_BENCH_CUDA_TRY(relay.allocate(2));  // one u64; cudaMalloc aligns it
  DeviceWords counter;                   // rung 7's atomic word
  MK_BENCH_CUDA_TRY(counter.allocate(1));
  MK_BENCH_CUDA_TRY(cudaMemset(counter.get(), 0, sizeof(unsigned)));
  Stream stream;
  MK_BENCH_CUDA_TRY(stream.create());
  if (std::string e = settle_memsets(); !e.empty()) return e;
  unsigned* dslot = words.device() + LADDER_SLOT;
  const auto* dbell = reinterpret_cast<const unsigned long long*>(words.device() + LADDER_DOORBELL);
  auto* drelay = reinterpret_cast<unsigned long long*>(relay.get());
  const unsigned backoff = std::max(32u, max_backoff_ns);
  switch (step) {
    case LadderStep::SlotPoll:
      ladder_slot_poll_kernel<<<1, 1, 0, stream.get()>>>(dslot);
      break;
    case LadderStep::Doorbell:
      ladder_doorbell_kernel<false><<<1, 1, 0, stream.get()>>>(dslot, dbell);
      break;
    case LadderStep::DoorbellVecReply:
      ladder_doorbell_kernel<true><<<1, 1, 0, stream.get()>>>(dslot, dbell);
      break;
    case LadderStep::DoorbellRelay:
      ladder_relay_kernel<false><<<2, 1, 0, stream.get()>>>(dslot, dbell, drelay, backoff);
      break;
    case LadderStep::DoorbellRelaySleep:
      ladder_relay_kernel<true><<<2, 1, 0, stream.get()>>>(dslot, dbell, drelay, backoff);
      break;
    case LadderStep::OneTrip:
      ladder_one_trip_kernel<false><<<1, 32, 0, stream.get()>>>(
          dslot, reinterpret_cast<unsigned long long*>(words.device() + LADDER_COMPLETION), nullptr);
      break;
    case LadderStep::OneTripAtomic:
      ladder_one_trip_kernel<true><<<1, 32, 0, stream.get()>>>(
          dslot, reinterpret_cast<unsigned long long*>(words.device() + LADDER_COMPLETION), counter.get());
      break;
  }
  MK_BENCH_CUDA_TRY(cudaGetLastError());
  const char* kernel = ladder_kernel_name(step);

  unsigned* slot = words.host() + LADDER_SLOT;
  SysRef status(slot[abi::SLOT_STATUS]);
  SysRef64 bell(*reinterpret_cast<unsigned long long*>(words.host() + LADDER_DOORBELL));
  const bool one_trip = step == LadderStep::OneTrip || step == LadderStep::OneTripAtomic;
  const bool rings = step != LadderStep::SlotPoll && !one_trip;
  SysRef64 completion(*reinterpret_cast<unsigned long long*>(words.host() + LADDER_COMPLETION));
  unsigned one_trip_result = 0;
  std::string failure;
  const std::uint32_t total = spec.warmup + spec.samples;
  ns.reserve(ns.size() + spec.samples);
  for (std::uint32_t i = 0; i < total && failure.empty(); ++i) {
    const unsigned seq = i + 1;
    // Arguments differ per sample, so a reply to an earlier item shows as a wrong RESULT.
    const unsigned a0 = seq;
    const unsigned a1 = seq * 2654435761u;
    // The first handshake also covers the kernel's launch and module load.
    const auto timeout = std::chrono::nanoseconds(i == 0 ? 10 * spec.timeout_ns : spec.timeout_ns);
    const auto t0 = Clock::now();
    if (one_trip) {
      one_trip_publish(slot, seq, a0, a1, false);
    } else {
      ladder_publish(slot, LADDER_OPCODE, a0, a1);
      if (rings) bell.store(seq, RELEASE);
    }
    std::uint32_t spins = 0;
    auto answered = [&] {
      if (!one_trip) return status.load(ACQUIRE) == abi::STATUS_DONE;
      const unsigned long long c = completion.load(ACQUIRE);
      if ((static_cast<unsigned>(c) >> abi::WIRE_COMPLETION_TAG_SHIFT) != one_trip_tag(seq)) return false;
      one_trip_result = static_cast<unsigned>(c >> 32);
      return true;
    };
    while (!answered()) {
      if ((++spins & 1023u) == 0 && Clock::now() - t0 > timeout) {
        failure = std::string(kernel) + " did not answer item " + std::to_string(seq) +
                  " in time; is another kernel occupying the GPU?";
        break;
      }
    }
    const auto t1 = Clock::now();
    if (!failure.empty()) break;
    const unsigned result = one_trip ? one_trip_result : SysRef(slot[abi::SLOT_RESULT]).load(RELAXED);
    if (result != a0 + a1)
      failure = std::string(kernel) + " answered item " + std::to_string(seq) + " with " + std::to_string(result) +
                " instead of " + std::to_string(a0 + a1);
    else if (i >= spec.warmup)
      ns.push_back(ns_between(t0, t1));
  }

  const unsigned stop_seq = total + 1;  // the kernel's next sample, whatever was answered
  auto send_stop = [&] {
    if (one_trip)
      one_trip_publish(slot, failure.empty() ? stop_seq : 0, 0, 0, true);
    else if (rings)
      bell.store(BELL_STOP, RELEASE);
    else
      ladder_publish(slot, abi::OP_SHUTDOWN, 0, 0);
  };
  send_stop();
  // A slot-poll kernel that answers a timed-out item late may overwrite the stop's
  // PUBLISHED with DONE and poll on; publishing the stop again whenever the slot reads
  // DONE reaches it (a kernel that already left ignores it).
  auto nudge = [&] {
    if (!rings && !one_trip && status.load(ACQUIRE) == abi::STATUS_DONE) send_stop();
  };
  cudaError_t e = cudaSuccess;
  if (!wait_stream_nudging(stream.get(), STOP_TIMEOUT_NS, e, nudge)) {
    words.leak();
    relay.leak();
    return failure.empty() ? std::string(kernel) + " did not stop within 5 s" : failure;
  }
  if (e != cudaSuccess) return stop_error(e, kernel);
  return failure;
}

std::string device_ring_throughput(const RingSpec& spec, RingReport& report) {
  if (spec.slot_count > abi::MAX_RING_SLOTS) return "device ring: too many slots";
  if (std::string e = resident_ring_lanes(spec, device_ring_kernel, "device ring", report); !e.empty()) return e;
  if (report.lanes <= POLLER_LANES)
    return "device ring: needs more than " + std::to_string(POLLER_LANES) + " lanes (the first warp polls)";
  report.slot_count = spec.slot_count;

  DeviceRingConfig cfg;
  cfg.lanes = report.lanes;
  cfg.threads_per_block = RING_THREADS_PER_BLOCK;
  cfg.slot_count = spec.slot_count;
  cfg.observable_words = spec.observable_words;
  cfg.max_backoff_ns = spec.max_backoff_ns;
  return device_ring_session(cfg, [&](DeviceRingHost& host, DeviceRingBuffers& b, cudaStream_t side) {
    return timed_ring_reps(
        spec, report, "the device ring", [&] { return device_ring_run(host, spec.items_per_rep, spec); },
        [&] { return host.head; }, b.obs, side, b.obs_staging);
  });
}

std::string device_ring_round_trip(const RoundTripSpec& spec, std::uint32_t max_backoff_ns, std::vector<double>& ns) {
  DeviceRingConfig cfg;
  cfg.lanes = POLLER_LANES + RT_WORKERS;
  cfg.threads_per_block = cfg.lanes;
  cfg.slot_count = RT_SLOTS;
  cfg.observable_words = 1;  // every item adds 1 to word 0: RESULT = the items before it
  cfg.max_backoff_ns = max_backoff_ns;
  RingSpec rs;
  rs.batch = 1;
  rs.atomic_add = true;
  rs.observable_words = 1;
  return device_ring_session(cfg, [&](DeviceRingHost& host, DeviceRingBuffers& b, cudaStream_t side) {
    std::string failure;
    const std::uint32_t total = spec.warmup + spec.samples;
    ns.reserve(ns.size() + spec.samples);
    for (std::uint32_t i = 0; i < total && failure.empty(); ++i) {
      // The first item also covers the kernel's launch and module load.
      rs.timeout_ns = i == 0 ? 10 * spec.timeout_ns : spec.timeout_ns;
      const std::uint64_t pos = host.tail;
      const auto t0 = Clock::now();
      failure = device_ring_run(host, 1, rs);
      const auto t1 = Clock::now();
      if (!failure.empty()) break;
      // Reclaiming reset STATUS only; RESULT stays until the slot's next lap.
      unsigned* c = host.completions + (pos % host.slot_count) * COMPLETION_WORDS;
      const unsigned result = SysRef(c[COMPLETION_RESULT]).load(RELAXED);
      if (result != static_cast<unsigned>(pos))
        failure = "the device ring answered item " + std::to_string(pos) + " with " + std::to_string(result) +
                  " instead of " + std::to_string(static_cast<unsigned>(pos));
      else if (i >= spec.warmup)
        ns.push_back(ns_between(t0, t1));
    }
    if (failure.empty()) {
      std::uint64_t sum = 0;
      failure = observable_sum(b.obs, 1, side, b.obs_staging, sum);
      if (failure.empty() && sum != host.head)
        failure = "the device ring round trip's observable is " + std::to_string(sum) + " after " +
                  std::to_string(host.head) + " items";
    }
    return failure;
  });
}

}  // namespace mk::bench::live_raw
