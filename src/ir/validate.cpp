// The validator: every rule a backend relies on before it compiles handlers (bound
// variables, types, limits, opcode ids), reported as InvalidArgument with the node path.
#include <string>
#include <unordered_map>
#include <vector>

#include "mk/ir.h"
#include "paths.h"
#include "typing.h"

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

std::size_t expected_operands(const ExprNode& n) {
  switch (n.kind) {
    case ExprKind::Binary:
    case ExprKind::AtomicAdd:
    case ExprKind::AtomicAdd64:
      return 2;
    case ExprKind::Not:
    case ExprKind::Load:
    case ExprKind::Load64:
      return 1;
    case ExprKind::Select:
    case ExprKind::Cas:
      return 3;
    case ExprKind::Call:
      return func_arity(n.func);
    default:
      return 0;
  }
}

std::string type_name(Type t) { return std::string(to_string(t)); }

// Checks one handler's body. Scoping: a let-bound name is visible from the statement
// after its let to the end of the enclosing block; a loop variable inside its body only.
// Any reuse of a still-visible name is rejected (not only in the same block), so every
// name denotes exactly one variable wherever it is read — the CUDA lowering can map
// names to C++ locals without renaming. Typing: every expression has one type, computed
// bottom-up; a variable has the type of its let; nothing converts implicitly.
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
  struct Binding {
    bool read_only = false;  // a loop variable
    Type type = Type::U32;
  };

  std::string m_prefix;
  std::unordered_map<std::string, Binding> m_visible;

  cuda::std::unexpected<Error> invalid(const std::string& path, const std::string& message, std::string fix) const {
    return fail(ErrorKind::InvalidArgument, m_prefix + path + ": " + message, std::move(fix));
  }

  cuda::std::unexpected<Error> too_deep(const std::string& path) const {
    return invalid(path, "nested deeper than " + std::to_string(MAX_DEPTH) + " levels",
                   "flatten the body with let-bound variables");
  }

  // `what` (e.g. "a store value") must be of type `want`; `got` is what the expression is.
  Status expect(Type got, Type want, const std::string& path, const std::string& what, std::string extra = {}) const {
    if (got == want) return {};
    return invalid(path, what + " must be " + type_name(want) + ", got " + type_name(got),
                   "wrap it with " + detail::conversion(got, want) + extra);
  }

  Status name_ok(const std::string& name, const std::string& path) const {
    if (is_identifier(name)) return {};
    return invalid(
        path, "variable name " + detail::quote(name) + " is not an identifier",
        "use 1 to " + std::to_string(MAX_NAME_LENGTH) + " characters of [A-Za-z0-9_], not starting with a digit");
  }

  Status bind(const std::string& name, Binding binding, const std::string& path, std::vector<std::string>& introduced) {
    MK_TRY(name_ok(name, path));
    if (m_visible.count(name) != 0)
      return invalid(path, "variable " + detail::quote(name) + " is already bound here",
                     "pick a new name: a let or loop variable may not reuse a name that is still visible");
    m_visible.emplace(name, binding);
    introduced.push_back(name);
    return {};
  }

  Result<Type> constant_type(const ExprNode& n, const std::string& path) const {
    if (static_cast<std::uint32_t>(n.type) >= TYPE_COUNT)
      return invalid(path, "unknown constant type " + std::to_string(int(n.type)), "use an mk::ir::Type value");
    if (n.type != Type::U64 && n.value > 0xFFFFFFFFull)
      return invalid(path, "a " + type_name(n.type) + " constant has bits above bit 31",
                     "build constants with c, c_i32, c_f32 or c_u64");
    return n.type;
  }

  Result<Type> binary_type(const ExprNode& n, Type a, Type b, const std::string& path) const {
    const std::string sym = "operator " + detail::quote(to_string(n.op));
    if (!detail::binary_defined(n.op, a))
      return invalid(path, sym + " is not defined for " + type_name(a), detail::operations_of(a));
    if (detail::is_shift(n.op)) {
      MK_TRY(expect(b, Type::U32, path + ".b", "a shift count"));
    } else if (a != b) {
      return invalid(path, sym + " mixes " + type_name(a) + " (a) and " + type_name(b) + " (b)",
                     "convert one side so both have one type: wrap b with " + detail::conversion(b, a) +
                         ", or a with " + detail::conversion(a, b));
    }
    return detail::binary_result(n.op, a);
  }

  Result<Type> call_type(const ExprNode& n, const std::vector<Type>& types, const std::string& path) const {
    const std::string name = std::string(to_string(n.func));
    const Type first = types[0];
    const std::string first_path = path + detail::operand_segment(n, 0);
    if (!detail::func_defined(n.func, first)) {
      if (detail::func_is_polymorphic(n.func))
        return invalid(first_path, name + " is not defined for " + type_name(first), detail::operations_of(first));
      const Type want = detail::func_input(n.func);
      if (detail::func_result(n.func, want) == first)
        return invalid(first_path, name + " takes " + type_name(want) + ", got " + type_name(first),
                       "the operand is " + type_name(first) + " already: drop the " + name);
      MK_TRY(expect(first, want, first_path, name + "'s operand"));
    }
    for (std::size_t i = 1; i < types.size(); ++i) {
      const Type want = detail::func_operand(n.func, i, first);
      if (types[i] == want) continue;
      const std::string at = path + detail::operand_segment(n, i);
      if (detail::func_is_polymorphic(n.func))
        return invalid(at, name + " mixes " + type_name(first) + " and " + type_name(types[i]),
                       "convert it so every operand is " + type_name(first) + ": wrap it with " +
                           detail::conversion(types[i], first));
      MK_TRY(expect(types[i], want, at, name + "'s operand " + std::to_string(i)));
    }
    return detail::func_result(n.func, first);
  }

  Result<Type> expr(const Expr& e, const std::string& path, std::uint32_t depth) {
    if (depth > MAX_DEPTH) return too_deep(path);
    const ExprNode& n = e.node();
    if (n.kind > ExprKind::AtomicAdd64)
      return invalid(path, "unknown expression kind " + std::to_string(int(n.kind)),
                     "build expressions with the mk::ir functions");
    if (n.kind == ExprKind::Call && static_cast<std::uint32_t>(n.func) >= FUNC_COUNT)
      return invalid(path, "unknown function " + std::to_string(int(n.func)), "use an mk::ir::Func value");
    if (n.operands.size() != expected_operands(n))
      return invalid(path,
                     "expression has " + std::to_string(n.operands.size()) + " operands, expected " +
                         std::to_string(expected_operands(n)),
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
    std::vector<Type> types;
    types.reserve(n.operands.size());
    for (std::size_t i = 0; i < n.operands.size(); ++i) {
      auto t = expr(n.operands[i], path + detail::operand_segment(n, i), depth + 1);
      if (!t) return t;
      types.push_back(*t);
    }
    auto operand = [&](std::size_t i) { return path + detail::operand_segment(n, i); };
    switch (n.kind) {
      case ExprKind::Const:
        return constant_type(n, path);
      case ExprKind::Arg:
      case ExprKind::Tenant:
      case ExprKind::Slot:
        return Type::U32;
      case ExprKind::Var:
        return m_visible.at(n.name).type;
      case ExprKind::Binary:
        return binary_type(n, types[0], types[1], path);
      case ExprKind::Not:
        MK_TRY(expect(types[0], Type::U32, operand(0), "not's operand",
                      "; or compare with a zero of its own type instead"));
        return Type::U32;
      case ExprKind::Select:
        MK_TRY(expect(types[0], Type::U32, operand(0), "a select condition",
                      "; or compare with a zero of its own type instead"));
        if (types[1] != types[2])
          return invalid(path, "select's branches differ: " + type_name(types[1]) + " and " + type_name(types[2]),
                         "convert one branch: wrap the second with " + detail::conversion(types[2], types[1]));
        return types[1];
      case ExprKind::Load:
      case ExprKind::Load64:
        MK_TRY(expect(types[0], Type::U32, operand(0), "an address"));
        return n.kind == ExprKind::Load ? Type::U32 : Type::U64;
      case ExprKind::AtomicAdd:
        MK_TRY(expect(types[0], Type::U32, operand(0), "an address"));
        MK_TRY(expect(types[1], Type::U32, operand(1), "an atomic_add delta", "; use atomic_add64 for u64"));
        return Type::U32;
      case ExprKind::AtomicAdd64:
        MK_TRY(expect(types[0], Type::U32, operand(0), "an address"));
        MK_TRY(expect(types[1], Type::U64, operand(1), "an atomic_add64 delta"));
        return Type::U64;
      case ExprKind::Cas:
        MK_TRY(expect(types[0], Type::U32, operand(0), "an address"));
        MK_TRY(expect(types[1], Type::U32, operand(1), "a cas expected value"));
        MK_TRY(expect(types[2], Type::U32, operand(2), "a cas desired value"));
        return Type::U32;
      case ExprKind::Call:
        return call_type(n, types, path);
    }
    return Type::U32;
  }

  // Checks statement expression i and returns its type.
  Result<Type> stmt_expr(const Stmt& s, std::size_t i, const std::string& path, std::uint32_t depth) {
    return expr(s.exprs[i], path + detail::stmt_expr_segment(s.kind, i), depth + 1);
  }

  // Checks every expression of a statement, each of which must be u32.
  Status u32_exprs(const Stmt& s, const std::string& path, std::uint32_t depth, const char* what,
                   std::string extra = {}) {
    for (std::size_t i = 0; i < s.exprs.size(); ++i) {
      auto t = stmt_expr(s, i, path, depth);
      if (!t) return cuda::std::unexpected<Error>(std::move(t.error()));
      MK_TRY(expect(*t, Type::U32, path + detail::stmt_expr_segment(s.kind, i), what, extra));
    }
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
      case StmtKind::Store64:
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
    if (s.type && s.kind != StmtKind::Let)
      return invalid(path, "only a let declares a type", "build statements with the mk::ir functions");
    if (s.type && static_cast<std::uint32_t>(*s.type) >= TYPE_COUNT)
      return invalid(path, "unknown type " + std::to_string(int(*s.type)), "use an mk::ir::Type value");

    switch (s.kind) {
      case StmtKind::Let: {
        // The value is checked first: `let x = x` reads an unbound x.
        auto t = stmt_expr(s, 0, path, depth);
        if (!t) return cuda::std::unexpected<Error>(std::move(t.error()));
        if (s.type && *s.type != *t)
          return invalid(path + ".value",
                         "let " + detail::quote(s.name) + " is declared " + type_name(*s.type) + " but its value is " +
                             type_name(*t),
                         "wrap the value with " + detail::conversion(*t, *s.type) + ", or declare it " + type_name(*t));
        return bind(s.name, Binding{false, *t}, path, introduced);
      }
      case StmtKind::Set: {
        MK_TRY(name_ok(s.name, path));
        const auto found = m_visible.find(s.name);
        if (found == m_visible.end())
          return invalid(path, "set of variable " + detail::quote(s.name) + ", which is not bound",
                         "bind it first with let (set only changes an existing variable)");
        if (found->second.read_only)
          return invalid(path, "variable " + detail::quote(s.name) + " is a loop variable and cannot be set",
                         "copy it into a let-bound variable; the loop's trip count is fixed at bootstrap");
        const Type var_type = found->second.type;
        auto t = stmt_expr(s, 0, path, depth);
        if (!t) return cuda::std::unexpected<Error>(std::move(t.error()));
        if (*t != var_type)
          return invalid(
              path + ".value",
              "variable " + detail::quote(s.name) + " is " + type_name(var_type) + " but the value is " + type_name(*t),
              "wrap the value with " + detail::conversion(*t, var_type) + "; a variable keeps the type of its let");
        return {};
      }
      case StmtKind::Store: {
        auto addr = stmt_expr(s, 0, path, depth);
        if (!addr) return cuda::std::unexpected<Error>(std::move(addr.error()));
        auto value = stmt_expr(s, 1, path, depth);
        if (!value) return cuda::std::unexpected<Error>(std::move(value.error()));
        MK_TRY(expect(*addr, Type::U32, path + ".store", "an address"));
        if (*value == Type::U64)
          return invalid(path + ".value", "a store value must be u32, got u64",
                         "use store64 for a u64 value, or store u64_lo / u64_hi of it");
        return expect(*value, Type::U32, path + ".value", "a store value");
      }
      case StmtKind::Store64: {
        auto addr = stmt_expr(s, 0, path, depth);
        if (!addr) return cuda::std::unexpected<Error>(std::move(addr.error()));
        auto value = stmt_expr(s, 1, path, depth);
        if (!value) return cuda::std::unexpected<Error>(std::move(value.error()));
        MK_TRY(expect(*addr, Type::U32, path + ".store64", "an address"));
        return expect(*value, Type::U64, path + ".value", "a store64 value");
      }
      case StmtKind::Result:
        return u32_exprs(s, path, depth, "a result", " (RESULT is one u32 word)");
      case StmtKind::If:
        MK_TRY(u32_exprs(s, path, depth, "an if condition", "; or compare with a zero of its own type instead"));
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
        return u32_exprs(s, path, depth, "a printf argument", " (a debug-log record holds u32 words)");
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
    for (std::size_t i = 0; i < 2; ++i) {
      auto t = stmt_expr(s, i, path, depth);
      if (!t) return cuda::std::unexpected<Error>(std::move(t.error()));
    }
    const ExprNode& from = s.exprs[0].node();
    const ExprNode& to = s.exprs[1].node();
    if (from.kind != ExprKind::Const || to.kind != ExprKind::Const)
      return invalid(path + (from.kind != ExprKind::Const ? ".from" : ".to"), "loop bound is not a constant",
                     "for bounds are fixed when the opcode is registered; loop to a constant maximum and "
                     "skip iterations with if");
    if (from.type != Type::U32 || to.type != Type::U32)
      return invalid(path + (from.type != Type::U32 ? ".from" : ".to"), "loop bound is not a u32 constant",
                     "write the bound as a plain number; the loop variable is u32");
    if (from.value > to.value)
      return invalid(path, "loop runs from " + std::to_string(from.value) + " down to " + std::to_string(to.value),
                     "write from <= to; the loop variable counts up and stops before to");
    if (to.value - from.value > MAX_LOOP_TRIPS)
      return invalid(path,
                     "loop has " + std::to_string(to.value - from.value) + " iterations, at most " +
                         std::to_string(MAX_LOOP_TRIPS) + " are allowed",
                     "split the work over several items or nest two smaller loops");
    std::vector<std::string> loop_var;
    MK_TRY(bind(s.name, Binding{true, Type::U32}, path, loop_var));
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
