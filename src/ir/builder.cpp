// The IR builder: node constructors, operators, structural equality and node counting.
#include <utility>

#include "mk/ir.h"

namespace mk::ir {

namespace {

Expr make(ExprKind kind, std::vector<Expr> operands, std::uint32_t value = 0) {
  auto node = std::make_shared<ExprNode>();
  node->kind = kind;
  node->value = value;
  node->operands = std::move(operands);
  return Expr(std::move(node));
}

Stmt make_stmt(StmtKind kind, std::string name, std::vector<Expr> exprs, std::uint32_t number = 0) {
  Stmt s;
  s.kind = kind;
  s.name = std::move(name);
  s.exprs = std::move(exprs);
  s.number = number;
  return s;
}

}  // namespace

std::string_view to_string(BinaryOp op) noexcept {
  switch (op) {
    case BinaryOp::Add:
      return "+";
    case BinaryOp::Sub:
      return "-";
    case BinaryOp::Mul:
      return "*";
    case BinaryOp::Div:
      return "/";
    case BinaryOp::Rem:
      return "%";
    case BinaryOp::And:
      return "&";
    case BinaryOp::Or:
      return "|";
    case BinaryOp::Xor:
      return "^";
    case BinaryOp::Shl:
      return "<<";
    case BinaryOp::Shr:
      return ">>";
    case BinaryOp::Eq:
      return "==";
    case BinaryOp::Ne:
      return "!=";
    case BinaryOp::Lt:
      return "<";
    case BinaryOp::Le:
      return "<=";
    case BinaryOp::Gt:
      return ">";
    case BinaryOp::Ge:
      return ">=";
  }
  return "?";
}

Expr::Expr(std::uint32_t constant) {
  auto node = std::make_shared<ExprNode>();
  node->kind = ExprKind::Const;
  node->value = constant;
  m_node = std::move(node);
}

Expr::Expr(std::shared_ptr<const ExprNode> node) noexcept : m_node(std::move(node)) {}

Expr c(std::uint32_t value) { return Expr(value); }
Expr arg(std::uint32_t index) { return make(ExprKind::Arg, {}, index); }
Expr tenant() { return make(ExprKind::Tenant, {}); }
Expr slot() { return make(ExprKind::Slot, {}); }

Expr var(std::string name) {
  auto node = std::make_shared<ExprNode>();
  node->kind = ExprKind::Var;
  node->name = std::move(name);
  return Expr(std::move(node));
}

Expr binary(BinaryOp op, Expr a, Expr b) {
  auto node = std::make_shared<ExprNode>();
  node->kind = ExprKind::Binary;
  node->op = op;
  node->operands = {std::move(a), std::move(b)};
  return Expr(std::move(node));
}

Expr lnot(Expr a) { return make(ExprKind::Not, {std::move(a)}); }
Expr select(Expr cond, Expr then_value, Expr else_value) {
  return make(ExprKind::Select, {std::move(cond), std::move(then_value), std::move(else_value)});
}
Expr load(Expr addr) { return make(ExprKind::Load, {std::move(addr)}); }
Expr atomic_add(Expr addr, Expr delta) { return make(ExprKind::AtomicAdd, {std::move(addr), std::move(delta)}); }
Expr cas(Expr addr, Expr expected, Expr desired) {
  return make(ExprKind::Cas, {std::move(addr), std::move(expected), std::move(desired)});
}
Expr eq(Expr a, Expr b) { return binary(BinaryOp::Eq, std::move(a), std::move(b)); }
Expr ne(Expr a, Expr b) { return binary(BinaryOp::Ne, std::move(a), std::move(b)); }
Expr lt(Expr a, Expr b) { return binary(BinaryOp::Lt, std::move(a), std::move(b)); }
Expr le(Expr a, Expr b) { return binary(BinaryOp::Le, std::move(a), std::move(b)); }
Expr gt(Expr a, Expr b) { return binary(BinaryOp::Gt, std::move(a), std::move(b)); }
Expr ge(Expr a, Expr b) { return binary(BinaryOp::Ge, std::move(a), std::move(b)); }

Expr operator+(Expr a, Expr b) { return binary(BinaryOp::Add, std::move(a), std::move(b)); }
Expr operator-(Expr a, Expr b) { return binary(BinaryOp::Sub, std::move(a), std::move(b)); }
Expr operator*(Expr a, Expr b) { return binary(BinaryOp::Mul, std::move(a), std::move(b)); }
Expr operator/(Expr a, Expr b) { return binary(BinaryOp::Div, std::move(a), std::move(b)); }
Expr operator%(Expr a, Expr b) { return binary(BinaryOp::Rem, std::move(a), std::move(b)); }
Expr operator&(Expr a, Expr b) { return binary(BinaryOp::And, std::move(a), std::move(b)); }
Expr operator|(Expr a, Expr b) { return binary(BinaryOp::Or, std::move(a), std::move(b)); }
Expr operator^(Expr a, Expr b) { return binary(BinaryOp::Xor, std::move(a), std::move(b)); }
Expr operator<<(Expr a, Expr b) { return binary(BinaryOp::Shl, std::move(a), std::move(b)); }
Expr operator>>(Expr a, Expr b) { return binary(BinaryOp::Shr, std::move(a), std::move(b)); }
Expr operator==(Expr a, Expr b) { return eq(std::move(a), std::move(b)); }
Expr operator!=(Expr a, Expr b) { return ne(std::move(a), std::move(b)); }
Expr operator<(Expr a, Expr b) { return lt(std::move(a), std::move(b)); }
Expr operator<=(Expr a, Expr b) { return le(std::move(a), std::move(b)); }
Expr operator>(Expr a, Expr b) { return gt(std::move(a), std::move(b)); }
Expr operator>=(Expr a, Expr b) { return ge(std::move(a), std::move(b)); }
Expr operator!(Expr a) { return lnot(std::move(a)); }

Stmt let(std::string name, Expr value) { return make_stmt(StmtKind::Let, std::move(name), {std::move(value)}); }
Stmt set(std::string name, Expr value) { return make_stmt(StmtKind::Set, std::move(name), {std::move(value)}); }
Stmt store(Expr addr, Expr value) { return make_stmt(StmtKind::Store, {}, {std::move(addr), std::move(value)}); }

Stmt if_(Expr cond, Body then_body, Body else_body) {
  Stmt s = make_stmt(StmtKind::If, {}, {std::move(cond)});
  s.then_body = std::move(then_body);
  s.else_body = std::move(else_body);
  return s;
}

Stmt for_(std::string name, Expr from, Expr to, Body loop_body) {
  Stmt s = make_stmt(StmtKind::For, std::move(name), {std::move(from), std::move(to)});
  s.then_body = std::move(loop_body);
  return s;
}

Stmt printf(std::uint32_t fmt_id, std::vector<Expr> args) {
  return make_stmt(StmtKind::Printf, {}, std::move(args), fmt_id);
}
Stmt result(Expr value) { return make_stmt(StmtKind::Result, {}, {std::move(value)}); }
Stmt fault(std::uint32_t code) { return make_stmt(StmtKind::Fault, {}, {}, code); }
Stmt requeue() { return make_stmt(StmtKind::Requeue, {}, {}); }
Body body(std::initializer_list<Stmt> statements) { return Body(statements); }

namespace {

bool equal_exprs(const std::vector<Expr>& a, const std::vector<Expr>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!equal(a[i], b[i])) return false;
  return true;
}

// Stops as soon as the count passes `limit`, so the recursion depth stays bounded too.
void count_into(const Expr& e, std::size_t limit, std::size_t& count) {
  if (count > limit) return;
  ++count;
  for (const Expr& operand : e->operands) count_into(operand, limit, count);
}

void count_into(const Body& b, std::size_t limit, std::size_t& count) {
  for (const Stmt& s : b) {
    if (count > limit) return;
    ++count;
    for (const Expr& e : s.exprs) count_into(e, limit, count);
    count_into(s.then_body, limit, count);
    count_into(s.else_body, limit, count);
  }
}

}  // namespace

