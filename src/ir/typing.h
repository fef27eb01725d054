// The IR's typing rules (docs/ir.md §1): which operand types each operator and named
// operation takes and what it yields. Shared by the validator, which explains a mismatch,
// and the back ends, which pick the typed instruction from the operand type.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "mk/ir.h"

namespace mk::ir::detail {

bool is_shift(BinaryOp op) noexcept;
bool is_comparison(BinaryOp op) noexcept;
// Operator `op` on operands of type `t` (a's type; b has it too, except that a shift
// count is always u32).
bool binary_defined(BinaryOp op, Type t) noexcept;
Type binary_result(BinaryOp op, Type t) noexcept;  // comparisons: u32

// A call whose first operand has type `first`: defined or not, the type its operand `i`
// must have, and the type it yields.
bool func_defined(Func func, Type first) noexcept;
Type func_operand(Func func, std::size_t i, Type first) noexcept;
Type func_result(Func func, Type first) noexcept;
// The one operand type a conversion or type-specific call takes (for messages), or the
// first operand's type for a polymorphic one.
bool func_is_polymorphic(Func func) noexcept;
Type func_input(Func func) noexcept;

// How to turn a `from` value into a `to` one, e.g. "f32_from_u32 (its value) or
// f32_from_bits (its bit pattern)".
std::string conversion(Type from, Type to);
// The operators and calls defined for `t`, for "not defined for" fixes.
std::string operations_of(Type t);

// The type of a validated expression; `var_type` gives each visible variable's type.
Type type_of(const Expr& e, const std::function<Type(const std::string&)>& var_type);

}  // namespace mk::ir::detail
