// IR -> JSON: the canonical form the reader accepts (u32 constants as bare numbers, typed
// ones as {"i32": ..}, {"f32": ..}, {"u64": ..}, "tenant"/"slot" as strings, "else" only
// when non-empty).
#include <cstring>

#include "mk/ir_json.h"

namespace mk::ir {

namespace {

// Hand-built nodes may have the wrong number of children; write what is missing as 0 so
// the writer never reads out of bounds (the validator reports such nodes).
const Expr& child(const std::vector<Expr>& exprs, std::size_t i) {
  static const Expr zero;
  return i < exprs.size() ? exprs[i] : zero;
}

// u32 constants are bare numbers; the typed ones name their type. An f32 is written as a
// number when it is finite (the shortest form nlohmann writes reads back to the same bits)
// and by its bit pattern otherwise, since JSON has no NaN or infinity.
template <class J>
J constant_json(const ExprNode& n) {
  const auto low = static_cast<std::uint32_t>(n.value);
  switch (n.type) {
    case Type::U32:
      return J(n.value);
    case Type::I32:
      return J{{"i32", static_cast<std::int32_t>(low)}};
    case Type::F32: {
      if ((low & 0x7F800000u) == 0x7F800000u) return J{{"f32_bits", low}};
      float f = 0;
      std::memcpy(&f, &low, sizeof f);
      return J{{"f32", static_cast<double>(f)}};
    }
    case Type::U64:
      return J{{"u64", n.value}};
  }
  return J(n.value);
}

// J is nlohmann::json (sorted keys) or nlohmann::ordered_json (keys in reading order).
template <class J>
J expr_json(const Expr& e) {
  const ExprNode& n = e.node();
  const auto& ops = n.operands;
  switch (n.kind) {
    case ExprKind::Const:
      return constant_json<J>(n);
    case ExprKind::Arg:
      return J{{"arg", n.value}};
    case ExprKind::Tenant:
      return J("tenant");
    case ExprKind::Slot:
      return J("slot");
    case ExprKind::Var:
      return J{{"var", n.name}};
    case ExprKind::Binary: {
      J out = J::object();
      out["op"] = std::string(to_string(n.op));
      out["a"] = expr_json<J>(child(ops, 0));
      out["b"] = expr_json<J>(child(ops, 1));
      return out;
    }
    case ExprKind::Not:
      return J{{"not", expr_json<J>(child(ops, 0))}};
    case ExprKind::Load:
      return J{{"load", expr_json<J>(child(ops, 0))}};
    case ExprKind::Load64:
      return J{{"load64", expr_json<J>(child(ops, 0))}};
    case ExprKind::AtomicAdd64: {
      J list = J::array();
      for (std::size_t i = 0; i < 2; ++i) list.push_back(expr_json<J>(child(ops, i)));
      J out = J::object();
      out["atomic_add64"] = std::move(list);
      return out;
    }
    case ExprKind::Call: {
      const std::string key(to_string(n.func));
      const std::size_t arity = func_arity(n.func);
      J out = J::object();
      if (arity == 1) {
        out[key] = expr_json<J>(child(ops, 0));
      } else {
        J list = J::array();
        for (std::size_t i = 0; i < arity; ++i) list.push_back(expr_json<J>(child(ops, i)));
        out[key] = std::move(list);
      }
      return out;
    }
    case ExprKind::Select:
    case ExprKind::AtomicAdd:
    case ExprKind::Cas: {
      const std::size_t arity = n.kind == ExprKind::AtomicAdd ? 2 : 3;
      J list = J::array();
      for (std::size_t i = 0; i < arity; ++i) list.push_back(expr_json<J>(child(ops, i)));
      const char* key = n.kind == ExprKind::Select ? "select" : n.kind == ExprKind::Cas ? "cas" : "atomic_add";
      J out = J::object();
      out[key] = std::move(list);
      return out;
    }
  }
  return J(0);
}

template <class J>
J block_json(const Body& body);

template <class J>
J stmt_json(const Stmt& s) {
  J out = J::object();
  switch (s.kind) {
    case StmtKind::Let:
    case StmtKind::Set:
      out[s.kind == StmtKind::Let ? "let" : "set"] = s.name;
      if (s.kind == StmtKind::Let && s.type) out["type"] = std::string(to_string(*s.type));
      out["value"] = expr_json<J>(child(s.exprs, 0));
      break;
    case StmtKind::Store:
    case StmtKind::Store64:
      out[s.kind == StmtKind::Store ? "store" : "store64"] = expr_json<J>(child(s.exprs, 0));
      out["value"] = expr_json<J>(child(s.exprs, 1));
      break;
    case StmtKind::If:
      out["if"] = expr_json<J>(child(s.exprs, 0));
      out["then"] = block_json<J>(s.then_body);
      if (!s.else_body.empty()) out["else"] = block_json<J>(s.else_body);
      break;
    case StmtKind::For:
      out["for"] = s.name;
      out["from"] = expr_json<J>(child(s.exprs, 0));
      out["to"] = expr_json<J>(child(s.exprs, 1));
      out["body"] = block_json<J>(s.then_body);
      break;
    case StmtKind::Printf: {
      out["printf"] = s.number;
      J args = J::array();
      for (const Expr& e : s.exprs) args.push_back(expr_json<J>(e));
      out["args"] = std::move(args);
      break;
    }
    case StmtKind::Result:
      out["result"] = expr_json<J>(child(s.exprs, 0));
      break;
    case StmtKind::Fault:
      out["fault"] = s.number;
      break;
    case StmtKind::Requeue:
      out["requeue"] = true;
      break;
  }
  return out;
}

template <class J>
J block_json(const Body& body) {
  J out = J::array();
  for (const Stmt& s : body) out.push_back(stmt_json<J>(s));
  return out;
}

template <class J>
J handler_json(const OpcodeHandler& h) {
  J out = J::object();
  out["opcode"] = h.opcode;
  out["name"] = h.name;
  out["body"] = block_json<J>(h.body);
  return out;
}

// Names come from users and may hold invalid UTF-8; replace rather than throw.
template <class J>
std::string dump(const J& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

nlohmann::json body_to_json_value(const Body& body) { return block_json<nlohmann::json>(body); }
nlohmann::json handler_to_json_value(const OpcodeHandler& h) { return handler_json<nlohmann::json>(h); }

std::string body_to_json(const Body& body) { return dump(block_json<nlohmann::ordered_json>(body)); }

std::string handlers_to_json(std::span<const OpcodeHandler> handlers) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const OpcodeHandler& h : handlers) out.push_back(handler_json<nlohmann::ordered_json>(h));
  return dump(out);
}

}  // namespace mk::ir