bool equal(const Expr& a, const Expr& b) {
  const ExprNode& x = a.node();
  const ExprNode& y = b.node();
  if (&x == &y) return true;
  if (x.kind != y.kind) return false;
  switch (x.kind) {
    case ExprKind::Const:
    case ExprKind::Arg:
      return x.value == y.value;
    case ExprKind::Tenant:
    case ExprKind::Slot:
      return true;
    case ExprKind::Var:
      return x.name == y.name;
    case ExprKind::Binary:
      if (x.op != y.op) return false;
      break;
    default:
      break;
  }
  return equal_exprs(x.operands, y.operands);
}

bool equal(const Stmt& a, const Stmt& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case StmtKind::Let:
    case StmtKind::Set:
      if (a.name != b.name) return false;
      break;
    case StmtKind::For:
      if (a.name != b.name || !equal(a.then_body, b.then_body)) return false;
      break;
    case StmtKind::If:
      if (!equal(a.then_body, b.then_body) || !equal(a.else_body, b.else_body)) return false;
      break;
    case StmtKind::Printf:
    case StmtKind::Fault:
      if (a.number != b.number) return false;
      break;
    default:
      break;
  }
  return equal_exprs(a.exprs, b.exprs);
}

bool equal(const Body& a, const Body& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!equal(a[i], b[i])) return false;
  return true;
}

std::size_t count_nodes(const Body& body, std::size_t limit) {
  std::size_t count = 0;
  count_into(body, limit, count);
  return count;
}

}  // namespace mk::ir
