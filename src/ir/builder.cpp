// The IR builder: node constructors, operators, structural equality and node counting.
#include <cstring>
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

Expr make_call(Func func, std::vector<Expr> operands) {
  auto node = std::make_shared<ExprNode>();
  node->kind = ExprKind::Call;
  node->func = func;
  node->operands = std::move(operands);
  return Expr(std::move(node));
}

}  // namespace

std::string_view to_string(Type type) noexcept {
  switch (type) {
    case Type::U32:
      return "u32";
    case Type::I32:
      return "i32";
    case Type::F32:
      return "f32";
    case Type::U64:
      return "u64";
  }
  return "?";
}

std::string_view to_string(Func func) noexcept {
  switch (func) {
    case Func::Neg:
      return "neg";
    case Func::Abs:
      return "abs";
    case Func::Min:
      return "min";
    case Func::Max:
      return "max";
    case Func::MulHi:
      return "mul_hi";
    case Func::MulWide:
      return "mul_wide";
    case Func::Sqrt:
      return "sqrt";
    case Func::Floor:
      return "floor";
    case Func::Ceil:
      return "ceil";
    case Func::Round:
      return "round";
    case Func::Fma:
      return "fma";
    case Func::F32FromU32:
      return "f32_from_u32";
    case Func::F32FromI32:
      return "f32_from_i32";
    case Func::U32FromF32:
      return "u32_from_f32";
    case Func::I32FromF32:
      return "i32_from_f32";
    case Func::F32FromBits:
      return "f32_from_bits";
    case Func::BitsFromF32:
      return "bits_from_f32";
    case Func::I32FromU32:
      return "i32_from_u32";
    case Func::U32FromI32:
      return "u32_from_i32";
    case Func::U64FromU32:
      return "u64_from_u32";
    case Func::U64FromI32:
      return "u64_from_i32";
    case Func::U64Lo:
      return "u64_lo";
    case Func::U64Hi:
      return "u64_hi";
    case Func::U64FromWords:
      return "u64_from_words";
  }
  return "?";
}

std::uint32_t func_arity(Func func) noexcept {
  switch (func) {
    case Func::Min:
    case Func::Max:
    case Func::MulHi:
    case Func::MulWide:
    case Func::U64FromWords:
      return 2;
    case Func::Fma:
      return 3;
    default:
      return 1;
  }
}

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

Expr constant(Type type, std::uint64_t bits) {
  auto node = std::make_shared<ExprNode>();
  node->kind = ExprKind::Const;
  node->type = type;
  node->value = bits;
  return Expr(std::move(node));
}

Expr c_i32(std::int32_t value) { return constant(Type::I32, static_cast<std::uint32_t>(value)); }
Expr c_f32(float value) {
  std::uint32_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  return constant(Type::F32, bits);
}
Expr c_f32_bits(std::uint32_t bits) { return constant(Type::F32, bits); }
Expr c_u64(std::uint64_t value) { return constant(Type::U64, value); }
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
Expr load64(Expr addr) { return make(ExprKind::Load64, {std::move(addr)}); }
Expr atomic_add64(Expr addr, Expr delta) { return make(ExprKind::AtomicAdd64, {std::move(addr), std::move(delta)}); }

Expr call(Func func, std::vector<Expr> operands) { return make_call(func, std::move(operands)); }
Expr neg(Expr a) { return make_call(Func::Neg, {std::move(a)}); }
Expr abs(Expr a) { return make_call(Func::Abs, {std::move(a)}); }
Expr min(Expr a, Expr b) { return make_call(Func::Min, {std::move(a), std::move(b)}); }
Expr max(Expr a, Expr b) { return make_call(Func::Max, {std::move(a), std::move(b)}); }
Expr mul_hi(Expr a, Expr b) { return make_call(Func::MulHi, {std::move(a), std::move(b)}); }
Expr mul_wide(Expr a, Expr b) { return make_call(Func::MulWide, {std::move(a), std::move(b)}); }
Expr sqrt(Expr a) { return make_call(Func::Sqrt, {std::move(a)}); }
Expr floor(Expr a) { return make_call(Func::Floor, {std::move(a)}); }
Expr ceil(Expr a) { return make_call(Func::Ceil, {std::move(a)}); }
Expr round(Expr a) { return make_call(Func::Round, {std::move(a)}); }
Expr fma(Expr a, Expr b, Expr c) { return make_call(Func::Fma, {std::move(a), std::move(b), std::move(c)}); }
Expr f32_from_u32(Expr a) { return make_call(Func::F32FromU32, {std::move(a)}); }
Expr f32_from_i32(Expr a) { return make_call(Func::F32FromI32, {std::move(a)}); }
Expr u32_from_f32(Expr a) { return make_call(Func::U32FromF32, {std::move(a)}); }
Expr i32_from_f32(Expr a) { return make_call(Func::I32FromF32, {std::move(a)}); }
Expr f32_from_bits(Expr a) { return make_call(Func::F32FromBits, {std::move(a)}); }
Expr bits_from_f32(Expr a) { return make_call(Func::BitsFromF32, {std::move(a)}); }
Expr i32_from_u32(Expr a) { return make_call(Func::I32FromU32, {std::move(a)}); }
Expr u32_from_i32(Expr a) { return make_call(Func::U32FromI32, {std::move(a)}); }
Expr u64_from_u32(Expr a) { return make_call(Func::U64FromU32, {std::move(a)}); }
Expr u64_from_i32(Expr a) { return make_call(Func::U64FromI32, {std::move(a)}); }
Expr u64_lo(Expr a) { return make_call(Func::U64Lo, {std::move(a)}); }
Expr u64_hi(Expr a) { return make_call(Func::U64Hi, {std::move(a)}); }
Expr u64_from_words(Expr lo, Expr hi) { return make_call(Func::U64FromWords, {std::move(lo), std::move(hi)}); }

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
Stmt let(std::string name, Type type, Expr value) {
  Stmt s = make_stmt(StmtKind::Let, std::move(name), {std::move(value)});
  s.type = type;
  return s;
}
Stmt set(std::string name, Expr value) { return make_stmt(StmtKind::Set, std::move(name), {std::move(value)}); }
Stmt store(Expr addr, Expr value) { return make_stmt(StmtKind::Store, {}, {std::move(addr), std::move(value)}); }
Stmt store64(Expr addr, Expr value) { return make_stmt(StmtKind::Store64, {}, {std::move(addr), std::move(value)}); }

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
      return x.type == y.type && x.value == y.value;
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
    case ExprKind::Call:
      if (x.func != y.func) return false;
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
      if (a.name != b.name || a.type != b.type) return false;
      break;
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
