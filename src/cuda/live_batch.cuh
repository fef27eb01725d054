// Compact chunks in the live kernel (abi.h OP_LIVE_BATCH_CHUNK; docs/architecture.md "Live
// sessions take compact batches"). A worker that reads a chunk descriptor in the serve
// round only keeps its arguments; after the round its whole warp runs each pending chunk
// together: one round trip stages the chunk's records from the mapped arena into shared
// memory, lane L runs items L, L + 32, ... on its own ABI slot with the shared step
// (interp/batch_item.h), RESULT words go back coalesced, fault bits by ballot, and the
// descriptor's owner stores its completion record last.
#pragma once

#include "cuda/live_params.h"
#include "cuda/one_shot_kernel.cuh"
#include "interp/live_batch.h"
#include "interp/wire.h"

namespace mk::detail {

// Per lane of the block: the descriptor it took in the serve round (ARGS, then its slot
// and lap), kept in shared memory rather than registers so the serve loop carries one
// flag, not nine words (the kernel's register count sets how many lanes fit an SM).
inline constexpr unsigned LIVE_BATCH_DESC_SLOT = abi::LIVE_BATCH_ARG_WORDS;
inline constexpr unsigned LIVE_BATCH_DESC_LAP = abi::LIVE_BATCH_ARG_WORDS + 1;
inline constexpr unsigned LIVE_BATCH_DESC_WORDS = abi::LIVE_BATCH_ARG_WORDS + 2;
__device__ inline unsigned* live_batch_desc(unsigned thread) {
  __shared__ unsigned table[LIVE_THREADS * LIVE_BATCH_DESC_WORDS];
  return table + thread * LIVE_BATCH_DESC_WORDS;
}

// Whether this lane took a chunk descriptor in the serve round that its warp has not run yet.
struct LiveBatchPending {
  bool pending = false;

