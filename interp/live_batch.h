// A live compact-batch chunk (abi.h OP_LIVE_BATCH_CHUNK): its descriptor decoded and
// checked against the session's arena, and the one-lane way to run it (CPU engine). The
// CUDA kernel runs the same items warp-cooperatively (src/cuda/live_batch.cuh); both
// expand each record with interp/batch_item.h and run it with the shared step.
#pragma once

#include "interp/batch_item.h"

namespace mk::interp {

using abi::u64;

// Where a chunk's records and results lie (arena word offsets) and what they hold.
struct LiveChunk {
  BatchLayout layout;
  u32 count = 0;       // items
  u32 first_item = 0;  // batch index of item 0: its slot number (LAST_FAULT_SLOT)
  u32 records = 0;     // arena offset of item 0's record
  u32 results = 0;     // arena offset of item 0's RESULT word; the fault words follow the RESULTs
};

// Decode descriptor ARGS; false when they are not a chunk the session could have written
// (unknown flags, too many items, a region outside the arena), so a forged descriptor
// never reads or writes past the arena. The lane faults such a descriptor BAD_ARGS.
MK_HD inline bool live_chunk_decode(const u32* args, u64 arena_words, LiveChunk& c) {
  c.layout.flags = args[abi::LIVE_BATCH_ARG_FLAGS];
  c.layout.opcode = args[abi::LIVE_BATCH_ARG_OPCODE];
  c.layout.tenant = args[abi::LIVE_BATCH_ARG_TENANT];
  c.layout.arg_count = args[abi::LIVE_BATCH_ARG_ARG_COUNT];
  c.count = args[abi::LIVE_BATCH_ARG_COUNT];
  c.first_item = args[abi::LIVE_BATCH_ARG_FIRST_ITEM];
  const u32 region = args[abi::LIVE_BATCH_ARG_REGION];
  if ((c.layout.flags & ~abi::BATCH_FLAGS_KNOWN) != 0 || c.layout.arg_count > abi::MAX_ARGS) return false;
  c.layout.stride = abi::batch_stride(c.layout.flags, c.layout.arg_count);
  if (c.count == 0 || c.count > abi::live_batch_chunk_items(c.layout.stride)) return false;
  if (region % abi::LIVE_BATCH_ALIGN_WORDS != 0) return false;
  const u64 end = static_cast<u64>(region) + abi::live_batch_region_words(c.count, c.layout.stride);
  if (end > arena_words) return false;
  c.records = region;
  c.results = region + abi::live_batch_results_offset(c.count, c.layout.stride);
  return true;
}

// Run every item of `c` on one lane, in order: RESULT words and fault bits into the arena.
// Returns how many items faulted. `slot` is this lane's private 16-word ABI slot.
template <cuda::thread_scope S, class Custom, class Acct>
MK_HD u32 run_live_chunk(const View& base, const LiveChunk& c, u32* arena, u32* slot, Custom& custom, Acct& acct) {
  u32* results = arena + c.results;
  u32* fault_words = results + c.count;
  u32 bits = 0, faults = 0;
  for (u32 i = 0; i < c.count; ++i) {
    expand_batch_record(c.layout, arena + c.records + i * c.layout.stride, slot);
    const u32 status = run_batch_slot<S>(base, c.first_item + i, slot, custom, acct);
    results[i] = slot[abi::SLOT_RESULT];
    if (status != abi::STATUS_DONE) {
      bits |= 1u << (i % 32u);
      ++faults;
    }
    if (i % 32u == 31u || i + 1 == c.count) {
      fault_words[i / 32u] = bits;
      bits = 0;
    }
  }
  return faults;
}

}  // namespace mk::interp
