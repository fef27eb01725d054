// Program::build: validated handler bodies -> one flat instruction array. Names are
// resolved to registers here so the evaluator never touches a string.
#include <algorithm>
#include <string>
#include <unordered_map>
#include <utility>

#include "program.h"
#include "typing.h"

namespace mk::ir {

namespace {

using detail::Instr;
using detail::Op;

// The instruction of operator `op` on operands of type `t` (validated: defined).
Op binary_instr(BinaryOp op, Type t) {
  static constexpr Op U32_OPS[BINARY_OP_COUNT] = {Op::Add, Op::Sub, Op::Mul, Op::DivU, Op::RemU, Op::And,
                                                  Op::Or,  Op::Xor, Op::Shl, Op::Shr,  Op::Eq,   Op::Ne,
                                                  Op::LtU, Op::LeU, Op::GtU, Op::GeU};
  static constexpr Op I32_OPS[BINARY_OP_COUNT] = {Op::Add, Op::Sub, Op::Mul, Op::DivI, Op::RemI, Op::And,
                                                  Op::Or,  Op::Xor, Op::Shl, Op::ShrI, Op::Eq,   Op::Ne,
                                                  Op::LtI, Op::LeI, Op::GtI, Op::GeI};
  static constexpr Op U64_OPS[BINARY_OP_COUNT] = {Op::Add64, Op::Sub64, Op::Mul64, Op::DivU,  Op::RemU, Op::And,
                                                  Op::Or,    Op::Xor,   Op::Shl64, Op::Shr64, Op::Eq,   Op::Ne,
                                                  Op::LtU,   Op::LeU,   Op::GtU,   Op::GeU};
  // % and the bitwise operators are not defined for f32 (the validator said so).
  static constexpr Op F32_OPS[BINARY_OP_COUNT] = {Op::AddF, Op::SubF, Op::MulF, Op::DivF, Op::End, Op::End,
                                                  Op::End,  Op::End,  Op::End,  Op::End,  Op::EqF, Op::NeF,
                                                  Op::LtF,  Op::LeF,  Op::GtF,  Op::GeF};
  const auto i = static_cast<std::size_t>(op);
  switch (t) {
    case Type::U32:
      return U32_OPS[i];
    case Type::I32:
      return I32_OPS[i];
    case Type::U64:
      return U64_OPS[i];
    case Type::F32:
      return F32_OPS[i];
  }
  return Op::End;
}

// Bit casts and zero extension: with 32-bit values zero-extended in 64-bit registers
// (program.h) the result is the operand's register, unchanged.
bool keeps_bits(Func func) {
  return func == Func::F32FromBits || func == Func::BitsFromF32 || func == Func::I32FromU32 ||
         func == Func::U32FromI32 || func == Func::U64FromU32;
}

// The instruction of a call whose first operand has type `t` (not one that keeps_bits).
Op call_instr(Func func, Type t) {
  switch (func) {
    case Func::Neg:
      return t == Type::F32 ? Op::NegF : t == Type::U64 ? Op::Neg64 : Op::Neg;
    case Func::Abs:
      return t == Type::F32 ? Op::AbsF : Op::AbsI;
    case Func::Min:
      return t == Type::F32 ? Op::MinF : t == Type::I32 ? Op::MinI : Op::MinU;
    case Func::Max:
      return t == Type::F32 ? Op::MaxF : t == Type::I32 ? Op::MaxI : Op::MaxU;
    case Func::MulHi:
      return t == Type::U64 ? Op::MulHi64 : t == Type::I32 ? Op::MulHiI : Op::MulHi;
    case Func::MulWide:
      return Op::MulWide;
    case Func::Sqrt:
      return Op::SqrtF;
    case Func::Floor:
      return Op::FloorF;
    case Func::Ceil:
      return Op::CeilF;
    case Func::Round:
      return Op::RoundF;
    case Func::Fma:
      return Op::FmaF;
    case Func::F32FromU32:
      return Op::F32FromU32;
    case Func::F32FromI32:
      return Op::F32FromI32;
    case Func::U32FromF32:
      return Op::U32FromF32;
    case Func::I32FromF32:
      return Op::I32FromF32;
    case Func::U64FromI32:
      return Op::U64FromI32;
    case Func::U64Lo:
      return Op::U64Lo;
    case Func::U64Hi:
      return Op::U64Hi;
    case Func::U64FromWords:
      return Op::U64FromWords;
    case Func::F32FromBits:
    case Func::BitsFromF32:
    case Func::I32FromU32:
    case Func::U32FromI32:
    case Func::U64FromU32:
      break;
  }
  return Op::Move;
}

constexpr std::uint64_t STEP_CAP = std::uint64_t{1} << 62;

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
  return a > STEP_CAP - std::min(b, STEP_CAP) ? STEP_CAP : a + b;
}
std::uint64_t saturating_mul(std::uint64_t a, std::uint64_t b) {
  if (a == 0 || b == 0) return 0;
  return a > STEP_CAP / b ? STEP_CAP : a * b;
}

// Register allocation is a stack: a let or loop variable keeps its register until its
// block ends; temporaries are released after the statement or operation that used
// them. An expression compiled "into" a register writes it only with the last
// instruction on each path, after every read, so `set x = x + 1` may target x directly.
class Compiler {
 public:
  Compiler(std::vector<Instr>& code, std::vector<std::uint32_t>& pool, bool counts_steps)
      : m_code(code), m_pool(pool), m_counts_steps(counts_steps) {}

