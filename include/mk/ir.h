// The custom-opcode IR (mk::ir): a small typed tree of u32 expressions and statements,
// its C++ builder, its JSON form and its validator. Semantics: docs/ir.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
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

enum class ExprKind : std::uint8_t {
  Const,  // value
  Arg,    // value = argument index
  Tenant,
  Slot,
  Var,        // name
  Binary,     // op, operands {a, b}
  Not,        // operands {a}
  Select,     // operands {cond, then, else}; only the chosen operand is evaluated
  Load,       // operands {addr}
  AtomicAdd,  // operands {addr, delta}; yields the previous value
  Cas,        // operands {addr, expected, desired}; yields the previous value
};

// Order matters: the evaluator maps these one to one onto its instructions.
enum class BinaryOp : std::uint8_t { Add, Sub, Mul, Div, Rem, And, Or, Xor, Shl, Shr, Eq, Ne, Lt, Le, Gt, Ge };
inline constexpr std::uint32_t BINARY_OP_COUNT = 16;

// The JSON / operator spelling: "+", "<<", ">=", ...
std::string_view to_string(BinaryOp op) noexcept;

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
  std::uint32_t value = 0;      // Const value or Arg index
  std::string name;             // Var only
  std::vector<Expr> operands;   // see ExprKind
};

inline const ExprNode& Expr::node() const noexcept {
  static const ExprNode zero;
  return m_node ? *m_node : zero;
}

enum class StmtKind : std::uint8_t { Let, Set, Store, If, For, Printf, Result, Fault, Requeue };

struct Stmt;
using Body = std::vector<Stmt>;

// One statement. Which fields mean something depends on `kind`:
//   Let/Set   name, exprs {value}
//   Store     exprs {addr, value}
//   If        exprs {cond}, then_body, else_body
//   For       name, exprs {from, to} (constants), then_body is the loop body
//   Printf    number = fmt_id, exprs = args
//   Result    exprs {value}
//   Fault     number = fault code
//   Requeue   -
struct Stmt {
  StmtKind kind = StmtKind::Requeue;
  std::string name;
  std::vector<Expr> exprs;
  std::uint32_t number = 0;
  Body then_body;
  Body else_body;
};

// ---------------------------------------------------------------------------
// Builder. `using namespace mk::ir;` then e.g.
//   Body b = body({let("x", arg(0) + arg(1)), store(arg(2), var("x") * 3), result(var("x"))});
Expr c(std::uint32_t value);
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
Stmt set(std::string name, Expr value);
Stmt store(Expr addr, Expr value);
Stmt if_(Expr cond, Body then_body, Body else_body = {});
Stmt for_(std::string name, Expr from, Expr to, Body loop_body);
Stmt printf(std::uint32_t fmt_id, std::vector<Expr> args = {});
Stmt result(Expr value);
Stmt fault(std::uint32_t code = abi::FAULT_USER_FAULT);
Stmt requeue();
Body body(std::initializer_list<Stmt> statements);

// Structural equality (same kinds, values, names and shapes).
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
