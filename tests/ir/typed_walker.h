// A naive tree-walking evaluator of typed bodies (let, set, store, store64, if, result)
// over typed_reference.h, with 64-bit memory composed from two word accesses and its own
// window and alignment checks: a second implementation of docs/ir.md to cross-check the
// compiled evaluator on random typed bodies (differential testing, single-threaded).
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "harness.h"
#include "typed_reference.h"

namespace mk::ir::test {

template <cuda::thread_scope S>
class TypedWalker {
 public:
  explicit TypedWalker(const interp::Env<S>& env) : m_env(env) {}

  interp::Outcome run(const Body& b) {
    try {
      exec(b);
    } catch (const Stop& stop) {
      return stop.outcome;
    }
    return interp::Outcome::done(0);
  }

 private:
  using u64 = std::uint64_t;
  struct Stop {
    interp::Outcome outcome;
  };
  struct Value {
    u64 bits = 0;  // 32-bit types in the low half
    Type type = Type::U32;
    u32 w() const { return static_cast<u32>(bits); }
  };

  const interp::Env<S>& m_env;
  std::vector<std::pair<std::string, Value>> m_vars;

  [[noreturn]] static void fault(u32 code) { throw Stop{interp::Outcome::fault(code)}; }
  static void check(u32 code) {
    if (code != 0) fault(code);
  }
  Value& lookup(const std::string& name) {
    for (auto it = m_vars.rbegin(); it != m_vars.rend(); ++it)
      if (it->first == name) return it->second;
    throw std::logic_error("unbound variable in a validated body: " + name);
  }

  void check_pair(u32 addr) const {
    const u32 len = m_env.window.len;
    if (addr >= len || len - addr < 2) fault(abi::FAULT_OUT_OF_BOUNDS);
    if ((m_env.window.base + addr) % 2 != 0) fault(abi::FAULT_BAD_ARGS);
  }
  u64 load64(u32 addr) const {
    check_pair(addr);
    u32 lo = 0, hi = 0;
    check(m_env.load(addr, lo));
    check(m_env.load(addr + 1, hi));
    return u64{hi} << 32 | lo;
  }
  void store64(u32 addr, u64 v) const {
    check_pair(addr);
    check(m_env.store(addr, static_cast<u32>(v)));
    check(m_env.store(addr + 1, static_cast<u32>(v >> 32)));
  }

  static Value u32v(u32 v) { return {v, Type::U32}; }

