// The CPU evaluator of compiled custom opcodes: the interpreter's Custom policy.
// Host only; the CUDA backend lowers the IR to CUDA C++ instead (docs/ir.md).
#pragma once

#include <memory>

#include "interp/env.h"
#include "program.h"

namespace mk::ir {

namespace detail {

// Runs one handler body to its end over one item. Registers live on the stack for
// ordinary bodies; very large ones fall back to the heap. They are not cleared: the
// compiler writes every register before any instruction reads it (validated names are
// bound before use), and clearing cost a noticeable share of a small body's run.
template <cuda::thread_scope S>
interp::Outcome run(const Program& program, const Program::Entry& entry, const interp::Env<S>& env) {
  using interp::Outcome;
  using u32 = abi::u32;
  constexpr u32 INLINE_REGISTERS = 64;
  u32 inline_registers[INLINE_REGISTERS];
  std::unique_ptr<u32[]> heap;
  u32* r = inline_registers;
  if (entry.registers > INLINE_REGISTERS) {
    heap = std::make_unique<u32[]>(entry.registers);
    r = heap.get();
  }
  const Instr* code = program.code();
  const u32* pool = program.pool();
  const std::uint64_t budget = program.step_budget();
  std::uint64_t steps = 0;
  u32 pc = entry.first;
  for (;;) {
    const Instr& in = code[pc++];
    switch (in.op) {
      case Op::Add:
        r[in.d] = r[in.a] + r[in.b];
        break;
      case Op::Sub:
        r[in.d] = r[in.a] - r[in.b];
        break;
      case Op::Mul:
        r[in.d] = r[in.a] * r[in.b];
        break;
      case Op::Div:
        if (r[in.b] == 0) return Outcome::fault(abi::FAULT_DIVIDE_BY_ZERO);
        r[in.d] = r[in.a] / r[in.b];
        break;
      case Op::Rem:
        if (r[in.b] == 0) return Outcome::fault(abi::FAULT_DIVIDE_BY_ZERO);
        r[in.d] = r[in.a] % r[in.b];
        break;
      case Op::And:
        r[in.d] = r[in.a] & r[in.b];
        break;
      case Op::Or:
        r[in.d] = r[in.a] | r[in.b];
        break;
      case Op::Xor:
        r[in.d] = r[in.a] ^ r[in.b];
        break;
      case Op::Shl:
        r[in.d] = r[in.b] >= 32 ? 0u : r[in.a] << r[in.b];
        break;
      case Op::Shr:
        r[in.d] = r[in.b] >= 32 ? 0u : r[in.a] >> r[in.b];
        break;
      case Op::Eq:
        r[in.d] = r[in.a] == r[in.b] ? 1u : 0u;
        break;
      case Op::Ne:
        r[in.d] = r[in.a] != r[in.b] ? 1u : 0u;
        break;
      case Op::Lt:
        r[in.d] = r[in.a] < r[in.b] ? 1u : 0u;
        break;
      case Op::Le:
        r[in.d] = r[in.a] <= r[in.b] ? 1u : 0u;
        break;
      case Op::Gt:
        r[in.d] = r[in.a] > r[in.b] ? 1u : 0u;
        break;
      case Op::Ge:
        r[in.d] = r[in.a] >= r[in.b] ? 1u : 0u;
        break;
      case Op::Const:
        r[in.d] = in.a;
        break;
      case Op::Arg:
        r[in.d] = env.arg(in.a);
        break;
      case Op::Tenant:
        r[in.d] = env.tenant;
        break;
      case Op::Slot:
        r[in.d] = env.slot;
        break;
      case Op::Move:
        r[in.d] = r[in.a];
        break;
      case Op::Not:
        r[in.d] = r[in.a] == 0 ? 1u : 0u;
        break;
      case Op::Load: {
        u32 value = 0;
        if (const u32 f = env.load(r[in.a], value)) return Outcome::fault(f);
        r[in.d] = value;
        break;
      }
      case Op::AtomicAdd: {
        u32 previous = 0;
        if (const u32 f = env.atomic_add(r[in.a], r[in.b], previous)) return Outcome::fault(f);
        r[in.d] = previous;
        break;
      }
      case Op::Cas: {
        u32 previous = 0;
        if (const u32 f = env.compare_swap(r[in.a], r[in.b], r[in.c], previous)) return Outcome::fault(f);
        r[in.d] = previous;
        break;
      }
      case Op::Store:
        if (const u32 f = env.store(r[in.a], r[in.b])) return Outcome::fault(f);
        break;
      case Op::JumpIfZero:
        if (r[in.a] == 0) pc = in.b;
        break;
      case Op::Jump:
        pc = in.b;
        break;
      case Op::LoopTest:
        if (r[in.a] >= in.b) pc = in.c;
        break;
      case Op::LoopNext:
        r[in.a] += 1;
        pc = in.b;
        break;
      case Op::Step:
        if (++steps > budget) return Outcome::fault(abi::FAULT_STEP_BUDGET);
        break;
      case Op::Printf: {
        u32 values[abi::PRINTF_MAX_ARGS] = {};
        for (u32 i = 0; i < in.c; ++i) values[i] = r[pool[in.b + i]];
        u32 record = 0;
        if (const u32 f = env.printf(in.a, values, in.c, record)) return Outcome::fault(f);
        break;
      }
      case Op::Result:
        return Outcome::done(r[in.a]);
      case Op::Fault:
        return Outcome::fault(in.a);
      case Op::Requeue:
        return Outcome::requeue(0);
      case Op::End:
        return Outcome::done(0);
    }
  }
}

}  // namespace detail

// The interpreter's Custom policy over a built Program: dispatch is by opcode-table
// index (the interpreter already mapped the slot's opcode to it); `opcode` is unused.
struct CustomOps {
  const Program* program = nullptr;

  template <cuda::thread_scope S>
  interp::Outcome operator()(const interp::Env<S>& env, abi::u32 table_index, abi::u32 /*opcode*/) const {
    const Program::Entry* entry = program != nullptr ? program->entry(table_index) : nullptr;
    if (entry == nullptr) return interp::Outcome::fault(abi::FAULT_UNKNOWN_OPCODE);
    return detail::run<S>(*program, *entry, env);
  }
};

}  // namespace mk::ir
