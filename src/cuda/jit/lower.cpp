// IR handlers -> CUDA C++ text. Every non-leaf expression becomes one `const u32 tN`
// line in evaluation order, so memory effects and faults happen exactly where the
// evaluator has them, and every generated line maps back to one IR node path.
#include "cuda/jit/lower.h"

#include <string>
#include <utility>

#include "ir/paths.h"
#include "ir/program.h"

namespace mk::detail {
namespace {

using ir::BinaryOp;
using ir::Body;
using ir::Expr;
using ir::ExprKind;
using ir::Stmt;
using ir::StmtKind;

std::string u32_literal(std::uint32_t v) { return std::to_string(v) + "u"; }
std::string var_name(const std::string& name) { return "v_" + name; }  // names are [A-Za-z_][A-Za-z0-9_]*

bool is_comparison(BinaryOp op) { return op >= BinaryOp::Eq; }

constexpr const char* FAULT_ON = "if (const u32 f = ";
constexpr const char* FAULT_RETURN = ") return interp::Outcome::fault(f);";

// Lowers one handler into `m_out`, recording the IR path of every line it writes.
class HandlerLowerer {
 public:
  HandlerLowerer(LoweredOps& out, std::string prefix, bool counts_steps, std::uint32_t budget)
      : m_out(out), m_prefix(std::move(prefix)), m_counts_steps(counts_steps), m_budget(budget) {}

  void function(std::uint32_t table_index, const Body& body) {
    line("template <cuda::thread_scope S>", "");
    line("__device__ interp::Outcome mk_op_" + std::to_string(table_index) + "(const interp::Env<S>& env) {", "");
    ++m_indent;
    line("(void)env;", "");
    if (m_counts_steps) line("unsigned long long steps = 0;", "");
    if (!block(body, "body")) line("return interp::Outcome::done(0u);  // fell off the end", "");
    --m_indent;
    line("}", "");
  }

 private:
  LoweredOps& m_out;
  std::string m_prefix;
  bool m_counts_steps;
  std::uint32_t m_budget;
  int m_indent = 0;
  std::uint32_t m_next_temp = 0;

  void line(const std::string& text, const std::string& path) {
    m_out.text.append(static_cast<std::size_t>(2 * m_indent), ' ');
    m_out.text += text;
    m_out.text += '\n';
    m_out.line_paths.push_back(path.empty() ? std::string() : m_prefix + path);
  }

  std::string temp() { return "t" + std::to_string(m_next_temp++); }

