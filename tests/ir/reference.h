// A deliberately naive tree-walking evaluator written from docs/ir.md, used as a
// second implementation to cross-check the compiled evaluator (differential testing).
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "harness.h"

namespace mk::ir::test {

template <cuda::thread_scope S>
class Walker {
 public:
  Walker(const interp::Env<S>& env, u32 budget) : m_env(env), m_budget(budget) {}

  interp::Outcome run(const Body& b) {
    try {
      exec(b);
    } catch (const Stop& stop) {
      return stop.outcome;
    }
    return interp::Outcome::done(0);
  }

 private:
  struct Stop {
    interp::Outcome outcome;
  };

  const interp::Env<S>& m_env;
  std::uint64_t m_budget;
  std::uint64_t m_steps = 0;
  std::vector<std::pair<std::string, u32>> m_vars;

  [[noreturn]] static void fault(u32 code) { throw Stop{interp::Outcome::fault(code)}; }
  static void check(u32 code) {
    if (code != 0) fault(code);
  }
  void step() {
    if (++m_steps > m_budget) fault(abi::FAULT_STEP_BUDGET);
  }
  u32& lookup(const std::string& name) {
    for (auto it = m_vars.rbegin(); it != m_vars.rend(); ++it)
      if (it->first == name) return it->second;
    throw std::logic_error("unbound variable in a validated body: " + name);
  }

  u32 eval(const Expr& e) {
    const ExprNode& n = e.node();
    switch (n.kind) {
      case ExprKind::Const:
        return n.value;
      case ExprKind::Arg:
        return m_env.arg(n.value);
      case ExprKind::Tenant:
        return m_env.tenant;
      case ExprKind::Slot:
        return m_env.slot;
      case ExprKind::Var:
        return lookup(n.name);
      case ExprKind::Binary: {
        const u32 a = eval(n.operands[0]);
        const u32 b = eval(n.operands[1]);
        switch (n.op) {
          case BinaryOp::Add:
            return a + b;
          case BinaryOp::Sub:
            return a - b;
          case BinaryOp::Mul:
            return a * b;
          case BinaryOp::Div:
            if (b == 0) fault(abi::FAULT_DIVIDE_BY_ZERO);
            return a / b;
          case BinaryOp::Rem:
            if (b == 0) fault(abi::FAULT_DIVIDE_BY_ZERO);
            return a % b;
          case BinaryOp::And:
            return a & b;
          case BinaryOp::Or:
            return a | b;
          case BinaryOp::Xor:
            return a ^ b;
          case BinaryOp::Shl:
            return b >= 32 ? 0 : a << b;
          case BinaryOp::Shr:
            return b >= 32 ? 0 : a >> b;
          case BinaryOp::Eq:
            return a == b;
          case BinaryOp::Ne:
            return a != b;
          case BinaryOp::Lt:
            return a < b;
          case BinaryOp::Le:
            return a <= b;
          case BinaryOp::Gt:
            return a > b;
          case BinaryOp::Ge:
            return a >= b;
        }
        return 0;
      }
      case ExprKind::Not:
        return eval(n.operands[0]) == 0;
      case ExprKind::Select:
        return eval(n.operands[0]) != 0 ? eval(n.operands[1]) : eval(n.operands[2]);
      case ExprKind::Load: {
        u32 out = 0;
        check(m_env.load(eval(n.operands[0]), out));
        return out;
      }
      case ExprKind::AtomicAdd: {
        const u32 addr = eval(n.operands[0]);
        const u32 delta = eval(n.operands[1]);
        u32 out = 0;
        check(m_env.atomic_add(addr, delta, out));
        return out;
      }
      case ExprKind::Cas: {
        const u32 addr = eval(n.operands[0]);
        const u32 expected = eval(n.operands[1]);
        const u32 desired = eval(n.operands[2]);
        u32 out = 0;
        check(m_env.compare_swap(addr, expected, desired, out));
        return out;
      }
      case ExprKind::Call:  // the typed IR: tests/ir/typed_walker.h
      case ExprKind::Load64:
      case ExprKind::AtomicAdd64:
        throw std::logic_error("typed expression in the u32 reference walker");
    }
    return 0;
  }

  void exec(const Body& b) {
    const std::size_t mark = m_vars.size();
    for (const Stmt& s : b) {
      step();
      switch (s.kind) {
        case StmtKind::Let: {
          const u32 v = eval(s.exprs[0]);
          m_vars.emplace_back(s.name, v);
          break;
        }
        case StmtKind::Set: {
          const u32 v = eval(s.exprs[0]);
          lookup(s.name) = v;
          break;
        }
        case StmtKind::Store: {
          const u32 addr = eval(s.exprs[0]);
          const u32 v = eval(s.exprs[1]);
          check(m_env.store(addr, v));
          break;
        }
        case StmtKind::If:
          exec(eval(s.exprs[0]) != 0 ? s.then_body : s.else_body);
          break;
        case StmtKind::For:
          for (std::uint64_t i = s.exprs[0]->value; i < s.exprs[1]->value; ++i) {
            step();
            m_vars.emplace_back(s.name, static_cast<u32>(i));
            exec(s.then_body);
            m_vars.pop_back();
          }
          break;
        case StmtKind::Printf: {
          std::vector<u32> values;
          for (const Expr& e : s.exprs) values.push_back(eval(e));
          u32 record = 0;
          check(m_env.printf(s.number, values.data(), static_cast<u32>(values.size()), record));
          break;
        }
        case StmtKind::Result:
          throw Stop{interp::Outcome::done(eval(s.exprs[0]))};
        case StmtKind::Fault:
          fault(s.number);
        case StmtKind::Requeue:
          throw Stop{interp::Outcome::requeue(0)};
        case StmtKind::Store64:  // the typed IR: tests/ir/typed_walker.h
          throw std::logic_error("typed statement in the u32 reference walker");
      }
    }
    m_vars.resize(mark);
  }
};

// The Custom policy over the walker.
struct ReferenceOps {
  const std::vector<OpcodeHandler>* handlers = nullptr;
  u32 budget = 1u << 16;

  template <cuda::thread_scope S>
  interp::Outcome operator()(const interp::Env<S>& env, u32 table_index, u32) const {
    const u32 k = table_index - abi::FIRST_CUSTOM_INDEX;
    if (handlers == nullptr || k >= handlers->size()) return interp::Outcome::fault(abi::FAULT_UNKNOWN_OPCODE);
    return Walker<S>(env, budget).run((*handlers)[k].body);
  }
};

}  // namespace mk::ir::test