  Value binary_of(BinaryOp op, Value a, Value b) {
    namespace ref = reference;
    const Type t = a.type;
    if (t == Type::F32) {
      const u32 x = a.w(), y = b.w();
      switch (op) {
        case BinaryOp::Add:
          return {ref::add(x, y), t};
        case BinaryOp::Sub:
          return {ref::sub(x, y), t};
        case BinaryOp::Mul:
          return {ref::mul(x, y), t};
        case BinaryOp::Div:
          return {ref::div(x, y), t};
        case BinaryOp::Eq:
          return u32v(ref::eq(x, y));
        case BinaryOp::Ne:
          return u32v(ref::ne(x, y));
        case BinaryOp::Lt:
          return u32v(ref::lt(x, y));
        case BinaryOp::Le:
          return u32v(ref::le(x, y));
        case BinaryOp::Gt:
          return u32v(ref::gt(x, y));
        case BinaryOp::Ge:
          return u32v(ref::ge(x, y));
        default:
          throw std::logic_error("f32 operator in a validated body");
      }
    }
    if (t == Type::U64) {
      const u64 x = a.bits, y = b.bits;
      switch (op) {
        case BinaryOp::Add:
          return {x + y, t};
        case BinaryOp::Sub:
          return {x - y, t};
        case BinaryOp::Mul:
          return {x * y, t};
        case BinaryOp::Div:
          if (y == 0) fault(abi::FAULT_DIVIDE_BY_ZERO);
          return {x / y, t};
        case BinaryOp::Rem:
          if (y == 0) fault(abi::FAULT_DIVIDE_BY_ZERO);
          return {x % y, t};
        case BinaryOp::And:
          return {x & y, t};
        case BinaryOp::Or:
          return {x | y, t};
        case BinaryOp::Xor:
          return {x ^ y, t};
        case BinaryOp::Shl:
          return {ref::u64_shl(x, b.w()), t};
        case BinaryOp::Shr:
          return {ref::u64_shr(x, b.w()), t};
        case BinaryOp::Eq:
          return u32v(x == y);
        case BinaryOp::Ne:
          return u32v(x != y);
        case BinaryOp::Lt:
          return u32v(x < y);
        case BinaryOp::Le:
          return u32v(x <= y);
        case BinaryOp::Gt:
          return u32v(x > y);
        case BinaryOp::Ge:
          return u32v(x >= y);
      }
    }
    const u32 x = a.w(), y = b.w();
    const bool sign = t == Type::I32;
    const auto sx = static_cast<std::int32_t>(x), sy = static_cast<std::int32_t>(y);
    switch (op) {
      case BinaryOp::Add:
        return {u32(x + y), t};
      case BinaryOp::Sub:
        return {u32(x - y), t};
      case BinaryOp::Mul:
        return {u32(x * y), t};
      case BinaryOp::Div:
        if (y == 0) fault(abi::FAULT_DIVIDE_BY_ZERO);
        return {sign ? ref::i32_div(x, y) : x / y, t};
      case BinaryOp::Rem:
        if (y == 0) fault(abi::FAULT_DIVIDE_BY_ZERO);
        return {sign ? ref::i32_rem(x, y) : x % y, t};
      case BinaryOp::And:
        return {x & y, t};
      case BinaryOp::Or:
        return {x | y, t};
      case BinaryOp::Xor:
        return {x ^ y, t};
      case BinaryOp::Shl:
        return {ref::u32_shl(x, y), t};
      case BinaryOp::Shr:
        return {sign ? ref::i32_shr(x, y) : ref::u32_shr(x, y), t};
      case BinaryOp::Eq:
        return u32v(x == y);
      case BinaryOp::Ne:
        return u32v(x != y);
      case BinaryOp::Lt:
        return u32v(sign ? sx < sy : x < y);
      case BinaryOp::Le:
        return u32v(sign ? sx <= sy : x <= y);
      case BinaryOp::Gt:
        return u32v(sign ? sx > sy : x > y);
      case BinaryOp::Ge:
        return u32v(sign ? sx >= sy : x >= y);
    }
    return {};
  }

  Value call_of(Func f, const std::vector<Value>& v) {
    namespace ref = reference;
    const Type t = v[0].type;
    const u32 a = v[0].w();
    switch (f) {
      case Func::Neg:
        if (t == Type::F32) return {ref::neg(a), t};
        if (t == Type::U64) return {0 - v[0].bits, t};
        return {u32(0u - a), t};
      case Func::Abs:
        return {t == Type::F32 ? ref::abs(a) : ref::i32_abs(a), t};
      case Func::Min:
      case Func::Max: {
        const bool lo = f == Func::Min;
        if (t == Type::F32) return {lo ? ref::min(a, v[1].w()) : ref::max(a, v[1].w()), t};
        if (t == Type::I32) return {lo ? ref::i32_min(a, v[1].w()) : ref::i32_max(a, v[1].w()), t};
        const bool first = lo ? v[0].bits < v[1].bits : v[0].bits > v[1].bits;
        return first ? v[0] : v[1];
      }
      case Func::MulHi:
        if (t == Type::U64) return {ref::u64_mul_hi(v[0].bits, v[1].bits), t};
        return {t == Type::I32 ? ref::i32_mul_hi(a, v[1].w()) : ref::u32_mul_hi(a, v[1].w()), t};
      case Func::MulWide:
        return {u64{a} * v[1].w(), Type::U64};
      case Func::Sqrt:
        return {ref::sqrt(a), t};
      case Func::Floor:
        return {ref::floor(a), t};
      case Func::Ceil:
        return {ref::ceil(a), t};
      case Func::Round:
        return {ref::round(a), t};
      case Func::Fma:
        return {ref::fma(a, v[1].w(), v[2].w()), t};
      case Func::F32FromU32:
        return {ref::f32_from_u32(a), Type::F32};
      case Func::F32FromI32:
        return {ref::f32_from_i32(a), Type::F32};
      case Func::U32FromF32:
        return {ref::u32_from_f32(a), Type::U32};
      case Func::I32FromF32:
        return {ref::i32_from_f32(a), Type::I32};
      case Func::F32FromBits:
        return {a, Type::F32};
      case Func::BitsFromF32:
      case Func::U32FromI32:
        return {a, Type::U32};
      case Func::I32FromU32:
        return {a, Type::I32};
      case Func::U64FromU32:
        return {a, Type::U64};
      case Func::U64FromI32:
        return {static_cast<u64>(std::int64_t{static_cast<std::int32_t>(a)}), Type::U64};
      case Func::U64Lo:
        return {static_cast<u32>(v[0].bits), Type::U32};
      case Func::U64Hi:
        return {static_cast<u32>(v[0].bits >> 32), Type::U32};
      case Func::U64FromWords:
        return {u64{v[1].w()} << 32 | a, Type::U64};
    }
    return {};
  }

