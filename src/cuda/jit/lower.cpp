// IR handlers -> CUDA C++ text. Every non-leaf expression becomes one `const u32 tN` (or
// u64) line in evaluation order, so memory effects and faults happen exactly where the
// evaluator has them, and every generated line maps back to one IR node path. u32, i32
// and f32 values are all u32 bit patterns in the generated code; typed operations call
// the host+device functions of interp/ir_scalar.h, the ones the CPU evaluator calls.
#include "cuda/jit/lower.h"

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ir/paths.h"
#include "ir/program.h"
#include "ir/typing.h"

namespace mk::detail {
namespace {

using ir::BinaryOp;
using ir::Body;
using ir::Expr;
using ir::ExprKind;
using ir::Stmt;
using ir::StmtKind;
using ir::Type;

std::string u32_literal(std::uint32_t v) { return std::to_string(v) + "u"; }
std::string u64_literal(std::uint64_t v) { return std::to_string(v) + "ull"; }
std::string var_name(const std::string& name) { return "v_" + name; }  // names are [A-Za-z_][A-Za-z0-9_]*

bool is_comparison(BinaryOp op) { return op >= BinaryOp::Eq; }

// The C++ type holding a value of IR type t.
const char* cxx_type(Type t) { return t == Type::U64 ? "u64" : "u32"; }
std::string zero_of(Type t) { return t == Type::U64 ? "0ull" : "0u"; }

// The interp/ir_scalar.h function of a call on operands of type t, or "" for the bit casts
// between 32-bit types (the same u32 in the generated code).
std::string call_function(ir::Func func, Type t) {
  using ir::Func;
  const std::string type(ir::to_string(t));
  switch (func) {
    case Func::Neg:
      return t == Type::I32 ? "interp::u32_neg" : "interp::" + type + "_neg";
    case Func::Abs:
    case Func::Min:
    case Func::Max:
    case Func::MulHi:
      return "interp::" + type + "_" + std::string(ir::to_string(func));
    case Func::MulWide:
      return "interp::u32_mul_wide";
    case Func::Sqrt:
    case Func::Floor:
    case Func::Ceil:
    case Func::Round:
    case Func::Fma:
      return "interp::f32_" + std::string(ir::to_string(func));
    case Func::U64FromU32:
      return "static_cast<u64>";
    case Func::F32FromBits:
    case Func::BitsFromF32:
    case Func::I32FromU32:
    case Func::U32FromI32:
      return "";
    default:  // the conversions that change bits: same name as the IR function
      return "interp::" + std::string(ir::to_string(func));
  }
}

// The interp/ir_scalar.h function of a binary operator on i32, u64 or f32 operands, or ""
// where plain C++ on u32 / u64 operands already has the IR's meaning.
std::string binary_function(BinaryOp op, Type t) {
  if (t == Type::F32) {
    static const char* const NAMES[] = {"add", "sub", "mul", "div", "",   "",   "",   "",
                                        "",    "",    "eq",  "ne",  "lt", "le", "gt", "ge"};
    return "interp::f32_" + std::string(NAMES[static_cast<int>(op)]);
  }
  if (t == Type::I32) {
    switch (op) {
      case BinaryOp::Div:
        return "interp::i32_div";
      case BinaryOp::Rem:
        return "interp::i32_rem";
      case BinaryOp::Shl:
        return "interp::u32_shl";
      case BinaryOp::Shr:
        return "interp::i32_shr";
      case BinaryOp::Lt:
        return "interp::i32_lt";
      case BinaryOp::Le:
        return "interp::i32_le";
      case BinaryOp::Gt:
        return "interp::i32_gt";
      case BinaryOp::Ge:
        return "interp::i32_ge";
      default:
        return "";
    }
  }
  if (t == Type::U64 && ir::detail::is_shift(op)) return op == BinaryOp::Shl ? "interp::u64_shl" : "interp::u64_shr";
  return "";
}

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
  std::unordered_map<std::string, Type> m_types;  // visible variables (names are unique)

