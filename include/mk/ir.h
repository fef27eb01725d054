// The custom-opcode IR (mk::ir): a small typed tree of expressions (u32, i32, f32, u64)
// and statements, its C++ builder, its JSON form and its validator. Semantics: docs/ir.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mk/abi.h"
#include "mk/error.h"

namespace mk::ir {

// Limits the validator enforces; the CUDA lowering may rely on them.
inline constexpr std::uint32_t MAX_BODY_NODES = 4096;   // expressions + statements per body
inline constexpr std::uint32_t MAX_DEPTH = 256;         // nesting of blocks and expressions
inline constexpr std::uint32_t MAX_LOOP_TRIPS = 65536;  // to - from of one `for`
inline constexpr std::uint32_t MAX_NAME_LENGTH = 64;    // variable names
inline constexpr std::uint32_t MAX_PRINTF_ARGS = abi::PRINTF_MAX_ARGS;

// Value types. u32 is the type of every word the IR touches (arguments, memory, results);
// the others are reached by explicit conversions, never implicitly.
enum class Type : std::uint8_t {
  U32,  // unsigned 32-bit, wrapping
  I32,  // signed 32-bit two's complement, wrapping
  F32,  // IEEE-754 binary32
  U64,  // unsigned 64-bit, wrapping
};
inline constexpr std::uint32_t TYPE_COUNT = 4;
std::string_view to_string(Type type) noexcept;  // "u32", "i32", "f32", "u64"

enum class ExprKind : std::uint8_t {
  Const,  // value (the constant's bits), type
  Arg,    // value = argument index
  Tenant,
  Slot,
  Var,          // name
  Binary,       // op, operands {a, b}
  Not,          // operands {a}
  Select,       // operands {cond, then, else}; only the chosen operand is evaluated
  Load,         // operands {addr}
  AtomicAdd,    // operands {addr, delta}; yields the previous value
  Cas,          // operands {addr, expected, desired}; yields the previous value
  Call,         // func, operands (func_arity(func) of them): named operations and conversions
  Load64,       // operands {addr}: the u64 at words addr (low), addr + 1 (high)
  AtomicAdd64,  // operands {addr, delta}; yields the previous u64
};

// Operators. Each works on the type of its operands (both the same; a shift count is u32)
// and comparisons yield u32 0/1; which types each takes: docs/ir.md §1.
enum class BinaryOp : std::uint8_t { Add, Sub, Mul, Div, Rem, And, Or, Xor, Shl, Shr, Eq, Ne, Lt, Le, Gt, Ge };
inline constexpr std::uint32_t BINARY_OP_COUNT = 16;

// The JSON / operator spelling: "+", "<<", ">=", ...
std::string_view to_string(BinaryOp op) noexcept;

// Named operations (JSON key = builder name = to_string). Arity and types: docs/ir.md.
enum class Func : std::uint8_t {
  Neg,         // u32, i32, u64: wrapping negation; f32: sign flip
  Abs,         // i32 (abs(INT_MIN) = INT_MIN), f32
  Min,         // any type, both operands the same
  Max,         // any type, both operands the same
  MulHi,       // u32, i32, u64: high half of the double-width product
  MulWide,     // u32 x u32 -> u64 full product
  Sqrt,        // f32, correctly rounded
  Floor,       // f32
  Ceil,        // f32
  Round,       // f32, to nearest, ties to even
  Fma,         // f32 a * b + c, one rounding
  F32FromU32,  // value conversions, round to nearest even
  F32FromI32,
  U32FromF32,  // truncate toward zero, saturate, NaN -> 0
  I32FromF32,
  F32FromBits,  // bit casts
  BitsFromF32,
  I32FromU32,
  U32FromI32,
  U64FromU32,    // zero-extend
  U64FromI32,    // sign-extend
  U64Lo,         // u64 -> low word
  U64Hi,         // u64 -> high word
  U64FromWords,  // (lo, hi) -> u64
};
inline constexpr std::uint32_t FUNC_COUNT = 24;

std::string_view to_string(Func func) noexcept;  // "neg", "f32_from_u32", ...
std::uint32_t func_arity(Func func) noexcept;    // 1, 2 or 3

struct ExprNode;

// An immutable expression value. Copies share the tree, so building stays cheap.
class Expr {
 public:
  // The constant 0. It allocates nothing: cuda::std::expected's move constructor
  // default-constructs its value before constructing over it, which would leak.
  Expr() noexcept = default;
  Expr(std::uint32_t constant);                                  // NOLINT: implicit, so `var("x") * 3` reads well
  explicit Expr(std::shared_ptr<const ExprNode> node) noexcept;  // null: the constant 0

