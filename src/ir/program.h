// The compiled form of custom-opcode handlers: a flat register-machine instruction
// array with variable names resolved to registers and every operation resolved to its
// typed instruction at build time (host only).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "mk/abi.h"
#include "mk/error.h"
#include "mk/ir.h"

namespace mk::ir {

namespace detail {

// Registers are 64 bits. A u32, i32 or f32 value sits in the low half with the high half
// zero (every instruction that writes a 32-bit type keeps it so), which lets the 64-bit
// unsigned forms of division, remainder, min, max, comparisons and the bitwise operators
// serve u32 and u64 alike, and makes the bit casts and u64_from_u32 plain moves.
enum class Op : std::uint8_t {
  // u32 (also i32 where the bits agree: + - * << & | ^ == !=)
  Add,
  Sub,
  Mul,
  Shl,
  Shr,
  Neg,
  MulHi,
  MulWide,  // u32 x u32 -> u64
  // unsigned, any integer width (zero-extended operands)
  DivU,  // faults DIVIDE_BY_ZERO
  RemU,  // faults DIVIDE_BY_ZERO
  And,
  Or,
  Xor,
  Eq,
  Ne,
  LtU,
  LeU,
  GtU,
  GeU,
  MinU,
  MaxU,
  // i32
  DivI,  // faults DIVIDE_BY_ZERO
  RemI,  // faults DIVIDE_BY_ZERO
  ShrI,
  LtI,
  LeI,
  GtI,
  GeI,
  MinI,
  MaxI,
  AbsI,
  MulHiI,
  // u64
  Add64,
  Sub64,
  Mul64,
  Shl64,
  Shr64,
  Neg64,
  MulHi64,
  // f32
  AddF,
  SubF,
  MulF,
  DivF,
  FmaF,  // r[d] = r[a] * r[b] + r[c]
  MinF,
  MaxF,
  AbsF,
  NegF,
  SqrtF,
  FloorF,
  CeilF,
  RoundF,
  EqF,
  NeF,
  LtF,
  LeF,
  GtF,
  GeF,
  // conversions that change bits
  F32FromU32,
  F32FromI32,
  U32FromF32,
  I32FromF32,
  U64FromI32,
  U64Lo,
  U64Hi,
  U64FromWords,  // r[d] = r[a] | r[b] << 32
  // leaves and control
  Const,        // r[d] = a | b << 32
  Arg,          // r[d] = env.arg(a)
  Tenant,       // r[d] = env.tenant
  Slot,         // r[d] = env.slot
  Move,         // r[d] = r[a]
  Not,          // r[d] = r[a] == 0
  Load,         // r[d] = window[r[a]]
  AtomicAdd,    // r[d] = fetch_add(window[r[a]], r[b])
  Cas,          // r[d] = cas(window[r[a]], r[b], r[c])
  Store,        // window[r[a]] = r[b]
  Load64,       // r[d] = window64[r[a]]
  AtomicAdd64,  // r[d] = fetch_add64(window64[r[a]], r[b])
  Store64,      // window64[r[a]] = r[b]
  JumpIfZero,   // if r[a] == 0: pc = b
  Jump,         // pc = b
  LoopTest,     // if r[a] >= b: pc = c   (b is the constant loop end)
  LoopNext,     // r[a] += 1; pc = b
  Step,         // one step; past the budget: fault STEP_BUDGET
  Printf,       // fmt a, argument registers pool[b .. b + c)
  Result,       // DONE with r[a]
  Fault,        // FAULT with code a
  Requeue,      // REQUEUE
  End,          // DONE with 0 (fell off the end)
};

struct Instr {
  Op op = Op::End;
  std::uint32_t d = 0;
  std::uint32_t a = 0;
  std::uint32_t b = 0;
  std::uint32_t c = 0;
};

}  // namespace detail

// Handlers compiled for the CPU evaluator. Immutable once built, so one Program may be
// shared by every worker thread.
class Program {
 public:
  struct Entry {
    std::uint32_t opcode = 0;
    std::uint32_t first = 0;      // index of the first instruction
    std::uint32_t registers = 0;  // registers the body needs (variables + temporaries)
    bool counts_steps = false;    // false: the body can never exceed the budget, no Step ops
  };

  // Validates (validate_handlers) and compiles. Handler k gets table index
  // abi::FIRST_CUSTOM_INDEX + k. `step_budget`: steps one item may take per run.
  static Result<std::shared_ptr<const Program>> build(std::span<const OpcodeHandler> handlers,
                                                      std::uint32_t step_budget = abi::IR_STEP_BUDGET);

  // The handler at an opcode-table index, or nullptr.
  const Entry* entry(std::uint32_t table_index) const noexcept {
    const std::uint32_t k = table_index - abi::FIRST_CUSTOM_INDEX;  // wraps for built-ins
    return k < m_entries.size() ? &m_entries[k] : nullptr;
  }
  std::size_t handler_count() const noexcept { return m_entries.size(); }
  std::uint32_t step_budget() const noexcept { return m_step_budget; }
  const detail::Instr* code() const noexcept { return m_code.data(); }
  std::size_t code_size() const noexcept { return m_code.size(); }
  const std::uint32_t* pool() const noexcept { return m_pool.data(); }

 private:
  Program() = default;

  std::vector<detail::Instr> m_code;
  std::vector<std::uint32_t> m_pool;  // printf argument registers
  std::vector<Entry> m_entries;
  std::uint32_t m_step_budget = 0;
};

// Worst-case steps of a body (statements + loop iterations), saturating; the evaluator
// leaves out step counting when this is within the budget.
std::uint64_t max_steps(const Body& body);

}  // namespace mk::ir