  std::uint32_t handler(const Body& body) {
    block(body);
    emit({Op::End});
    return m_max_registers;
  }

 private:
  std::vector<Instr>& m_code;
  std::vector<std::uint32_t>& m_pool;
  bool m_counts_steps;
  std::uint32_t m_next = 0;
  std::uint32_t m_max_registers = 0;
  struct Var {
    std::uint32_t reg = 0;
    Type type = Type::U32;
  };
  std::unordered_map<std::string, Var> m_vars;  // visible names (unique: validator)

  std::uint32_t here() const { return static_cast<std::uint32_t>(m_code.size()); }
  std::uint32_t emit(Instr in) {
    m_code.push_back(in);
    return here() - 1;
  }
  std::uint32_t alloc() {
    m_max_registers = std::max(m_max_registers, ++m_next);
    return m_next - 1;
  }

  struct Value {
    std::uint32_t reg = 0;
    Type type = Type::U32;
  };

  // A register holding e's value: a variable's own register, or a fresh temporary.
  Value operand(const Expr& e) {
    if (e->kind == ExprKind::Var) {
      const Var& v = m_vars.at(e->name);
      return {v.reg, v.type};
    }
    const std::uint32_t t = alloc();
    return {t, into(e, t)};
  }
  std::uint32_t reg(const Expr& e) { return operand(e).reg; }

  // Compiles e into register dst and returns its type.
  Type into(const Expr& e, std::uint32_t dst) {
    const ExprNode& n = e.node();
    const std::uint32_t saved = m_next;
    Type type = Type::U32;
    switch (n.kind) {
      case ExprKind::Const:
        emit({Op::Const, dst, static_cast<std::uint32_t>(n.value), static_cast<std::uint32_t>(n.value >> 32)});
        type = n.type;
        break;
      case ExprKind::Arg:
        emit({Op::Arg, dst, static_cast<std::uint32_t>(n.value)});
        break;
      case ExprKind::Tenant:
        emit({Op::Tenant, dst});
        break;
      case ExprKind::Slot:
        emit({Op::Slot, dst});
        break;
      case ExprKind::Var: {
        const Var& v = m_vars.at(n.name);
        emit({Op::Move, dst, v.reg});
        type = v.type;
        break;
      }
      case ExprKind::Binary: {
        const Value a = operand(n.operands[0]);
        const std::uint32_t b = reg(n.operands[1]);
        emit({binary_instr(n.op, a.type), dst, a.reg, b});
        type = detail::binary_result(n.op, a.type);
        break;
      }
      case ExprKind::Call: {
        if (keeps_bits(n.func)) {  // the operand's register contents are the result
          type = detail::func_result(n.func, into(n.operands[0], dst));
          break;
        }
        Value args[3];
        for (std::size_t i = 0; i < n.operands.size(); ++i) args[i] = operand(n.operands[i]);
        emit({call_instr(n.func, args[0].type), dst, args[0].reg, args[1].reg, args[2].reg});
        type = detail::func_result(n.func, args[0].type);
        break;
      }
      case ExprKind::Not:
        emit({Op::Not, dst, reg(n.operands[0])});
        break;
      case ExprKind::Load:
        emit({Op::Load, dst, reg(n.operands[0])});
        break;
      case ExprKind::Load64:
        emit({Op::Load64, dst, reg(n.operands[0])});
        type = Type::U64;
        break;
      case ExprKind::AtomicAdd:
      case ExprKind::AtomicAdd64: {
        const std::uint32_t a = reg(n.operands[0]);
        const std::uint32_t v = reg(n.operands[1]);
        const bool wide = n.kind == ExprKind::AtomicAdd64;
        emit({wide ? Op::AtomicAdd64 : Op::AtomicAdd, dst, a, v});
        type = wide ? Type::U64 : Type::U32;
        break;
      }
      case ExprKind::Cas: {
        const std::uint32_t a = reg(n.operands[0]);
        const std::uint32_t x = reg(n.operands[1]);
        const std::uint32_t y = reg(n.operands[2]);
        emit({Op::Cas, dst, a, x, y});
        break;
      }
      case ExprKind::Select: {
        // Only the chosen operand runs (its loads may fault, its atomics have effects).
        const std::uint32_t cond = reg(n.operands[0]);
        const std::uint32_t to_else = emit({Op::JumpIfZero, 0, cond});
        m_next = saved;
        type = into(n.operands[1], dst);
        const std::uint32_t to_end = emit({Op::Jump});
        m_code[to_else].b = here();
        into(n.operands[2], dst);
        m_code[to_end].b = here();
        break;
      }
    }
    m_next = saved;
    return type;
  }