  // From the descriptor's wire chunks (ARGS 0..6 are words 1-3, 5-7 and 9).
  __device__ void take(unsigned at_slot, unsigned at_lap, uint4 c0, uint4 c1, uint4 c2) {
    static_assert(abi::LIVE_BATCH_ARG_WORDS == 7 && abi::wire_arg_word(0) == 1 && abi::wire_arg_word(3) == 5 &&
                      abi::wire_arg_word(6) == 9,
                  "descriptor ARGS layout below");
    unsigned* d = live_batch_desc(threadIdx.x);
    d[0] = c0.y;
    d[1] = c0.z;
    d[2] = c0.w;
    d[3] = c1.y;
    d[4] = c1.z;
    d[5] = c1.w;
    d[6] = c2.y;
    d[LIVE_BATCH_DESC_SLOT] = at_slot;
    d[LIVE_BATCH_DESC_LAP] = at_lap;
    pending = true;
  }
};

// One 16-byte load of staged records. A weak load: the owner's acquire (live_batch_serve)
// ordered it after the host's writes, and it may be served from L1 that the acquire
// invalidated.
__device__ inline uint4 live_batch_load(const unsigned* words) { return *reinterpret_cast<const uint4*>(words); }

// The whole warp runs chunk `c`; returns the items that faulted (the same on every lane).
template <class Custom, class Acct>
__device__ unsigned live_batch_run_chunk(const LiveParams& p, const interp::LiveChunk& c, unsigned* own, Custom& custom,
                                         Acct& acct) {
  constexpr unsigned WARP = 0xFFFFFFFFu;
  constexpr unsigned STAGE_VECTORS = abi::LIVE_BATCH_CHUNK_RECORD_WORDS / 4;
  // The warp's records: LIVE_BATCH_CHUNK_RECORD_WORDS words per warp (2 KiB; live_batch_chunk_items
  // keeps every chunk within it).
  __shared__ uint4 stage_all[LIVE_THREADS / 32][STAGE_VECTORS];
  uint4* stage = stage_all[threadIdx.x / 32u];
  const unsigned me = threadIdx.x & 31u;
  const unsigned words = c.count * c.layout.stride;
  // Every lane's loads are issued before any is used: one PCIe round trip per chunk. The
  // region starts on a 128-byte line and its record part is padded to whole lines, so
  // the last vector stays inside it.
  const unsigned* records = p.arena + c.records;
  constexpr unsigned PER_LANE = STAGE_VECTORS / 32;
  uint4 v[PER_LANE];
#pragma unroll
  for (unsigned k = 0; k < PER_LANE; ++k) {
    const unsigned q = me + 32u * k;
    v[k] = 4 * q < words ? live_batch_load(records + 4 * q) : make_uint4(0, 0, 0, 0);
  }
#pragma unroll
  for (unsigned k = 0; k < PER_LANE; ++k) stage[me + 32u * k] = v[k];
  __syncwarp();
  const unsigned* staged = reinterpret_cast<const unsigned*>(stage);
  unsigned* results = p.arena + c.results;
  unsigned* fault_words = results + c.count;
  unsigned faults = 0;
  for (unsigned base = 0; base < c.count; base += 32u) {
    const unsigned i = base + me;
    bool faulted = false;
    if (i < c.count) {
      interp::expand_batch_record(c.layout, staged + i * c.layout.stride, own);
      faulted = interp::run_batch_slot<ONE_SHOT_SCOPE>(p.view, c.first_item + i, own, custom, acct) != abi::STATUS_DONE;
      results[i] = own[abi::SLOT_RESULT];  // 32 lanes: one 128-byte line
    }
    const unsigned bits = __ballot_sync(WARP, faulted);
    if (me == 0) fault_words[base / 32u] = bits;
    faults += __popc(bits);
  }
  return faults;
}

// After the serve round, by every lane of the warp: run the chunks its lanes took, one at a
// time, and answer each. True when there were any (progress: counters to flush).
template <class Custom, class Acct>
__device__ bool live_batch_serve(const LiveParams& p, LiveBatchPending& mine, unsigned* own, Custom& custom,
                                 Acct& acct) {
  constexpr unsigned WARP = 0xFFFFFFFFu;
  unsigned mask = __ballot_sync(WARP, mine.pending);
  if (mask == 0) return false;
  if (mine.pending) {
    // Acquire: the descriptor was read with volatile loads, which order nothing. Reading
    // its tag word again with a system-scope acquire orders the host's record writes
    // (stored before the descriptor's chunk 0, x86 stores being in order) before every
    // load below; __syncwarp extends that to the other lanes. The word still holds this
    // lap's tag: the host rewrites a slot only after its completion record. All pending
    // lanes' reads are in flight together; no fence waits for this lane's posted writes.
    const unsigned slot = live_batch_desc(threadIdx.x)[LIVE_BATCH_DESC_SLOT];
    cuda::atomic_ref<unsigned, cuda::thread_scope_system> tag(
        p.host_ring[static_cast<unsigned long long>(slot) * abi::SLOT_WORDS]);
    (void)tag.load(cuda::std::memory_order_acquire);
  }
  __syncwarp();
  const unsigned me = threadIdx.x & 31u;
  while (mask != 0) {
    const unsigned owner = static_cast<unsigned>(__ffs(static_cast<int>(mask))) - 1u;
    mask &= mask - 1u;
    const unsigned* desc = live_batch_desc((threadIdx.x & ~31u) + owner);
    interp::LiveChunk c;
    // The same arguments on every lane: the branch is warp-uniform.
    const bool ok = interp::live_chunk_decode(desc, p.arena_words, c);
    const unsigned faults = ok ? live_batch_run_chunk(p, c, own, custom, acct) : 0u;
    // Every lane's RESULT and fault-word stores are ordered before the owner's release
    // below (bar.warp.sync orders memory among the warp; the release is cumulative).
    __syncwarp();
    if (me == owner) {
      const unsigned lap = desc[LIVE_BATCH_DESC_LAP];
      const unsigned long long record = ok ? interp::wire_completion(lap, abi::STATUS_DONE, faults)
                                           : interp::wire_completion(lap, abi::STATUS_FAULT, abi::FAULT_BAD_ARGS);
      cuda::atomic_ref<unsigned long long, cuda::thread_scope_system>(
          p.completions[static_cast<unsigned long long>(desc[LIVE_BATCH_DESC_SLOT]) * abi::WIRE_COMPLETION_STRIDE])
          .store(record, cuda::std::memory_order_release);
      mine.pending = false;
    }
    // The stage and the own slots are reused by the next chunk.
    __syncwarp();
  }
  return true;
}

}  // namespace mk::detail