  // Emits the lines that compute `e` and returns a C++ operand holding its value.
  std::string expr(const Expr& e, const std::string& path) {
    const ir::ExprNode& n = e.node();
    auto operand = [&](std::size_t i) { return expr(n.operands[i], path + ir::detail::operand_segment(n.kind, i)); };
    switch (n.kind) {
      case ExprKind::Const:
        return u32_literal(n.value);
      case ExprKind::Arg:
        return "env.arg(" + u32_literal(n.value) + ")";
      case ExprKind::Tenant:
        return "env.tenant";
      case ExprKind::Slot:
        return "env.slot";
      case ExprKind::Var:
        return var_name(n.name);
      case ExprKind::Binary: {
        const std::string a = operand(0);
        const std::string b = operand(1);
        const std::string t = temp();
        if (n.op == BinaryOp::Div || n.op == BinaryOp::Rem)
          line("if (" + b + " == 0u) return interp::Outcome::fault(abi::FAULT_DIVIDE_BY_ZERO);", path);
        if (n.op == BinaryOp::Shl || n.op == BinaryOp::Shr) {
          // A count >= 32 gives 0 (C++ leaves it undefined).
          line("const u32 " + t + " = " + (n.op == BinaryOp::Shl ? "mk_shl(" : "mk_shr(") + a + ", " + b + ");", path);
        } else if (is_comparison(n.op)) {
          line("const u32 " + t + " = " + a + " " + std::string(ir::to_string(n.op)) + " " + b + " ? 1u : 0u;", path);
        } else {
          line("const u32 " + t + " = " + a + " " + std::string(ir::to_string(n.op)) + " " + b + ";", path);
        }
        return t;
      }
      case ExprKind::Not: {
        const std::string a = operand(0);
        const std::string t = temp();
        line("const u32 " + t + " = " + a + " == 0u ? 1u : 0u;", path);
        return t;
      }
      case ExprKind::Select: {
        // Only the chosen operand runs: its loads may fault and its atomics have effects.
        const std::string c = operand(0);
        const std::string t = temp();
        line("u32 " + t + " = 0u;", path);
        line("if (" + c + " != 0u) {", path);
        ++m_indent;
        const std::string a = operand(1);
        line(t + " = " + a + ";", path);
        --m_indent;
        line("} else {", path);
        ++m_indent;
        const std::string b = operand(2);
        line(t + " = " + b + ";", path);
        --m_indent;
        line("}", path);
        return t;
      }
      case ExprKind::Load: {
        const std::string a = operand(0);
        const std::string t = temp();
        line("u32 " + t + " = 0u; " + FAULT_ON + "env.load(" + a + ", " + t + ")" + FAULT_RETURN, path);
        return t;
      }
      case ExprKind::AtomicAdd: {
        const std::string a = operand(0);
        const std::string d = operand(1);
        const std::string t = temp();
        line("u32 " + t + " = 0u; " + FAULT_ON + "env.atomic_add(" + a + ", " + d + ", " + t + ")" + FAULT_RETURN,
             path);
        return t;
      }
      case ExprKind::Cas: {
        const std::string a = operand(0);
        const std::string x = operand(1);
        const std::string y = operand(2);
        const std::string t = temp();
        line("u32 " + t + " = 0u; " + FAULT_ON + "env.compare_swap(" + a + ", " + x + ", " + y + ", " + t + ")" +
                 FAULT_RETURN,
             path);
        return t;
      }
    }
    return "0u";
  }

  void step(const std::string& path) {
    if (m_counts_steps)
      line("if (++steps > " + std::to_string(m_budget) + "ull) return interp::Outcome::fault(abi::FAULT_STEP_BUDGET);",
           path);
  }

  // Returns true when the block always ends the item; statements after such a point are
  // unreachable (the evaluator never runs them either) and are not emitted.
  bool block(const Body& body, const std::string& path) {
    for (std::size_t i = 0; i < body.size(); ++i)
      if (stmt(body[i], path + ir::detail::index_segment(i))) return true;
    return false;
  }

  bool stmt(const Stmt& s, const std::string& path) {
    step(path);
    auto value = [&](std::size_t i) { return expr(s.exprs[i], path + ir::detail::stmt_expr_segment(s.kind, i)); };
    switch (s.kind) {
      case StmtKind::Let:
        line("u32 " + var_name(s.name) + " = " + value(0) + ";", path);
        return false;
      case StmtKind::Set:
        line(var_name(s.name) + " = " + value(0) + ";", path);
        return false;
      case StmtKind::Store: {
        const std::string a = value(0);
        const std::string v = value(1);
        line(std::string(FAULT_ON) + "env.store(" + a + ", " + v + ")" + FAULT_RETURN, path);
        return false;
      }
      case StmtKind::If: {
        const std::string c = value(0);
        line("if (" + c + " != 0u) {", path);
        ++m_indent;
        const bool then_ends = block(s.then_body, path + ir::detail::block_segment(s.kind, false));
        --m_indent;
        bool else_ends = false;
        if (!s.else_body.empty()) {
          line("} else {", path);
          ++m_indent;
          else_ends = block(s.else_body, path + ir::detail::block_segment(s.kind, true));
          --m_indent;
        }
        line("}", path);
        return then_ends && else_ends;
      }
      case StmtKind::For: {
        // Constant bounds with to <= 0xFFFFFFFF: the loop variable never wraps.
        const std::string i = var_name(s.name);
        line("for (u32 " + i + " = " + u32_literal(s.exprs[0]->value) + "; " + i + " < " +
                 u32_literal(s.exprs[1]->value) + "; ++" + i + ") {",
             path);
        ++m_indent;
        const std::string body_path = path + ir::detail::block_segment(s.kind, false);
        step(body_path);  // one step per iteration, before its statements
        block(s.then_body, body_path);
        --m_indent;
        line("}", path);
        return false;
      }
      case StmtKind::Printf: {
        std::string args;
        for (std::size_t k = 0; k < abi::PRINTF_MAX_ARGS; ++k)
          args += (k ? ", " : "") + (k < s.exprs.size() ? value(k) : std::string("0u"));
        line("{ const u32 a[" + std::to_string(abi::PRINTF_MAX_ARGS) + "] = {" + args + "}; u32 r = 0u; " + FAULT_ON +
                 "env.printf(" + u32_literal(s.number) + ", a, " +
                 u32_literal(static_cast<std::uint32_t>(s.exprs.size())) + ", r)" + FAULT_RETURN + " }",
             path);
        return false;
      }
      case StmtKind::Result:
        line("return interp::Outcome::done(" + value(0) + ");", path);
        return true;
      case StmtKind::Fault:
        line("return interp::Outcome::fault(" + u32_literal(s.number) + ");", path);
        return true;
      case StmtKind::Requeue:
        line("return interp::Outcome::requeue(0u);", path);
        return true;
    }
    return false;
  }
};

void plain(LoweredOps& out, const std::string& text) {
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    out.line_paths.emplace_back();
    out.text.append(text, start, end == std::string::npos ? std::string::npos : end - start + 1);
    if (end == std::string::npos) {
      out.text += '\n';
      break;
    }
    start = end + 1;
  }
}

}  // namespace

