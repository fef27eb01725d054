// Node path segments: the JSON key under which each child node is written.
#include "paths.h"

namespace mk::ir::detail {

std::string index_segment(std::size_t i) { return "[" + std::to_string(i) + "]"; }

std::string quote(std::string_view text) {
  constexpr std::size_t MAX = 40;
  std::string out = "\"";
  for (char ch : text.substr(0, MAX)) {
    const auto u = static_cast<unsigned char>(ch);
    out += (u < 0x20 || u == '"' || u == '\\' || u >= 0x7F) ? '?' : ch;
  }
  return out + (text.size() > MAX ? "...\"" : "\"");
}

std::string operand_segment(ExprKind kind, std::size_t i) {
  switch (kind) {
    case ExprKind::Binary:
      return i == 0 ? ".a" : ".b";
    case ExprKind::Not:
      return ".not";
    case ExprKind::Load:
      return ".load";
    case ExprKind::Select:
      return ".select" + index_segment(i);
    case ExprKind::AtomicAdd:
      return ".atomic_add" + index_segment(i);
    case ExprKind::Cas:
      return ".cas" + index_segment(i);
    case ExprKind::Load64:
      return ".load64";
    case ExprKind::AtomicAdd64:
      return ".atomic_add64" + index_segment(i);
    default:
      return index_segment(i);
  }
}

std::string operand_segment(const ExprNode& node, std::size_t i) {
  if (node.kind != ExprKind::Call) return operand_segment(node.kind, i);
  const std::string name = "." + std::string(to_string(node.func));
  return func_arity(node.func) == 1 ? name : name + index_segment(i);
}

std::string stmt_expr_segment(StmtKind kind, std::size_t i) {
  switch (kind) {
    case StmtKind::Let:
    case StmtKind::Set:
      return ".value";
    case StmtKind::Store:
      return i == 0 ? ".store" : ".value";
    case StmtKind::Store64:
      return i == 0 ? ".store64" : ".value";
    case StmtKind::If:
      return ".if";
    case StmtKind::For:
      return i == 0 ? ".from" : ".to";
    case StmtKind::Printf:
      return ".args" + index_segment(i);
    case StmtKind::Result:
      return ".result";
    default:
      return index_segment(i);
  }
}

std::string block_segment(StmtKind kind, bool else_branch) {
  if (kind == StmtKind::For) return ".body";
  return else_branch ? ".else" : ".then";
}

}  // namespace mk::ir::detail
