// The IR's typing rules: operators and named operations over u32, i32, f32 and u64.
#include "typing.h"

namespace mk::ir::detail {

bool is_shift(BinaryOp op) noexcept { return op == BinaryOp::Shl || op == BinaryOp::Shr; }
bool is_comparison(BinaryOp op) noexcept { return op >= BinaryOp::Eq; }

bool binary_defined(BinaryOp op, Type t) noexcept {
  switch (op) {
    case BinaryOp::Add:
    case BinaryOp::Sub:
    case BinaryOp::Mul:
    case BinaryOp::Div:
    case BinaryOp::Eq:
    case BinaryOp::Ne:
    case BinaryOp::Lt:
    case BinaryOp::Le:
    case BinaryOp::Gt:
    case BinaryOp::Ge:
      return true;
    default:  // %, bitwise and shifts: integers only
      return t != Type::F32;
  }
}

Type binary_result(BinaryOp op, Type t) noexcept { return is_comparison(op) ? Type::U32 : t; }

bool func_is_polymorphic(Func func) noexcept {
  switch (func) {
    case Func::Neg:
    case Func::Abs:
    case Func::Min:
    case Func::Max:
    case Func::MulHi:
      return true;
    default:
      return false;
  }
}

Type func_input(Func func) noexcept {
  switch (func) {
    case Func::Sqrt:
    case Func::Floor:
    case Func::Ceil:
    case Func::Round:
    case Func::Fma:
    case Func::U32FromF32:
    case Func::I32FromF32:
    case Func::BitsFromF32:
      return Type::F32;
    case Func::F32FromI32:
    case Func::U32FromI32:
    case Func::U64FromI32:
      return Type::I32;
    case Func::U64Lo:
    case Func::U64Hi:
      return Type::U64;
    default:  // MulWide, F32FromU32, F32FromBits, I32FromU32, U64FromU32, U64FromWords
      return Type::U32;
  }
}

bool func_defined(Func func, Type first) noexcept {
  switch (func) {
    case Func::Neg:
    case Func::Min:
    case Func::Max:
      return true;
    case Func::Abs:
      return first == Type::I32 || first == Type::F32;
    case Func::MulHi:
      return first != Type::F32;
    default:
      return first == func_input(func);
  }
}

Type func_operand(Func func, std::size_t /*i*/, Type first) noexcept {
  // Every multi-operand call takes operands of one type: min/max/mul_hi the first's,
  // mul_wide and u64_from_words u32, fma f32.
  return func_is_polymorphic(func) ? first : func_input(func);
}

Type func_result(Func func, Type first) noexcept {
  switch (func) {
    case Func::F32FromU32:
    case Func::F32FromI32:
    case Func::F32FromBits:
      return Type::F32;
    case Func::U32FromF32:
    case Func::BitsFromF32:
    case Func::U32FromI32:
    case Func::U64Lo:
    case Func::U64Hi:
      return Type::U32;
    case Func::I32FromF32:
    case Func::I32FromU32:
      return Type::I32;
    case Func::MulWide:
    case Func::U64FromU32:
    case Func::U64FromI32:
    case Func::U64FromWords:
      return Type::U64;
    default:  // the polymorphic ones and the f32 functions keep their operand's type
      return first;
  }
}

std::string conversion(Type from, Type to) {
  switch (to) {
    case Type::U32:
      if (from == Type::F32) return "u32_from_f32 (its value, truncated) or bits_from_f32 (its bit pattern)";
      if (from == Type::I32) return "u32_from_i32 (same bits)";
      if (from == Type::U64) return "u64_lo (low word) or u64_hi (high word)";
      break;
    case Type::I32:
      if (from == Type::U32) return "i32_from_u32 (same bits)";
      if (from == Type::F32) return "i32_from_f32 (its value, truncated)";
      if (from == Type::U64) return "i32_from_u32 of u64_lo";
      break;
    case Type::F32:
      if (from == Type::U32) return "f32_from_u32 (its value) or f32_from_bits (its bit pattern)";
      if (from == Type::I32) return "f32_from_i32 (its value)";
      if (from == Type::U64) return "f32_from_u32 of u64_lo or u64_hi";
      break;
    case Type::U64:
      if (from == Type::U32) return "u64_from_u32 (zero-extends) or u64_from_words(lo, hi)";
      if (from == Type::I32) return "u64_from_i32 (sign-extends)";
      if (from == Type::F32) return "u64_from_u32 of u32_from_f32";
      break;
  }
  return "a conversion to " + std::string(to_string(to));
}

std::string operations_of(Type t) {
  switch (t) {
    case Type::F32:
      return "f32 takes + - * / and the comparisons, neg, abs, min, max, sqrt, floor, ceil, round and fma; "
             "for its bit pattern use bits_from_f32";
    case Type::I32:
      return "i32 takes every operator (/ % >> and comparisons signed), neg, abs, min, max and mul_hi";
    case Type::U64:
      return "u64 takes every operator (a shift count is u32), neg, min, max and mul_hi";
    case Type::U32:
      return "u32 takes every operator, neg, min, max, mul_hi and mul_wide";
  }
  return {};
}

Type type_of(const Expr& e, const std::function<Type(const std::string&)>& var_type) {
  const ExprNode& n = e.node();
  switch (n.kind) {
    case ExprKind::Const:
      return n.type;
    case ExprKind::Var:
      return var_type(n.name);
    case ExprKind::Binary:
      return binary_result(n.op, type_of(n.operands[0], var_type));
    case ExprKind::Select:
      return type_of(n.operands[1], var_type);
    case ExprKind::Call:
      return func_result(n.func, type_of(n.operands[0], var_type));
    case ExprKind::Load64:
    case ExprKind::AtomicAdd64:
      return Type::U64;
    default:  // arg, tenant, slot, not, load, atomic_add, cas
      return Type::U32;
  }
}

}  // namespace mk::ir::detail