Result<LoweredOps> lower_handlers(std::span<const OpcodeHandler> handlers, std::uint32_t step_budget) {
  MK_TRY(ir::validate_handlers(handlers));
  LoweredOps out;
  plain(out,
        "namespace mk::jit_generated {\n"
        "using abi::u32;\n"
        "// Logical shifts: a count >= 32 gives 0 (docs/ir.md).\n"
        "__device__ __forceinline__ u32 mk_shl(u32 a, u32 b) { return b >= 32u ? 0u : a << b; }\n"
        "__device__ __forceinline__ u32 mk_shr(u32 a, u32 b) { return b >= 32u ? 0u : a >> b; }\n");
  std::string cases;
  for (std::size_t k = 0; k < handlers.size(); ++k) {
    const OpcodeHandler& h = handlers[k];
    const auto index = static_cast<std::uint32_t>(abi::FIRST_CUSTOM_INDEX + k);
    const std::string who = "opcode " + std::to_string(h.opcode) + " " + ir::detail::quote(h.name);
    // Same rule as the evaluator: count steps only where the worst case can pass the budget.
    const std::uint64_t worst = ir::max_steps(h.body);
    const bool counts_steps = worst > step_budget;
    plain(out, "\n// " + who + ", table index " + std::to_string(index) + ", worst case " + std::to_string(worst) +
                   " steps" + (counts_steps ? ", counted" : ", within the budget: not counted"));
    HandlerLowerer(out, who + " ", counts_steps, step_budget).function(index, h.body);
    cases +=
        "      case " + u32_literal(index) + ": return mk_op_" + std::to_string(index) + "<S>(env);  // " + who + "\n";
  }
  plain(out,
        "\n// The interpreter's Custom policy: dispatch on the opcode-table index.\n"
        "struct JitCustomOps {\n"
        "  template <cuda::thread_scope S>\n"
        "  __device__ interp::Outcome operator()(const interp::Env<S>& env, u32 table_index, u32 /*opcode*/) const {\n"
        "    switch (table_index) {\n" +
            cases +
            "      default: return interp::Outcome::fault(abi::FAULT_UNKNOWN_OPCODE);\n"
            "    }\n"
            "  }\n"
            "};\n"
            "}  // namespace mk::jit_generated");
  return out;
}

std::string line_path(const LoweredOps& ops, std::uint32_t first_line, std::uint32_t line) {
  if (line < first_line) return {};
  const std::size_t i = line - first_line;
  return i < ops.line_paths.size() ? ops.line_paths[i] : std::string();
}

}  // namespace mk::detail
