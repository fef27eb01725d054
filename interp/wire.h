// The live wire slot (abi.h WIRE_*): encode, validate a read and decode it into an ABI slot.
#pragma once

#include "mk/abi.h"
#include "mk/config.h"

namespace mk::interp {

using abi::u32;
using abi::u64;

// The tag of ring lap `lap` (position / slot_count, modulo 2^32): 1..WIRE_TAG_LAPS, never
// 0, which a ring that was never written holds; consecutive laps always differ, also
// where the 32-bit lap wraps.
MK_HD inline u32 wire_tag(u32 lap) { return (lap & (abi::WIRE_TAG_LAPS - 1u)) + 1u; }

// The checksum's per-word multipliers: odd, so a change of any one word changes the sum.
MK_HD constexpr u32 wire_k(u32 i) { return 0x9E3779B1u + i * 0x7F4A7C16u; }

// 16-bit checksum of an item's logical words under the full 32-bit lap: a linear sum
// with odd multipliers (independent products, cheap on both sides), then a bijective
// finaliser folded to 16 bits. It catches a read that mixes words of two writes inside
// one chunk, which the per-chunk tags cannot see, except with probability 2^-16.
MK_HD inline u32 wire_sum_finish(u32 s) {
  s ^= s >> 16;
  s *= 0x85EBCA6Bu;
  s ^= s >> 13;
  s *= 0xC2B2AE35u;
  s ^= s >> 16;
  return s & abi::WIRE_TAG_MASK;
}

// Over the wire words `w` (the tag halves and the checksum half excluded).
MK_HD inline u32 wire_check(const u32* w, u32 lap) {
  u32 s = lap * wire_k(0) +
          ((w[abi::WIRE_OPCODE_LO] >> abi::WIRE_HALF_SHIFT) | (w[abi::WIRE_OPCODE_HI] & 0xFFFF0000u)) * wire_k(1) +
          (w[abi::WIRE_TENANT] >> abi::WIRE_HALF_SHIFT) * wire_k(2);
#ifdef __CUDA_ARCH__
#pragma unroll
#endif
  for (u32 i = 0; i < abi::MAX_ARGS; ++i) s += w[abi::wire_arg_word(i)] * wire_k(3 + i);
  return wire_sum_finish(s);
}

// The same from an item's logical words (host encoder: no wire words read back).
MK_HD inline u32 wire_check_item(u32 lap, u32 opcode, u32 tenant16, const u32* args) {
  u32 s = lap * wire_k(0) + opcode * wire_k(1) + tenant16 * wire_k(2);
  for (u32 i = 0; i < abi::MAX_ARGS; ++i) s += args[i] * wire_k(3 + i);
  return wire_sum_finish(s);
}

// The 16 wire words of an item published at lap `lap`.
MK_HD inline void wire_encode(u32 lap, u32 opcode, u32 tenant, const u32* args, u32* w) {
  const u32 tag = wire_tag(lap);
  const u32 tenant16 = tenant < abi::WIRE_TAG_MASK ? tenant : abi::WIRE_TAG_MASK;
  w[abi::WIRE_OPCODE_LO] = tag | (opcode << abi::WIRE_HALF_SHIFT);
  w[abi::WIRE_OPCODE_HI] = tag | (opcode & 0xFFFF0000u);
  w[abi::WIRE_TENANT] = tag | (tenant16 << abi::WIRE_HALF_SHIFT);
  for (u32 i = 0; i < abi::MAX_ARGS; ++i) w[abi::wire_arg_word(i)] = args[i];
  w[abi::WIRE_CHECK] = tag | (wire_check_item(lap, opcode, tenant16, args) << abi::WIRE_HALF_SHIFT);
}

enum class WireRead : u32 {
  Ready = 0,  // every chunk carries this lap's tag and the checksum holds: run it
  Idle,       // every chunk still carries the previous lap's tag: nothing published yet
  Rejected,   // anything else (chunks of two writes, a stale or foreign tag, a bad checksum):
              // torn or stale, never run; read again
};

MK_HD inline WireRead wire_classify(const u32* w, u32 lap) {
  const u32 tag = wire_tag(lap);
  const u32 previous = lap == 0 ? 0u : wire_tag(lap - 1);
  const u32 t0 = w[0] & abi::WIRE_TAG_MASK, t1 = w[4] & abi::WIRE_TAG_MASK;
  const u32 t2 = w[8] & abi::WIRE_TAG_MASK, t3 = w[12] & abi::WIRE_TAG_MASK;
  if (t0 == tag && t1 == tag && t2 == tag && t3 == tag)
    return (w[abi::WIRE_CHECK] >> abi::WIRE_HALF_SHIFT) == wire_check(w, lap) ? WireRead::Ready : WireRead::Rejected;
  if (t0 == previous && t1 == previous && t2 == previous && t3 == previous) return WireRead::Idle;
  return WireRead::Rejected;
}

MK_HD inline u32 wire_opcode(const u32* w) {
  return (w[abi::WIRE_OPCODE_LO] >> abi::WIRE_HALF_SHIFT) | (w[abi::WIRE_OPCODE_HI] & 0xFFFF0000u);
}
MK_HD inline u32 wire_tenant(const u32* w) { return w[abi::WIRE_TENANT] >> abi::WIRE_HALF_SHIFT; }

// The ABI slot the interpreter step runs on: PUBLISHED, RESULT 0.
MK_HD inline void wire_to_slot(const u32* w, u32* slot) {
  slot[abi::SLOT_STATUS] = abi::STATUS_PUBLISHED;
  slot[abi::SLOT_OPCODE] = wire_opcode(w);
  slot[abi::SLOT_TENANT] = wire_tenant(w);
  slot[abi::SLOT_RESULT] = 0;
  for (u32 i = 0; i < abi::MAX_ARGS; ++i) slot[abi::SLOT_ARGS + i] = w[abi::wire_arg_word(i)];
}

// Completion record of a slot: one 8-byte word, STATUS | tag << 16 low, RESULT high, so
// one single-copy-atomic store publishes an item's outcome with the lap it belongs to.
MK_HD inline u64 wire_completion(u32 lap, u32 status, u32 result) {
  return (static_cast<u64>(result) << 32) | (wire_tag(lap) << abi::WIRE_COMPLETION_TAG_SHIFT) | status;
}
// True when `record` is the outcome of lap `lap` (DONE or FAULT).
MK_HD inline bool wire_completed(u64 record, u32 lap) {
  const u32 low = static_cast<u32>(record);
  const u32 status = low & abi::WIRE_TAG_MASK;
  return (low >> abi::WIRE_COMPLETION_TAG_SHIFT) == wire_tag(lap) &&
         (status == abi::STATUS_DONE || status == abi::STATUS_FAULT);
}
MK_HD inline u32 wire_completion_status(u64 record) { return static_cast<u32>(record) & abi::WIRE_TAG_MASK; }
MK_HD inline u32 wire_completion_result(u64 record) { return static_cast<u32>(record >> 32); }

}  // namespace mk::interp