  void line(const std::string& text, const std::string& path) {
    m_out.text.append(static_cast<std::size_t>(2 * m_indent), ' ');
    m_out.text += text;
    m_out.text += '\n';
    m_out.line_paths.push_back(path.empty() ? std::string() : m_prefix + path);
  }

  std::string temp() { return "t" + std::to_string(m_next_temp++); }

  struct Lowered {
    std::string text;  // a C++ operand holding the value
    Type type = Type::U32;
  };

  Type var_type(const std::string& name) const {
    const auto found = m_types.find(name);
    return found == m_types.end() ? Type::U32 : found->second;
  }

  std::string expr(const Expr& e, const std::string& path) { return typed(e, path).text; }

  // Emits the lines that compute `e` and returns a C++ operand holding its value.
  Lowered typed(const Expr& e, const std::string& path) {
    const ir::ExprNode& n = e.node();
    auto operand = [&](std::size_t i) { return typed(n.operands[i], path + ir::detail::operand_segment(n, i)); };
    switch (n.kind) {
      case ExprKind::Const:
        if (n.type == Type::U64) return {u64_literal(n.value), Type::U64};
        return {u32_literal(static_cast<std::uint32_t>(n.value)), n.type};
      case ExprKind::Arg:
        return {"env.arg(" + u32_literal(static_cast<std::uint32_t>(n.value)) + ")"};
      case ExprKind::Tenant:
        return {"env.tenant"};
      case ExprKind::Slot:
        return {"env.slot"};
      case ExprKind::Var:
        return {var_name(n.name), var_type(n.name)};
      case ExprKind::Binary: {
        const Lowered a = operand(0);
        const Lowered b = operand(1);
        const Type type = ir::detail::binary_result(n.op, a.type);
        const std::string t = temp();
        const std::string decl = std::string("const ") + cxx_type(type) + " " + t + " = ";
        if ((n.op == BinaryOp::Div || n.op == BinaryOp::Rem) && a.type != Type::F32)
          line("if (" + b.text + " == " + zero_of(a.type) +
                   ") return interp::Outcome::fault(abi::FAULT_DIVIDE_BY_ZERO);",
               path);
        const std::string function = binary_function(n.op, a.type);
        if (!function.empty()) {
          line(decl + function + "(" + a.text + ", " + b.text + ");", path);
        } else if (n.op == BinaryOp::Shl || n.op == BinaryOp::Shr) {
          // A count >= 32 gives 0 (C++ leaves it undefined).
          line(decl + (n.op == BinaryOp::Shl ? "interp::u32_shl(" : "interp::u32_shr(") + a.text + ", " + b.text + ");",
               path);
        } else if (is_comparison(n.op)) {
          line(decl + a.text + " " + std::string(ir::to_string(n.op)) + " " + b.text + " ? 1u : 0u;", path);
        } else {
          line(decl + a.text + " " + std::string(ir::to_string(n.op)) + " " + b.text + ";", path);
        }
        return {t, type};
      }
      case ExprKind::Call: {
        std::vector<Lowered> args;
        for (std::size_t i = 0; i < n.operands.size(); ++i) args.push_back(operand(i));
        const Type type = ir::detail::func_result(n.func, args[0].type);
        const std::string function = call_function(n.func, args[0].type);
        if (function.empty()) return {args[0].text, type};  // a bit cast between 32-bit types
        std::string list;
        for (const Lowered& a : args) list += (list.empty() ? "" : ", ") + a.text;
        const std::string t = temp();
        line(std::string("const ") + cxx_type(type) + " " + t + " = " + function + "(" + list + ");", path);
        return {t, type};
      }
      case ExprKind::Not: {
        const std::string a = operand(0).text;
        const std::string t = temp();
        line("const u32 " + t + " = " + a + " == 0u ? 1u : 0u;", path);
        return {t};
      }
      case ExprKind::Select: {
        // Only the chosen operand runs: its loads may fault and its atomics have effects.
        const Type type = ir::detail::type_of(e, [this](const std::string& name) { return var_type(name); });
        const std::string c = operand(0).text;
        const std::string t = temp();
        line(std::string(cxx_type(type)) + " " + t + " = " + zero_of(type) + ";", path);
        line("if (" + c + " != 0u) {", path);
        ++m_indent;
        const std::string a = operand(1).text;
        line(t + " = " + a + ";", path);
        --m_indent;
        line("} else {", path);
        ++m_indent;
        const std::string b = operand(2).text;
        line(t + " = " + b + ";", path);
        --m_indent;
        line("}", path);
        return {t, type};
      }
      case ExprKind::Load:
      case ExprKind::Load64: {
        const std::string a = operand(0).text;
        const std::string t = temp();
        const bool wide = n.kind == ExprKind::Load64;
        line(std::string(wide ? "u64 " : "u32 ") + t + (wide ? " = 0ull; " : " = 0u; ") + FAULT_ON +
                 (wide ? "env.load64(" : "env.load(") + a + ", " + t + ")" + FAULT_RETURN,
             path);
        return {t, wide ? Type::U64 : Type::U32};
      }
      case ExprKind::AtomicAdd:
      case ExprKind::AtomicAdd64: {
        const std::string a = operand(0).text;
        const std::string d = operand(1).text;
        const std::string t = temp();
        const bool wide = n.kind == ExprKind::AtomicAdd64;
        line(std::string(wide ? "u64 " : "u32 ") + t + (wide ? " = 0ull; " : " = 0u; ") + FAULT_ON +
                 (wide ? "env.atomic_add64(" : "env.atomic_add(") + a + ", " + d + ", " + t + ")" + FAULT_RETURN,
             path);
        return {t, wide ? Type::U64 : Type::U32};
      }
      case ExprKind::Cas: {
        const std::string a = operand(0).text;
        const std::string x = operand(1).text;
        const std::string y = operand(2).text;
        const std::string t = temp();
        line("u32 " + t + " = 0u; " + FAULT_ON + "env.compare_swap(" + a + ", " + x + ", " + y + ", " + t + ")" +
                 FAULT_RETURN,
             path);
        return {t};
      }
    }
    return {"0u"};
  }

