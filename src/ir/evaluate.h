// The CPU evaluator of compiled custom opcodes: the interpreter's Custom policy.
// Host only; the CUDA backend lowers the IR to CUDA C++ instead (docs/ir.md).
#pragma once

#include <memory>

#include "interp/env.h"
#include "interp/ir_scalar.h"
#include "program.h"

namespace mk::ir {

namespace detail {

// Runs one handler body to its end over one item. Registers (64-bit) live on the stack for
// ordinary bodies; very large ones fall back to the heap. They are not cleared: the
// compiler writes every register before any instruction reads it (validated names are
// bound before use), and clearing cost a noticeable share of a small body's run.
template <cuda::thread_scope S>
interp::Outcome run(const Program& program, const Program::Entry& entry, const interp::Env<S>& env) {
  using interp::Outcome;
  using u32 = abi::u32;
  using u64 = abi::u64;
  constexpr u32 INLINE_REGISTERS = 64;
  u64 inline_registers[INLINE_REGISTERS];
  std::unique_ptr<u64[]> heap;
  u64* r = inline_registers;
  if (entry.registers > INLINE_REGISTERS) {
    heap = std::make_unique<u64[]>(entry.registers);
    r = heap.get();
  }
  // The low word of a register: the value of a u32, i32 or f32 (program.h).
  auto w = [r](u32 i) { return static_cast<u32>(r[i]); };
  const Instr* code = program.code();
  const u32* pool = program.pool();
  const std::uint64_t budget = program.step_budget();
  abi::u64 steps = 0;  // interp::ir_step_over_budget counts in a u64
  u32 pc = entry.first;
  for (;;) {
    const Instr& in = code[pc++];
    switch (in.op) {
      // u32 (and i32 where the bits agree); results are stored zero-extended.
      case Op::Add:
        r[in.d] = u32(w(in.a) + w(in.b));
        break;
      case Op::Sub:
        r[in.d] = u32(w(in.a) - w(in.b));
        break;
      case Op::Mul:
        r[in.d] = u32(w(in.a) * w(in.b));
        break;
      case Op::Shl:
        r[in.d] = interp::u32_shl(w(in.a), w(in.b));
        break;
      case Op::Shr:
        r[in.d] = interp::u32_shr(w(in.a), w(in.b));
        break;
      case Op::Neg:
        r[in.d] = interp::u32_neg(w(in.a));
        break;
      case Op::MulHi:
        r[in.d] = interp::u32_mul_hi(w(in.a), w(in.b));
        break;
      case Op::MulWide:
        r[in.d] = interp::u32_mul_wide(w(in.a), w(in.b));
        break;
      // Unsigned, either width: zero-extended u32 operands give the u32 answer.
      case Op::DivU:
        if (r[in.b] == 0) return Outcome::fault(abi::FAULT_DIVIDE_BY_ZERO);
        r[in.d] = r[in.a] / r[in.b];
        break;
      case Op::RemU:
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
      case Op::Eq:
        r[in.d] = r[in.a] == r[in.b] ? 1u : 0u;
        break;
      case Op::Ne:
        r[in.d] = r[in.a] != r[in.b] ? 1u : 0u;
        break;
      case Op::LtU:
        r[in.d] = r[in.a] < r[in.b] ? 1u : 0u;
        break;
      case Op::LeU:
        r[in.d] = r[in.a] <= r[in.b] ? 1u : 0u;
        break;
      case Op::GtU:
        r[in.d] = r[in.a] > r[in.b] ? 1u : 0u;
        break;
      case Op::GeU:
        r[in.d] = r[in.a] >= r[in.b] ? 1u : 0u;
        break;
      case Op::MinU:
        r[in.d] = interp::u64_min(r[in.a], r[in.b]);
        break;
      case Op::MaxU:
        r[in.d] = interp::u64_max(r[in.a], r[in.b]);
        break;
      // i32
      case Op::DivI:
        if (w(in.b) == 0) return Outcome::fault(abi::FAULT_DIVIDE_BY_ZERO);
        r[in.d] = interp::i32_div(w(in.a), w(in.b));
        break;
      case Op::RemI:
        if (w(in.b) == 0) return Outcome::fault(abi::FAULT_DIVIDE_BY_ZERO);
        r[in.d] = interp::i32_rem(w(in.a), w(in.b));
        break;
      case Op::ShrI:
        r[in.d] = interp::i32_shr(w(in.a), w(in.b));
        break;
      case Op::LtI:
        r[in.d] = interp::i32_lt(w(in.a), w(in.b));
        break;
      case Op::LeI:
        r[in.d] = interp::i32_le(w(in.a), w(in.b));
        break;
      case Op::GtI:
        r[in.d] = interp::i32_gt(w(in.a), w(in.b));
        break;
      case Op::GeI:
        r[in.d] = interp::i32_ge(w(in.a), w(in.b));
        break;
      case Op::MinI:
        r[in.d] = interp::i32_min(w(in.a), w(in.b));
        break;
      case Op::MaxI:
        r[in.d] = interp::i32_max(w(in.a), w(in.b));
        break;
      case Op::AbsI:
        r[in.d] = interp::i32_abs(w(in.a));
        break;
      case Op::MulHiI:
        r[in.d] = interp::i32_mul_hi(w(in.a), w(in.b));
        break;
      // u64
      case Op::Add64:
        r[in.d] = r[in.a] + r[in.b];
        break;
      case Op::Sub64:
        r[in.d] = r[in.a] - r[in.b];
        break;
      case Op::Mul64:
        r[in.d] = r[in.a] * r[in.b];
        break;
      case Op::Shl64:
        r[in.d] = interp::u64_shl(r[in.a], w(in.b));
        break;
      case Op::Shr64:
        r[in.d] = interp::u64_shr(r[in.a], w(in.b));
        break;
      case Op::Neg64:
        r[in.d] = interp::u64_neg(r[in.a]);
        break;
      case Op::MulHi64:
        r[in.d] = interp::u64_mul_hi(r[in.a], r[in.b]);
        break;
      // f32 (bit patterns; interp/ir_scalar.h is what the JIT runs too)
      case Op::AddF:
        r[in.d] = interp::f32_add(w(in.a), w(in.b));
        break;
      case Op::SubF:
        r[in.d] = interp::f32_sub(w(in.a), w(in.b));
        break;
      case Op::MulF:
        r[in.d] = interp::f32_mul(w(in.a), w(in.b));
        break;
      case Op::DivF:
        r[in.d] = interp::f32_div(w(in.a), w(in.b));
        break;
      case Op::FmaF:
        r[in.d] = interp::f32_fma(w(in.a), w(in.b), w(in.c));
        break;
      case Op::MinF:
        r[in.d] = interp::f32_min(w(in.a), w(in.b));
        break;
      case Op::MaxF:
        r[in.d] = interp::f32_max(w(in.a), w(in.b));
        break;
      case Op::AbsF:
        r[in.d] = interp::f32_abs(w(in.a));
        break;
      case Op::NegF:
        r[in.d] = interp::f32_neg(w(in.a));
        break;
      case Op::SqrtF:
        r[in.d] = interp::f32_sqrt(w(in.a));
        break;
      case Op::FloorF:
        r[in.d] = interp::f32_floor(w(in.a));
        break;
      case Op::CeilF:
        r[in.d] = interp::f32_ceil(w(in.a));
        break;
      case Op::RoundF:
        r[in.d] = interp::f32_round(w(in.a));
        break;
      case Op::EqF:
        r[in.d] = interp::f32_eq(w(in.a), w(in.b));
        break;
      case Op::NeF:
        r[in.d] = interp::f32_ne(w(in.a), w(in.b));
        break;
      case Op::LtF:
        r[in.d] = interp::f32_lt(w(in.a), w(in.b));
        break;
      case Op::LeF:
        r[in.d] = interp::f32_le(w(in.a), w(in.b));
        break;
      case Op::GtF:
        r[in.d] = interp::f32_gt(w(in.a), w(in.b));
        break;
      case Op::GeF:
        r[in.d] = interp::f32_ge(w(in.a), w(in.b));
        break;
      // conversions
      case Op::F32FromU32:
        r[in.d] = interp::f32_from_u32(w(in.a));
        break;
      case Op::F32FromI32:
        r[in.d] = interp::f32_from_i32(w(in.a));
        break;
      case Op::U32FromF32:
        r[in.d] = interp::u32_from_f32(w(in.a));
        break;
      case Op::I32FromF32:
        r[in.d] = interp::i32_from_f32(w(in.a));
        break;
      case Op::U64FromI32:
        r[in.d] = interp::u64_from_i32(w(in.a));
        break;
      case Op::U64Lo:
        r[in.d] = interp::u64_lo(r[in.a]);
        break;
      case Op::U64Hi:
        r[in.d] = interp::u64_hi(r[in.a]);
        break;
      case Op::U64FromWords:
        r[in.d] = interp::u64_from_words(w(in.a), w(in.b));
        break;
      // leaves, memory and control
      case Op::Const:
        r[in.d] = interp::u64_from_words(in.a, in.b);
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
        if (const u32 f = env.load(w(in.a), value)) return Outcome::fault(f);
        r[in.d] = value;
        break;
      }
      case Op::AtomicAdd: {
        u32 previous = 0;
        if (const u32 f = env.atomic_add(w(in.a), w(in.b), previous)) return Outcome::fault(f);
        r[in.d] = previous;
        break;
      }
      case Op::Cas: {
        u32 previous = 0;
        if (const u32 f = env.compare_swap(w(in.a), w(in.b), w(in.c), previous)) return Outcome::fault(f);
        r[in.d] = previous;
        break;
      }
      case Op::Store:
        if (const u32 f = env.store(w(in.a), w(in.b))) return Outcome::fault(f);
        break;
      case Op::Load64: {
        u64 value = 0;
        if (const u32 f = env.load64(w(in.a), value)) return Outcome::fault(f);
        r[in.d] = value;
        break;
      }
      case Op::AtomicAdd64: {
        u64 previous = 0;
        if (const u32 f = env.atomic_add64(w(in.a), r[in.b], previous)) return Outcome::fault(f);
        r[in.d] = previous;
        break;
      }
      case Op::Store64:
        if (const u32 f = env.store64(w(in.a), r[in.b])) return Outcome::fault(f);
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
        if (interp::ir_step_over_budget(steps, budget)) return Outcome::fault(abi::FAULT_STEP_BUDGET);
        break;
      case Op::Printf: {
        u32 values[abi::PRINTF_MAX_ARGS] = {};
        for (u32 i = 0; i < in.c; ++i) values[i] = w(pool[in.b + i]);
        u32 record = 0;
        if (const u32 f = env.printf(in.a, values, in.c, record)) return Outcome::fault(f);
        break;
      }
      case Op::Result:
        return Outcome::done(w(in.a));
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