  Value eval(const Expr& e) {
    const ExprNode& n = e.node();
    switch (n.kind) {
      case ExprKind::Const:
        return {n.value, n.type};
      case ExprKind::Arg:
        return u32v(m_env.arg(static_cast<u32>(n.value)));
      case ExprKind::Tenant:
        return u32v(m_env.tenant);
      case ExprKind::Slot:
        return u32v(m_env.slot);
      case ExprKind::Var:
        return lookup(n.name);
      case ExprKind::Binary: {
        const Value a = eval(n.operands[0]);
        const Value b = eval(n.operands[1]);
        return binary_of(n.op, a, b);
      }
      case ExprKind::Call: {
        std::vector<Value> v;
        for (const Expr& o : n.operands) v.push_back(eval(o));
        return call_of(n.func, v);
      }
      case ExprKind::Not:
        return u32v(eval(n.operands[0]).bits == 0);
      case ExprKind::Select:
        return eval(n.operands[0]).bits != 0 ? eval(n.operands[1]) : eval(n.operands[2]);
      case ExprKind::Load: {
        u32 out = 0;
        check(m_env.load(eval(n.operands[0]).w(), out));
        return u32v(out);
      }
      case ExprKind::AtomicAdd: {
        const u32 addr = eval(n.operands[0]).w();
        const u32 delta = eval(n.operands[1]).w();
        u32 out = 0;
        check(m_env.atomic_add(addr, delta, out));
        return u32v(out);
      }
      case ExprKind::Cas: {
        const u32 addr = eval(n.operands[0]).w();
        const u32 expected = eval(n.operands[1]).w();
        const u32 desired = eval(n.operands[2]).w();
        u32 out = 0;
        check(m_env.compare_swap(addr, expected, desired, out));
        return u32v(out);
      }
      case ExprKind::Load64:
        return {load64(eval(n.operands[0]).w()), Type::U64};
      case ExprKind::AtomicAdd64: {
        const u32 addr = eval(n.operands[0]).w();
        const u64 delta = eval(n.operands[1]).bits;
        const u64 old = load64(addr);
        store64(addr, old + delta);
        return {old, Type::U64};
      }
    }
    return {};
  }

  void exec(const Body& b) {
    const std::size_t mark = m_vars.size();
    for (const Stmt& s : b) {
      switch (s.kind) {
        case StmtKind::Let: {
          const Value v = eval(s.exprs[0]);
          m_vars.emplace_back(s.name, v);
          break;
        }
        case StmtKind::Set: {
          const Value v = eval(s.exprs[0]);
          lookup(s.name) = v;
          break;
        }
        case StmtKind::Store: {
          const u32 addr = eval(s.exprs[0]).w();
          const u32 v = eval(s.exprs[1]).w();
          check(m_env.store(addr, v));
          break;
        }
        case StmtKind::Store64: {
          const u32 addr = eval(s.exprs[0]).w();
          const u64 v = eval(s.exprs[1]).bits;
          store64(addr, v);
          break;
        }
        case StmtKind::If:
          exec(eval(s.exprs[0]).bits != 0 ? s.then_body : s.else_body);
          break;
        case StmtKind::Result:
          throw Stop{interp::Outcome::done(eval(s.exprs[0]).w())};
        default:
          throw std::logic_error("statement kind outside the typed walker's subset");
      }
    }
    m_vars.resize(mark);
  }
};

// The Custom policy over the typed walker.
struct TypedReferenceOps {
  const std::vector<OpcodeHandler>* handlers = nullptr;

  template <cuda::thread_scope S>
  interp::Outcome operator()(const interp::Env<S>& env, u32 table_index, u32) const {
    const u32 k = table_index - abi::FIRST_CUSTOM_INDEX;
    if (handlers == nullptr || k >= handlers->size()) return interp::Outcome::fault(abi::FAULT_UNKNOWN_OPCODE);
    return TypedWalker<S>(env).run((*handlers)[k].body);
  }
};

}  // namespace mk::ir::test
