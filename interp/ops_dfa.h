// DFA_STEP: advance a table-driven automaton over up to 32 bytes packed in the args.
#pragma once

#include "interp/env.h"

namespace mk::interp {

// args: table, state_count, state_addr, n_bytes, bytes little-endian from ARGS[4].
// next = table[state * 256 + byte]; every state (initial and each next) must be below
// state_count, else BAD_ARGS and nothing is written.
template <cuda::thread_scope S>
MK_HD Outcome op_dfa_step(const Env<S>& env) {
  using A = Atomics<S>;
  const u32 table = env.arg(abi::DFA_ARG_TABLE);
  const u32 state_count = env.arg(abi::DFA_ARG_STATE_COUNT);
  const u32 state_addr = env.arg(abi::DFA_ARG_STATE_ADDR);
  const u32 n_bytes = env.arg(abi::DFA_ARG_BYTE_COUNT);
  if (n_bytes > abi::DFA_MAX_BYTES || state_count == 0) return Outcome::fault(abi::FAULT_BAD_ARGS);
  // The whole table must lie in the window: state_count * 256 words, overflow-checked.
  if (state_count > 0xFFFFFFFFu / abi::DFA_ALPHABET) return Outcome::fault(abi::FAULT_OUT_OF_BOUNDS);
  if (!env.window.contains(table, state_count * abi::DFA_ALPHABET) || !env.window.contains(state_addr, 1))
    return Outcome::fault(abi::FAULT_OUT_OF_BOUNDS);
  u32 state = A::load_relaxed(env.word(state_addr));
  if (state >= state_count) return Outcome::fault(abi::FAULT_BAD_ARGS);
  u32* rows = env.word(table);
  for (u32 i = 0; i < n_bytes; ++i) {
    const u32 packed = env.arg(abi::DFA_ARG_BYTES + i / 4);
    const u32 byte = (packed >> (8 * (i % 4))) & 0xFFu;
    state = A::load_relaxed(rows + state * abi::DFA_ALPHABET + byte);
    if (state >= state_count) return Outcome::fault(abi::FAULT_BAD_ARGS);
  }
  A::store_relaxed(env.word(state_addr), state);
  return Outcome::done(state);
}

}  // namespace mk::interp