  void block(const Body& body) {
    const std::uint32_t saved = m_next;
    std::vector<std::string> introduced;
    for (const Stmt& s : body) stmt(s, introduced);
    for (const std::string& name : introduced) m_vars.erase(name);
    m_next = saved;
  }

  void stmt(const Stmt& s, std::vector<std::string>& introduced) {
    if (m_counts_steps) emit({Op::Step});
    const std::uint32_t saved = m_next;
    switch (s.kind) {
      case StmtKind::Let: {
        const std::uint32_t r = alloc();
        const Type type = into(s.exprs[0], r);
        m_vars.emplace(s.name, Var{r, type});
        introduced.push_back(s.name);
        return;  // keeps the variable's register
      }
      case StmtKind::Set:
        into(s.exprs[0], m_vars.at(s.name).reg);
        break;
      case StmtKind::Store:
      case StmtKind::Store64: {
        const std::uint32_t addr = reg(s.exprs[0]);
        const std::uint32_t value = reg(s.exprs[1]);
        emit({s.kind == StmtKind::Store ? Op::Store : Op::Store64, 0, addr, value});
        break;
      }
      case StmtKind::If: {
        const std::uint32_t cond = reg(s.exprs[0]);
        m_next = saved;
        const std::uint32_t to_else = emit({Op::JumpIfZero, 0, cond});
        block(s.then_body);
        if (s.else_body.empty()) {
          m_code[to_else].b = here();
        } else {
          const std::uint32_t to_end = emit({Op::Jump});
          m_code[to_else].b = here();
          block(s.else_body);
          m_code[to_end].b = here();
        }
        break;
      }
      case StmtKind::For: {
        const std::uint32_t i = alloc();
        emit({Op::Const, i, static_cast<std::uint32_t>(s.exprs[0]->value)});
        const std::uint32_t head = emit({Op::LoopTest, 0, i, static_cast<std::uint32_t>(s.exprs[1]->value)});
        if (m_counts_steps) emit({Op::Step});  // one step per iteration
        m_vars.emplace(s.name, Var{i, Type::U32});
        block(s.then_body);
        m_vars.erase(s.name);
        emit({Op::LoopNext, 0, i, head});
        m_code[head].c = here();
        break;
      }
      case StmtKind::Printf: {
        std::uint32_t regs[abi::PRINTF_MAX_ARGS] = {};
        for (std::size_t k = 0; k < s.exprs.size(); ++k) regs[k] = reg(s.exprs[k]);
        const auto first = static_cast<std::uint32_t>(m_pool.size());
        m_pool.insert(m_pool.end(), regs, regs + s.exprs.size());
        emit({Op::Printf, 0, s.number, first, static_cast<std::uint32_t>(s.exprs.size())});
        break;
      }
      case StmtKind::Result:
        emit({Op::Result, 0, reg(s.exprs[0])});
        break;
      case StmtKind::Fault:
        emit({Op::Fault, 0, s.number});
        break;
      case StmtKind::Requeue:
        emit({Op::Requeue});
        break;
    }
    m_next = saved;
  }
};

}  // namespace

std::uint64_t max_steps(const Body& body) {
  std::uint64_t total = 0;
  for (const Stmt& s : body) {
    std::uint64_t cost = 1;
    if (s.kind == StmtKind::If) cost += std::max(max_steps(s.then_body), max_steps(s.else_body));
    if (s.kind == StmtKind::For && s.exprs.size() == 2) {
      const std::uint64_t from = s.exprs[0]->value;
      const std::uint64_t to = s.exprs[1]->value;
      const std::uint64_t trips = to > from ? to - from : 0;
      cost = saturating_add(cost, saturating_mul(trips, saturating_add(1, max_steps(s.then_body))));
    }
    total = saturating_add(total, cost);
  }
  return total;
}

Result<std::shared_ptr<const Program>> Program::build(std::span<const OpcodeHandler> handlers,
                                                      std::uint32_t step_budget) {
  MK_TRY(validate_handlers(handlers));
  std::shared_ptr<Program> program(new Program());
  program->m_step_budget = step_budget;
  for (const OpcodeHandler& h : handlers) {
    Entry entry;
    entry.opcode = h.opcode;
    entry.first = static_cast<std::uint32_t>(program->m_code.size());
    entry.counts_steps = max_steps(h.body) > step_budget;
    entry.registers = Compiler(program->m_code, program->m_pool, entry.counts_steps).handler(h.body);
    program->m_entries.push_back(entry);
  }
  return std::shared_ptr<const Program>(std::move(program));
}

}  // namespace mk::ir
