// The validator: every rule a backend relies on before it compiles handlers (bound
// variables, limits, opcode ids), reported as InvalidArgument with the node path.
#include <string>
#include <unordered_map>
#include <vector>

#include "mk/ir.h"
#include "paths.h"

namespace mk::ir {

namespace {

bool is_identifier(std::string_view name) {
  if (name.empty() || name.size() > MAX_NAME_LENGTH) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char ch = name[i];
    const bool alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
    const bool digit = ch >= '0' && ch <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

std::size_t expected_operands(ExprKind kind) {
  switch (kind) {
    case ExprKind::Binary:
    case ExprKind::AtomicAdd:
      return 2;
    case ExprKind::Not:
    case ExprKind::Load:
      return 1;
    case ExprKind::Select:
    case ExprKind::Cas:
      return 3;
    default:
      return 0;
  }
}

// Checks one handler's body. Scoping: a let-bound name is visible from the statement
// after its let to the end of the enclosing block; a loop variable inside its body only.
// Any reuse of a still-visible name is rejected (not only in the same block), so every
// name denotes exactly one variable wherever it is read — the CUDA lowering can map
// names to C++ locals without renaming.
class Checker {
 public:
  explicit Checker(std::string prefix) : m_prefix(std::move(prefix)) {}

  Status block(const Body& body, const std::string& path, std::uint32_t depth) {
    if (depth > MAX_DEPTH) return too_deep(path);
    std::vector<std::string> introduced;
    Status status;
    for (std::size_t i = 0; i < body.size() && status; ++i)
      status = stmt(body[i], path + detail::index_segment(i), depth + 1, introduced);
    for (const std::string& name : introduced) m_visible.erase(name);
    return status;
  }

 private:
  std::string m_prefix;
  std::unordered_map<std::string, bool> m_visible;  // name -> read-only (a loop variable)

  cuda::std::unexpected<Error> invalid(const std::string& path, const std::string& message, std::string fix) const {
    return fail(ErrorKind::InvalidArgument, m_prefix + path + ": " + message, std::move(fix));
  }

  cuda::std::unexpected<Error> too_deep(const std::string& path) const {
    return invalid(path, "nested deeper than " + std::to_string(MAX_DEPTH) + " levels",
                   "flatten the body with let-bound variables");
  }

  Status name_ok(const std::string& name, const std::string& path) const {
    if (is_identifier(name)) return {};
    return invalid(
        path, "variable name " + detail::quote(name) + " is not an identifier",
        "use 1 to " + std::to_string(MAX_NAME_LENGTH) + " characters of [A-Za-z0-9_], not starting with a digit");
  }

  Status bind(const std::string& name, bool read_only, const std::string& path, std::vector<std::string>& introduced) {
    MK_TRY(name_ok(name, path));
    if (m_visible.count(name) != 0)
      return invalid(path, "variable " + detail::quote(name) + " is already bound here",
                     "pick a new name: a let or loop variable may not reuse a name that is still visible");
    m_visible.emplace(name, read_only);
    introduced.push_back(name);
    return {};
  }

  Status expr(const Expr& e, const std::string& path, std::uint32_t depth) {
    if (depth > MAX_DEPTH) return too_deep(path);
    const ExprNode& n = e.node();
    if (n.kind > ExprKind::Cas)
      return invalid(path, "unknown expression kind " + std::to_string(int(n.kind)),
                     "build expressions with the mk::ir functions");
    if (n.operands.size() != expected_operands(n.kind))
      return invalid(path,
                     "expression has " + std::to_string(n.operands.size()) + " operands, expected " +
                         std::to_string(expected_operands(n.kind)),
                     "build expressions with the mk::ir functions");
    switch (n.kind) {
      case ExprKind::Arg:
        if (n.value >= abi::MAX_ARGS)
          return invalid(path, "argument index " + std::to_string(n.value) + " is out of range",
                         "use arg(0) .. arg(11): a slot carries 12 argument words");
        break;
      case ExprKind::Var:
        if (m_visible.count(n.name) == 0)
          return invalid(path, "variable " + detail::quote(n.name) + " is not bound",
                         "bind it with let before this point; a let-bound name is visible until the end of its block");
        break;
      case ExprKind::Binary:
        if (static_cast<std::uint32_t>(n.op) >= BINARY_OP_COUNT)
          return invalid(path, "unknown binary operator " + std::to_string(int(n.op)), "use an mk::ir::BinaryOp value");
        break;
      default:
        break;
    }
    for (std::size_t i = 0; i < n.operands.size(); ++i)
      MK_TRY(expr(n.operands[i], path + detail::operand_segment(n.kind, i), depth + 1));
    return {};
  }

  Status exprs(const Stmt& s, const std::string& path, std::uint32_t depth) {
    for (std::size_t i = 0; i < s.exprs.size(); ++i)
      MK_TRY(expr(s.exprs[i], path + detail::stmt_expr_segment(s.kind, i), depth + 1));
    return {};
  }

  Status stmt(const Stmt& s, const std::string& path, std::uint32_t depth, std::vector<std::string>& introduced) {
    if (depth > MAX_DEPTH) return too_deep(path);
    std::size_t want = 0;
    switch (s.kind) {
      case StmtKind::Let:
      case StmtKind::Set:
      case StmtKind::If:
      case StmtKind::Result:
        want = 1;
        break;
      case StmtKind::Store:
      case StmtKind::For:
        want = 2;
        break;
      case StmtKind::Printf:
        want = s.exprs.size();
        break;
      case StmtKind::Fault:
      case StmtKind::Requeue:
        want = 0;
        break;
      default:
        return invalid(path, "unknown statement kind " + std::to_string(int(s.kind)),
                       "build statements with the mk::ir functions");
    }
    if (s.exprs.size() != want)
      return invalid(
          path, "statement has " + std::to_string(s.exprs.size()) + " expressions, expected " + std::to_string(want),
          "build statements with the mk::ir functions");
    const bool nests = s.kind == StmtKind::If || s.kind == StmtKind::For;
    if (!nests && !(s.then_body.empty() && s.else_body.empty()))
      return invalid(path, "only if and for statements carry nested blocks",
                     "build statements with the mk::ir functions");
    if (s.kind == StmtKind::For && !s.else_body.empty())
      return invalid(path, "a for statement has no else block", "build statements with the mk::ir functions");

    switch (s.kind) {
      case StmtKind::Let:
        // The value is checked first: `let x = x` reads an unbound x.
        MK_TRY(exprs(s, path, depth));
        return bind(s.name, false, path, introduced);
      case StmtKind::Set: {
        MK_TRY(name_ok(s.name, path));
        const auto found = m_visible.find(s.name);
        if (found == m_visible.end())
          return invalid(path, "set of variable " + detail::quote(s.name) + ", which is not bound",
                         "bind it first with let (set only changes an existing variable)");
        if (found->second)
          return invalid(path, "variable " + detail::quote(s.name) + " is a loop variable and cannot be set",
                         "copy it into a let-bound variable; the loop's trip count is fixed at bootstrap");
        return exprs(s, path, depth);
      }
      case StmtKind::Store:
      case StmtKind::Result:
        return exprs(s, path, depth);
      case StmtKind::If:
        MK_TRY(exprs(s, path, depth));
        MK_TRY(block(s.then_body, path + detail::block_segment(s.kind, false), depth + 1));
        return block(s.else_body, path + detail::block_segment(s.kind, true), depth + 1);
      case StmtKind::For:
        return for_loop(s, path, depth);
      case StmtKind::Printf:
        if (s.exprs.size() > MAX_PRINTF_ARGS)
          return invalid(path, "printf has " + std::to_string(s.exprs.size()) + " arguments, at most 5 fit a record",
                         "split the values over several printf statements");
        if ((s.number & abi::REC_COMMIT_BIT) != 0)
          return invalid(path, "printf format id " + std::to_string(s.number) + " has the high bit set",
                         "use a format id below 0x80000000 (the debug log uses the high bit to commit a record)");
        return exprs(s, path, depth);
      case StmtKind::Fault:
        if (s.number == abi::FAULT_NONE || s.number >= abi::FAULT_CODE_COUNT)
          return invalid(path, "fault code " + std::to_string(s.number) + " is not a fault code",
                         "use 1..9 (abi::FAULT_*); user code normally faults with USER_FAULT = 7");
        return {};
      case StmtKind::Requeue:
        return {};
    }
    return {};
  }

  Status for_loop(const Stmt& s, const std::string& path, std::uint32_t depth) {
    MK_TRY(exprs(s, path, depth));
    const ExprNode& from = s.exprs[0].node();
    const ExprNode& to = s.exprs[1].node();
    if (from.kind != ExprKind::Const || to.kind != ExprKind::Const)
      return invalid(path + (from.kind != ExprKind::Const ? ".from" : ".to"), "loop bound is not a constant",
                     "for bounds are fixed when the opcode is registered; loop to a constant maximum and "
                     "skip iterations with if");
    if (from.value > to.value)
      return invalid(path, "loop runs from " + std::to_string(from.value) + " down to " + std::to_string(to.value),
                     "write from <= to; the loop variable counts up and stops before to");
    if (to.value - from.value > MAX_LOOP_TRIPS)
      return invalid(path,
                     "loop has " + std::to_string(to.value - from.value) + " iterations, at most " +
                         std::to_string(MAX_LOOP_TRIPS) + " are allowed",
                     "split the work over several items or nest two smaller loops");
    std::vector<std::string> loop_var;
    MK_TRY(bind(s.name, true, path, loop_var));
    Status status = block(s.then_body, path + detail::block_segment(s.kind, false), depth + 1);
    m_visible.erase(s.name);
    return status;
  }
};

}  // namespace

Status validate_handlers(std::span<const OpcodeHandler> handlers) {
  if (handlers.size() > abi::MAX_CUSTOM_OPCODES)
    return fail(ErrorKind::InvalidArgument,
                std::to_string(handlers.size()) + " custom opcodes; the opcode table holds at most " +
                    std::to_string(abi::MAX_CUSTOM_OPCODES),
                "register at most 52 custom opcodes (table indices 12..63)");
  for (std::size_t k = 0; k < handlers.size(); ++k) {
    const OpcodeHandler& h = handlers[k];
    const std::string prefix = "opcode " + std::to_string(h.opcode) + " " + detail::quote(h.name) + " ";
    if (h.name.empty())
      return fail(ErrorKind::InvalidArgument,
                  "opcode " + std::to_string(h.opcode) + " (handler " + std::to_string(k) + ") has an empty name",
                  "give every custom opcode a name, e.g. \"saxpy_word\"");
    if (abi::is_system_opcode(h.opcode))
      return fail(ErrorKind::InvalidArgument,
                  prefix + "uses a system opcode id (0..7, 0xFFF0..0xFFFF, or the high bit set)",
                  "pick another id, e.g. 4096 (8..255 can also run inside packed slots)");
    for (std::size_t j = 0; j < k; ++j) {
      if (handlers[j].opcode == h.opcode)
        return fail(ErrorKind::InvalidArgument,
                    prefix + "reuses the id of handler " + std::to_string(j) + " " + detail::quote(handlers[j].name),
                    "give every custom opcode its own id");
      if (handlers[j].name == h.name)
        return fail(ErrorKind::InvalidArgument,
                    prefix + "reuses the name of handler " + std::to_string(j) + " (opcode " +
                        std::to_string(handlers[j].opcode) + ")",
                    "give every custom opcode its own name");
    }
    if (count_nodes(h.body) > MAX_BODY_NODES)
      return fail(ErrorKind::InvalidArgument,
                  prefix + "body has more than " + std::to_string(MAX_BODY_NODES) + " nodes",
                  "split the work over several opcodes or use loops instead of unrolled code");
    MK_TRY(Checker(prefix).block(h.body, "body", 0));
  }
  return {};
}

}  // namespace mk::ir
