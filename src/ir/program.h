// The compiled form of custom-opcode handlers: a flat register-machine instruction
// array with variable names resolved to registers at build time (host only).
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

// The first 16 mirror BinaryOp, in order, so a binary node maps by a cast.
enum class Op : std::uint8_t {
  Add,
  Sub,
  Mul,
  Div,
  Rem,
  And,
  Or,
  Xor,
  Shl,
  Shr,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,          // r[d] = r[a] op r[b]
  Const,       // r[d] = a
  Arg,         // r[d] = env.arg(a)
  Tenant,      // r[d] = env.tenant
  Slot,        // r[d] = env.slot
  Move,        // r[d] = r[a]
  Not,         // r[d] = r[a] == 0
  Load,        // r[d] = window[r[a]]
  AtomicAdd,   // r[d] = fetch_add(window[r[a]], r[b])
  Cas,         // r[d] = cas(window[r[a]], r[b], r[c])
  Store,       // window[r[a]] = r[b]
  JumpIfZero,  // if r[a] == 0: pc = b
  Jump,        // pc = b
  LoopTest,    // if r[a] >= b: pc = c   (b is the constant loop end)
  LoopNext,    // r[a] += 1; pc = b
  Step,        // one step; past the budget: fault STEP_BUDGET
  Printf,      // fmt a, argument registers pool[b .. b + c)
  Result,      // DONE with r[a]
  Fault,       // FAULT with code a
  Requeue,     // REQUEUE
  End,         // DONE with 0 (fell off the end)
};
static_assert(static_cast<int>(Op::Ge) + 1 == static_cast<int>(BINARY_OP_COUNT), "binary ops map by cast");

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
                                                      std::uint32_t step_budget = 1u << 16);

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
