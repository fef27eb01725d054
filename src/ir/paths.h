// Node path segments shared by the JSON reader and the validator, so an error names a
// node the same way whichever of them found it (the segments are the JSON keys).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "mk/ir.h"

namespace mk::ir::detail {

// ".a", ".select[1]", ".load", ...: operand `i` of an expression of `kind`.
std::string operand_segment(ExprKind kind, std::size_t i);
// The same for a node, which also spells calls: ".sqrt", ".min[1]", ".fma[2]".
std::string operand_segment(const ExprNode& node, std::size_t i);
// ".value", ".store", ".store64", ".if", ".from", ".args[2]", ...: expression `i` of a statement.
std::string stmt_expr_segment(StmtKind kind, std::size_t i);
// ".then" / ".else" / ".body" (For): the nested block of a statement.
std::string block_segment(StmtKind kind, bool else_branch);
// "[3]"
std::string index_segment(std::size_t i);

// `"name"` in messages: quoted, control characters replaced, long text shortened, so
// a hostile name cannot flood or garble a message.
std::string quote(std::string_view text);

}  // namespace mk::ir::detail