  const ExprNode& node() const noexcept;
  const ExprNode* operator->() const noexcept { return &node(); }

 private:
  std::shared_ptr<const ExprNode> m_node;  // null stands for the constant 0
};

struct ExprNode {
  ExprKind kind = ExprKind::Const;
  BinaryOp op = BinaryOp::Add;  // Binary only
  Func func = Func::Neg;        // Call only
  Type type = Type::U32;        // Const only
  std::uint64_t value = 0;      // Const bits (zero-extended for 32-bit types) or Arg index
  std::string name;             // Var only
  std::vector<Expr> operands;   // see ExprKind
};

inline const ExprNode& Expr::node() const noexcept {
  static const ExprNode zero;
  return m_node ? *m_node : zero;
}

enum class StmtKind : std::uint8_t { Let, Set, Store, If, For, Printf, Result, Fault, Requeue, Store64 };

struct Stmt;
using Body = std::vector<Stmt>;

// One statement. Which fields mean something depends on `kind`:
//   Let/Set   name, exprs {value}; Let may declare its type (checked against the value)
//   Store     exprs {addr, value}
//   Store64   exprs {addr, value}: value is u64, written to words addr (low), addr + 1
//   If        exprs {cond}, then_body, else_body
//   For       name, exprs {from, to} (constants), then_body is the loop body
//   Printf    number = fmt_id, exprs = args
//   Result    exprs {value}
//   Fault     number = fault code
//   Requeue   -
struct Stmt {
  StmtKind kind = StmtKind::Requeue;
  std::string name;
  std::optional<Type> type;  // Let only: the declared type; unset: the value's type
  std::vector<Expr> exprs;
  std::uint32_t number = 0;
  Body then_body;
  Body else_body;
};

// ---------------------------------------------------------------------------
// Builder. `using namespace mk::ir;` then e.g.
//   Body b = body({let("x", arg(0) + arg(1)), store(arg(2), var("x") * 3), result(var("x"))});
Expr c(std::uint32_t value);
Expr c_i32(std::int32_t value);
Expr c_f32(float value);              // the float's bits, NaN payloads included
Expr c_f32_bits(std::uint32_t bits);  // an f32 constant given by its bit pattern
Expr c_u64(std::uint64_t value);
Expr constant(Type type, std::uint64_t bits);  // bits above a 32-bit type must be 0
Expr arg(std::uint32_t index);
Expr tenant();
Expr slot();
Expr var(std::string name);
Expr binary(BinaryOp op, Expr a, Expr b);
Expr lnot(Expr a);  // 1 when a == 0, else 0
Expr select(Expr cond, Expr then_value, Expr else_value);
Expr load(Expr addr);
Expr atomic_add(Expr addr, Expr delta);
Expr cas(Expr addr, Expr expected, Expr desired);
Expr eq(Expr a, Expr b);
Expr ne(Expr a, Expr b);
Expr lt(Expr a, Expr b);
Expr le(Expr a, Expr b);
Expr gt(Expr a, Expr b);
Expr ge(Expr a, Expr b);
Expr load64(Expr addr);
Expr atomic_add64(Expr addr, Expr delta);

// Named operations and conversions (docs/ir.md §1). Polymorphic ones take the type of
// their operands; none converts implicitly.
Expr call(Func func, std::vector<Expr> operands);
Expr neg(Expr a);
Expr abs(Expr a);
Expr min(Expr a, Expr b);
Expr max(Expr a, Expr b);
Expr mul_hi(Expr a, Expr b);
Expr mul_wide(Expr a, Expr b);
Expr sqrt(Expr a);
Expr floor(Expr a);
Expr ceil(Expr a);
Expr round(Expr a);
Expr fma(Expr a, Expr b, Expr c);
Expr f32_from_u32(Expr a);
Expr f32_from_i32(Expr a);
Expr u32_from_f32(Expr a);
Expr i32_from_f32(Expr a);
Expr f32_from_bits(Expr a);
Expr bits_from_f32(Expr a);
Expr i32_from_u32(Expr a);
Expr u32_from_i32(Expr a);
Expr u64_from_u32(Expr a);
Expr u64_from_i32(Expr a);
Expr u64_lo(Expr a);
Expr u64_hi(Expr a);
Expr u64_from_words(Expr lo, Expr hi);

// Operators build nodes; comparisons build 0/1-valued expressions, not bools, so
// compare trees with ir::equal. && and || are deliberately absent: they would lose
// short-circuiting; use select or & and | over 0/1 values.
Expr operator+(Expr a, Expr b);
Expr operator-(Expr a, Expr b);
Expr operator*(Expr a, Expr b);
Expr operator/(Expr a, Expr b);
Expr operator%(Expr a, Expr b);
Expr operator&(Expr a, Expr b);
Expr operator|(Expr a, Expr b);
Expr operator^(Expr a, Expr b);
Expr operator<<(Expr a, Expr b);
Expr operator>>(Expr a, Expr b);
Expr operator==(Expr a, Expr b);
Expr operator!=(Expr a, Expr b);
Expr operator<(Expr a, Expr b);
Expr operator<=(Expr a, Expr b);
Expr operator>(Expr a, Expr b);
Expr operator>=(Expr a, Expr b);
Expr operator!(Expr a);

Stmt let(std::string name, Expr value);
Stmt let(std::string name, Type type, Expr value);  // declared type, checked by the validator
Stmt set(std::string name, Expr value);
Stmt store(Expr addr, Expr value);
Stmt store64(Expr addr, Expr value);
Stmt if_(Expr cond, Body then_body, Body else_body = {});
Stmt for_(std::string name, Expr from, Expr to, Body loop_body);
Stmt printf(std::uint32_t fmt_id, std::vector<Expr> args = {});
Stmt result(Expr value);
Stmt fault(std::uint32_t code = abi::FAULT_USER_FAULT);
Stmt requeue();
Body body(std::initializer_list<Stmt> statements);

// Structural equality (same kinds, values, types, names and shapes). f32 constants compare
// by bits, so NaN equals the same NaN and -0 differs from +0.
bool equal(const Expr& a, const Expr& b);
bool equal(const Stmt& a, const Stmt& b);
bool equal(const Body& a, const Body& b);

// Expressions plus statements, counting at most `limit + 1` so huge trees stop early.
std::size_t count_nodes(const Body& body, std::size_t limit = MAX_BODY_NODES);

}  // namespace mk::ir

namespace mk {

struct OpcodeHandler {
  std::uint32_t opcode = 0;
  std::string name;
  ir::Body body;
};

namespace ir {

// JSON form (docs/ir.md). Errors are Malformed and name the JSON path, e.g.
// `body[3].value.a: unknown expression key "lod"`.
Result<Body> body_from_json(std::string_view text);
std::string body_to_json(const Body& body);
// An array of {"opcode": N, "name": "...", "body": [...]}; paths start at "opcodes".
Result<std::vector<OpcodeHandler>> handlers_from_json(std::string_view text);
std::string handlers_to_json(std::span<const OpcodeHandler> handlers);

// Everything a backend relies on before it compiles handlers: InvalidArgument naming
// the handler and node path, e.g. `opcode 4096 "saxpy" body[2].then[0]: variable "y"
// is not bound`. Handler k will take opcode-table index abi::FIRST_CUSTOM_INDEX + k.
Status validate_handlers(std::span<const OpcodeHandler> handlers);

}  // namespace ir
}  // namespace mk