  void step(const std::string& path) {
    if (m_counts_steps)
      line("if (interp::ir_step_over_budget(steps, " + std::to_string(m_budget) +
               "ull)) return interp::Outcome::fault(abi::FAULT_STEP_BUDGET);",
           path);
  }

  // Returns true when the block always ends the item; statements after such a point are
  // unreachable (the evaluator never runs them either) and are not emitted.
  bool block(const Body& body, const std::string& path) {
    std::vector<std::string> introduced;
    bool ends = false;
    for (std::size_t i = 0; i < body.size() && !ends; ++i)
      ends = stmt(body[i], path + ir::detail::index_segment(i), introduced);
    for (const std::string& name : introduced) m_types.erase(name);
    return ends;
  }

  bool stmt(const Stmt& s, const std::string& path, std::vector<std::string>& introduced) {
    step(path);
    auto value = [&](std::size_t i) { return expr(s.exprs[i], path + ir::detail::stmt_expr_segment(s.kind, i)); };
    switch (s.kind) {
      case StmtKind::Let: {
        const Lowered v = typed(s.exprs[0], path + ir::detail::stmt_expr_segment(s.kind, 0));
        line(std::string(cxx_type(v.type)) + " " + var_name(s.name) + " = " + v.text + ";", path);
        m_types[s.name] = v.type;
        introduced.push_back(s.name);
        return false;
      }
      case StmtKind::Set:
        line(var_name(s.name) + " = " + value(0) + ";", path);
        return false;
      case StmtKind::Store:
      case StmtKind::Store64: {
        const std::string a = value(0);
        const std::string v = value(1);
        line(std::string(FAULT_ON) + (s.kind == StmtKind::Store ? "env.store(" : "env.store64(") + a + ", " + v + ")" +
                 FAULT_RETURN,
             path);
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
        line("for (u32 " + i + " = " + u32_literal(static_cast<std::uint32_t>(s.exprs[0]->value)) + "; " + i + " < " +
                 u32_literal(static_cast<std::uint32_t>(s.exprs[1]->value)) + "; ++" + i + ") {",
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
        "using abi::u64;\n");
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
