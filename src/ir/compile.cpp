// Program::build: validated handler bodies -> one flat instruction array. Names are
// resolved to registers here so the evaluator never touches a string.
#include <algorithm>
#include <string>
#include <unordered_map>
#include <utility>

#include "program.h"

namespace mk::ir {

namespace {

using detail::Instr;
using detail::Op;

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
  std::unordered_map<std::string, std::uint32_t> m_vars;  // visible names (unique: validator)

  std::uint32_t here() const { return static_cast<std::uint32_t>(m_code.size()); }
  std::uint32_t emit(Instr in) {
    m_code.push_back(in);
    return here() - 1;
  }
  std::uint32_t alloc() {
    m_max_registers = std::max(m_max_registers, ++m_next);
    return m_next - 1;
  }

  // A register holding e's value: a variable's own register, or a fresh temporary.
  std::uint32_t operand(const Expr& e) {
    if (e->kind == ExprKind::Var) return m_vars.at(e->name);
    const std::uint32_t t = alloc();
    into(e, t);
    return t;
  }

  void into(const Expr& e, std::uint32_t dst) {
    const ExprNode& n = e.node();
    const std::uint32_t saved = m_next;
    switch (n.kind) {
      case ExprKind::Const:
        emit({Op::Const, dst, n.value});
        break;
      case ExprKind::Arg:
        emit({Op::Arg, dst, n.value});
        break;
      case ExprKind::Tenant:
        emit({Op::Tenant, dst});
        break;
      case ExprKind::Slot:
        emit({Op::Slot, dst});
        break;
      case ExprKind::Var:
        emit({Op::Move, dst, m_vars.at(n.name)});
        break;
      case ExprKind::Binary: {
        const std::uint32_t a = operand(n.operands[0]);
        const std::uint32_t b = operand(n.operands[1]);
        emit({static_cast<Op>(n.op), dst, a, b});
        break;
      }
      case ExprKind::Not:
        emit({Op::Not, dst, operand(n.operands[0])});
        break;
      case ExprKind::Load:
        emit({Op::Load, dst, operand(n.operands[0])});
        break;
      case ExprKind::AtomicAdd: {
        const std::uint32_t a = operand(n.operands[0]);
        const std::uint32_t v = operand(n.operands[1]);
        emit({Op::AtomicAdd, dst, a, v});
        break;
      }
      case ExprKind::Cas: {
        const std::uint32_t a = operand(n.operands[0]);
        const std::uint32_t x = operand(n.operands[1]);
        const std::uint32_t y = operand(n.operands[2]);
        emit({Op::Cas, dst, a, x, y});
        break;
      }
      case ExprKind::Select: {
        // Only the chosen operand runs (its loads may fault, its atomics have effects).
        const std::uint32_t cond = operand(n.operands[0]);
        const std::uint32_t to_else = emit({Op::JumpIfZero, 0, cond});
        m_next = saved;
        into(n.operands[1], dst);
        const std::uint32_t to_end = emit({Op::Jump});
        m_code[to_else].b = here();
        into(n.operands[2], dst);
        m_code[to_end].b = here();
        break;
      }
    }
    m_next = saved;
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
        const std::uint32_t reg = alloc();
        into(s.exprs[0], reg);
        m_vars.emplace(s.name, reg);
        introduced.push_back(s.name);
        return;  // keeps the variable's register
      }
      case StmtKind::Set:
        into(s.exprs[0], m_vars.at(s.name));
        break;
      case StmtKind::Store: {
        const std::uint32_t addr = operand(s.exprs[0]);
        const std::uint32_t value = operand(s.exprs[1]);
        emit({Op::Store, 0, addr, value});
        break;
      }
      case StmtKind::If: {
        const std::uint32_t cond = operand(s.exprs[0]);
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
        emit({Op::Const, i, s.exprs[0]->value});
        const std::uint32_t head = emit({Op::LoopTest, 0, i, s.exprs[1]->value});
        if (m_counts_steps) emit({Op::Step});  // one step per iteration
        m_vars.emplace(s.name, i);
        block(s.then_body);
        m_vars.erase(s.name);
        emit({Op::LoopNext, 0, i, head});
        m_code[head].c = here();
        break;
      }
      case StmtKind::Printf: {
        std::uint32_t regs[abi::PRINTF_MAX_ARGS] = {};
        for (std::size_t k = 0; k < s.exprs.size(); ++k) regs[k] = operand(s.exprs[k]);
        const auto first = static_cast<std::uint32_t>(m_pool.size());
        m_pool.insert(m_pool.end(), regs, regs + s.exprs.size());
        emit({Op::Printf, 0, s.number, first, static_cast<std::uint32_t>(s.exprs.size())});
        break;
      }
      case StmtKind::Result:
        emit({Op::Result, 0, operand(s.exprs[0])});
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
      const std::uint32_t from = s.exprs[0]->value;
      const std::uint32_t to = s.exprs[1]->value;
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
