// JSON -> IR: a strict reader (u32 forms and the typed ones). Unknown keys, wrong types and out-of-range numbers are
// Malformed errors naming the JSON path and a fix; nesting is bounded so hostile input
// cannot exhaust the stack. Meaning (bound variables, limits) is the validator's job.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "mk/ir_json.h"
#include "paths.h"

namespace mk::ir {

namespace {

using nlohmann::json;

// Every key that names an expression: the u32 forms, typed constants, 64-bit memory and
// one key per named operation (to_string(Func), in Func order from index 17).
constexpr std::size_t FIRST_FUNC_KEY = 17;
constexpr std::array<std::string_view, FIRST_FUNC_KEY + FUNC_COUNT> EXPR_KEYS = {
    "const",        "arg",          "tenant",        "slot",          "var",           "op",
    "not",          "select",       "load",          "atomic_add",    "cas",           "i32",
    "f32",          "f32_bits",     "u64",           "load64",        "atomic_add64",  "neg",
    "abs",          "min",          "max",           "mul_hi",        "mul_wide",      "sqrt",
    "floor",        "ceil",         "round",         "fma",           "f32_from_u32",  "f32_from_i32",
    "u32_from_f32", "i32_from_f32", "f32_from_bits", "bits_from_f32", "i32_from_u32",  "u32_from_i32",
    "u64_from_u32", "u64_from_i32", "u64_lo",        "u64_hi",        "u64_from_words"};
constexpr std::array<std::string_view, 10> STMT_KEYS = {"let",    "set",    "store", "if",      "for",
                                                        "printf", "result", "fault", "requeue", "store64"};
constexpr std::array<std::string_view, TYPE_COUNT> TYPE_NAMES = {"u32", "i32", "f32", "u64"};

cuda::std::unexpected<Error> malformed(const std::string& path, const std::string& message, std::string fix) {
  return fail(ErrorKind::Malformed, path + ": " + message, std::move(fix));
}

template <std::size_t N>
std::string key_list(const std::array<std::string_view, N>& keys) {
  std::string out;
  for (std::string_view k : keys) out += (out.empty() ? "\"" : ", \"") + std::string(k) + "\"";
  return out;
}

// Levenshtein distance, for "did you mean" on a mistyped key.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

template <std::size_t N>
std::string unknown_key_fix(std::string_view key, const std::array<std::string_view, N>& keys) {
  std::string_view best;
  std::size_t best_distance = 3;
  // Long garbage keys cannot be typos and would make the distance table large.
  if (key.size() < 32) {
    for (std::string_view k : keys) {
      const std::size_t d = edit_distance(key, k);
      if (d < best_distance) best_distance = d, best = k;
    }
  }
  std::string fix = best.empty() ? "" : "did you mean \"" + std::string(best) + "\"? ";
  return fix + "use one of " + key_list(keys);
}

std::string describe(const json& j) {
  if (j.is_number_float()) return "the number " + j.dump();
  if (j.is_number_integer() && !j.is_number_unsigned() && j.get<std::int64_t>() < 0)
    return "the negative number " + j.dump();
  return std::string(j.type_name());
}

class Reader {
 public:
  Result<std::uint32_t> u32(const json& j, const std::string& path, std::string_view what) const {
    // Documents built in code hold signed integers; parsed text holds unsigned ones.
    if (j.is_number_integer() && (j.is_number_unsigned() || j.get<std::int64_t>() >= 0)) {
      const auto v = j.get<std::uint64_t>();
      if (v <= 0xFFFFFFFFull) return static_cast<std::uint32_t>(v);
      return malformed(path, std::string(what) + " " + j.dump() + " does not fit 32 bits",
                       "use a value in 0..4294967295");
    }
    return malformed(path, "expected " + std::string(what) + " (an unsigned 32-bit integer), got " + describe(j),
                     "write a whole number in 0..4294967295 without sign, fraction or exponent");
  }

  Result<std::uint64_t> u64(const json& j, const std::string& path) const {
    if (j.is_number_integer() && (j.is_number_unsigned() || j.get<std::int64_t>() >= 0)) return j.get<std::uint64_t>();
    return malformed(path, "expected a u64 constant (an unsigned 64-bit integer), got " + describe(j),
                     "write a whole number in 0..18446744073709551615 without sign, fraction or exponent");
  }

  Result<std::int32_t> i32(const json& j, const std::string& path) const {
    if (j.is_number_integer()) {
      const bool fits = j.is_number_unsigned()
                            ? j.get<std::uint64_t>() <= 0x7FFFFFFFull
                            : j.get<std::int64_t>() >= -2147483648ll && j.get<std::int64_t>() <= 2147483647ll;
      if (fits) return static_cast<std::int32_t>(j.get<std::int64_t>());
      return malformed(path, "i32 constant " + j.dump() + " does not fit 32 bits",
                       "use a value in -2147483648..2147483647");
    }
    return malformed(path, "expected an i32 constant (a whole number), got " + describe(j),
                     "write a whole number in -2147483648..2147483647 without fraction or exponent");
  }

  // A JSON number read as a double and rounded to the nearest f32 (ties to even). NaN and
  // infinities have no JSON spelling: they are written {"f32_bits": N}.
  Result<float> f32(const json& j, const std::string& path) const {
    if (!j.is_number())
      return malformed(path, "expected an f32 constant (a number), got " + describe(j),
                       "write a JSON number such as 1.5 or -2e-3; NaN and infinities are {\"f32_bits\": N}");
    const double d = j.get<double>();
    if (!(std::fabs(d) <= static_cast<double>(std::numeric_limits<float>::max())))
      return malformed(path, "f32 constant " + j.dump() + " is beyond the largest finite f32 (3.4028235e38)",
                       "write infinity as {\"f32_bits\": 2139095040} (0x7F800000) or its negative as "
                       "{\"f32_bits\": 4286578688}");
    return static_cast<float>(d);
  }

  Result<Type> type(const json& j, const std::string& path) const {
    if (j.is_string())
      for (std::uint32_t i = 0; i < TYPE_COUNT; ++i)
        if (j.get_ref<const std::string&>() == TYPE_NAMES[i]) return static_cast<Type>(i);
    return malformed(path,
                     "expected a type name, got " + (j.is_string() ? detail::quote(j.get<std::string>()) : describe(j)),
                     "use one of " + key_list(TYPE_NAMES));
  }

  Result<std::string> name(const json& j, const std::string& path) const {
    if (!j.is_string())
      return malformed(path, "expected a variable name (string), got " + describe(j),
                       "write the name as a JSON string, e.g. \"x\"");
    return j.get<std::string>();
  }

  Result<bool> flag_true(const json& j, const std::string& path, std::string_view key) const {
    if (j.is_boolean() && j.get<bool>()) return true;
    return malformed(path, "\"" + std::string(key) + "\" must be true, got " + describe(j),
                     "write {\"" + std::string(key) + "\": true}");
  }

  Result<Expr> expr(const json& j, const std::string& path, std::uint32_t depth) const {
    if (depth > MAX_DEPTH) return too_deep(path);
    if (j.is_number()) {
      auto value = u32(j, path, "a constant");
      if (!value) return cuda::std::unexpected<Error>(std::move(value.error()));
      return c(*value);
    }
    if (j.is_string()) {
      const auto& s = j.get_ref<const std::string&>();
      if (s == "tenant") return tenant();
      if (s == "slot") return slot();
      return malformed(
          path, "the string " + detail::quote(s) + " is not an expression",
          "write a variable as {\"var\": " + detail::quote(s) + "}; the only bare strings are \"tenant\" and \"slot\"");
    }
    if (!j.is_object())
      return malformed(path, "expected an expression (number, \"tenant\", \"slot\" or object), got " + describe(j),
                       "see docs/ir.md for the expression forms");
    auto kind = discriminator(j, path, EXPR_KEYS, "expression");
    if (!kind) return cuda::std::unexpected<Error>(std::move(kind.error()));
    const std::string_view key = *kind;
    const json& v = j.at(std::string(key));
    const std::string sub = path + "." + std::string(key);
    const std::uint32_t next = depth + 1;

    if (key == "op") {
      MK_TRY(only_keys(j, path, key, {"a", "b"}));
      MK_TRY(require(j, path, key, "a"));
      MK_TRY(require(j, path, key, "b"));
      if (!v.is_string())
        return malformed(sub, "expected an operator string, got " + describe(v), "use one of " + op_list());
      const auto& sym = v.get_ref<const std::string&>();
      for (std::uint32_t i = 0; i < BINARY_OP_COUNT; ++i) {
        const auto op = static_cast<BinaryOp>(i);
        if (sym != to_string(op)) continue;
        auto a = expr(j.at("a"), path + ".a", next);
        if (!a) return a;
        auto b = expr(j.at("b"), path + ".b", next);
        if (!b) return b;
        return binary(op, std::move(*a), std::move(*b));
      }
      return malformed(sub, "unknown operator " + detail::quote(sym), "use one of " + op_list());
    }
    MK_TRY(only_keys(j, path, key, {}));
    if (key == "const") {
      auto value = u32(v, sub, "a constant");
      if (!value) return cuda::std::unexpected<Error>(std::move(value.error()));
      return c(*value);
    }
    if (key == "arg") {
      auto index = u32(v, sub, "an argument index");
      if (!index) return cuda::std::unexpected<Error>(std::move(index.error()));
      return arg(*index);
    }
    if (key == "tenant" || key == "slot") {
      MK_TRY(flag_true(v, sub, key));
      return key == "tenant" ? tenant() : slot();
    }
    if (key == "var") {
      auto n = name(v, sub);
      if (!n) return cuda::std::unexpected<Error>(std::move(n.error()));
      return var(std::move(*n));
    }
    if (key == "i32") {
      auto value = i32(v, sub);
      if (!value) return cuda::std::unexpected<Error>(std::move(value.error()));
      return c_i32(*value);
    }
    if (key == "f32") {
      auto value = f32(v, sub);
      if (!value) return cuda::std::unexpected<Error>(std::move(value.error()));
      return c_f32(*value);
    }
    if (key == "f32_bits") {
      auto bits = u32(v, sub, "an f32 bit pattern");
      if (!bits) return cuda::std::unexpected<Error>(std::move(bits.error()));
      return c_f32_bits(*bits);
    }
    if (key == "u64") {
      auto value = u64(v, sub);
      if (!value) return cuda::std::unexpected<Error>(std::move(value.error()));
      return c_u64(*value);
    }
    if (key == "not" || key == "load" || key == "load64") {
      auto a = expr(v, sub, next);
      if (!a) return a;
      if (key == "not") return lnot(std::move(*a));
      return key == "load" ? load(std::move(*a)) : load64(std::move(*a));
    }
    const auto func = func_of(key);
    // A one-operand call takes its operand directly, like "not"; the rest take an array.
    if (func && func_arity(*func) == 1) {
      auto a = expr(v, sub, next);
      if (!a) return a;
      return call(*func, {std::move(*a)});
    }
    // select, atomic_add, atomic_add64, cas and the multi-operand calls: a fixed-length array.
    const std::size_t arity = func ? func_arity(*func) : key == "atomic_add" || key == "atomic_add64" ? 2 : 3;
    if (!v.is_array() || v.size() != arity)
      return malformed(sub,
                       "expected an array of " + std::to_string(arity) + " expressions, got " +
                           (v.is_array() ? "an array of " + std::to_string(v.size()) : describe(v)),
                       array_form(key));
    std::vector<Expr> operands;
    for (std::size_t i = 0; i < arity; ++i) {
      auto a = expr(v[i], sub + detail::index_segment(i), next);
      if (!a) return a;
      operands.push_back(std::move(*a));
    }
    if (func) return call(*func, std::move(operands));
    if (key == "select") return select(operands[0], operands[1], operands[2]);
    if (key == "atomic_add") return atomic_add(operands[0], operands[1]);
    if (key == "atomic_add64") return atomic_add64(operands[0], operands[1]);
    return cas(operands[0], operands[1], operands[2]);
  }

  Result<Body> block(const json& j, const std::string& path, std::uint32_t depth) const {
    if (depth > MAX_DEPTH) return too_deep(path);
    if (!j.is_array())
      return malformed(path, "expected a list of statements (array), got " + describe(j),
                       "write the body as a JSON array, e.g. [{\"result\": 0}]");
    Body out;
    out.reserve(j.size());
    for (std::size_t i = 0; i < j.size(); ++i) {
      auto s = stmt(j[i], path + detail::index_segment(i), depth + 1);
      if (!s) return cuda::std::unexpected<Error>(std::move(s.error()));
      out.push_back(std::move(*s));
    }
    return out;
  }

  Result<Stmt> stmt(const json& j, const std::string& path, std::uint32_t depth) const {
    if (depth > MAX_DEPTH) return too_deep(path);
    if (!j.is_object())
      return malformed(path, "expected a statement (object), got " + describe(j),
                       "write a statement such as {\"result\": 0}; see docs/ir.md");
    auto kind = discriminator(j, path, STMT_KEYS, "statement");
    if (!kind) return cuda::std::unexpected<Error>(std::move(kind.error()));
    const std::string_view key = *kind;
    const json& v = j.at(std::string(key));
    const std::string sub = path + "." + std::string(key);
    const std::uint32_t next = depth + 1;

    if (key == "let") {
      MK_TRY(only_keys(j, path, key, {"type", "value"}));
      MK_TRY(require(j, path, key, "value"));
      auto n = name(v, sub);
      if (!n) return cuda::std::unexpected<Error>(std::move(n.error()));
      std::optional<Type> declared;
      if (j.contains("type")) {
        auto t = type(j.at("type"), path + ".type");
        if (!t) return cuda::std::unexpected<Error>(std::move(t.error()));
        declared = *t;
      }
      auto value = expr(j.at("value"), path + ".value", next);
      if (!value) return cuda::std::unexpected<Error>(std::move(value.error()));
      Stmt s = let(std::move(*n), std::move(*value));
      s.type = declared;
      return s;
    }
    if (key == "set") {
      MK_TRY(only_keys(j, path, key, {"value"}));
      MK_TRY(require(j, path, key, "value"));
      auto n = name(v, sub);
      if (!n) return cuda::std::unexpected<Error>(std::move(n.error()));
      auto value = expr(j.at("value"), path + ".value", next);
      if (!value) return cuda::std::unexpected<Error>(std::move(value.error()));
      return set(std::move(*n), std::move(*value));
    }
    if (key == "store" || key == "store64") {
      MK_TRY(only_keys(j, path, key, {"value"}));
      MK_TRY(require(j, path, key, "value"));
      auto addr = expr(v, sub, next);
      if (!addr) return cuda::std::unexpected<Error>(std::move(addr.error()));
      auto value = expr(j.at("value"), path + ".value", next);
      if (!value) return cuda::std::unexpected<Error>(std::move(value.error()));
      return key == "store" ? store(std::move(*addr), std::move(*value)) : store64(std::move(*addr), std::move(*value));
    }
    if (key == "if") {
      MK_TRY(only_keys(j, path, key, {"then", "else"}));
      MK_TRY(require(j, path, key, "then"));
      auto cond = expr(v, sub, next);
      if (!cond) return cuda::std::unexpected<Error>(std::move(cond.error()));
      auto then_body = block(j.at("then"), path + ".then", next);
      if (!then_body) return cuda::std::unexpected<Error>(std::move(then_body.error()));
      Body else_body;
      if (j.contains("else")) {
        auto e = block(j.at("else"), path + ".else", next);
        if (!e) return cuda::std::unexpected<Error>(std::move(e.error()));
        else_body = std::move(*e);
      }
      return if_(std::move(*cond), std::move(*then_body), std::move(else_body));
    }
    if (key == "for") {
      MK_TRY(only_keys(j, path, key, {"from", "to", "body"}));
      MK_TRY(require(j, path, key, "from"));
      MK_TRY(require(j, path, key, "to"));
      MK_TRY(require(j, path, key, "body"));
      auto n = name(v, sub);
      if (!n) return cuda::std::unexpected<Error>(std::move(n.error()));
      // Bounds parse as expressions so that a non-constant bound gets the validator's
      // message, the same one a builder-made body gets.
      auto from = expr(j.at("from"), path + ".from", next);
      if (!from) return cuda::std::unexpected<Error>(std::move(from.error()));
      auto to = expr(j.at("to"), path + ".to", next);
      if (!to) return cuda::std::unexpected<Error>(std::move(to.error()));
      auto loop_body = block(j.at("body"), path + ".body", next);
      if (!loop_body) return cuda::std::unexpected<Error>(std::move(loop_body.error()));
      return for_(std::move(*n), std::move(*from), std::move(*to), std::move(*loop_body));
    }
    if (key == "printf") {
      MK_TRY(only_keys(j, path, key, {"args"}));
      auto fmt = u32(v, sub, "a format id");
      if (!fmt) return cuda::std::unexpected<Error>(std::move(fmt.error()));
      std::vector<Expr> args;
      if (j.contains("args")) {
        const json& a = j.at("args");
        if (!a.is_array())
          return malformed(path + ".args", "expected an array of expressions, got " + describe(a),
                           "write \"args\": [E, ...] with at most 5 expressions");
        if (a.size() > MAX_PRINTF_ARGS)
          return malformed(path + ".args", "printf takes at most 5 arguments, got " + std::to_string(a.size()),
                           "split the values over several printf statements");
        for (std::size_t i = 0; i < a.size(); ++i) {
          auto e = expr(a[i], path + ".args" + detail::index_segment(i), next);
          if (!e) return cuda::std::unexpected<Error>(std::move(e.error()));
          args.push_back(std::move(*e));
        }
      }
      return printf(*fmt, std::move(args));
    }
    MK_TRY(only_keys(j, path, key, {}));
    if (key == "result") {
      auto value = expr(v, sub, next);
      if (!value) return cuda::std::unexpected<Error>(std::move(value.error()));
      return result(std::move(*value));
    }
    if (key == "fault") {
      auto code = u32(v, sub, "a fault code");
      if (!code) return cuda::std::unexpected<Error>(std::move(code.error()));
      return fault(*code);
    }
    MK_TRY(flag_true(v, sub, key));
    return requeue();
  }

  Result<OpcodeHandler> handler(const json& j, const std::string& path) const {
    if (!j.is_object())
      return malformed(path, "expected an opcode handler (object), got " + describe(j),
                       "write {\"opcode\": 4096, \"name\": \"my_op\", \"body\": [...]}");
    constexpr std::array<std::string_view, 3> keys = {"opcode", "name", "body"};
    for (const auto& item : j.items()) {
      bool known = false;
      for (std::string_view k : keys) known = known || item.key() == k;
      if (!known)
        return malformed(path, "unknown opcode handler key " + detail::quote(item.key()),
                         unknown_key_fix(item.key(), keys));
    }
    for (std::string_view k : keys)
      if (!j.contains(std::string(k)))
        return malformed(path, "missing \"" + std::string(k) + "\"",
                         "write {\"opcode\": 4096, \"name\": \"my_op\", \"body\": [...]}");
    OpcodeHandler h;
    auto opcode = u32(j.at("opcode"), path + ".opcode", "an opcode id");
    if (!opcode) return cuda::std::unexpected<Error>(std::move(opcode.error()));
    h.opcode = *opcode;
    const json& n = j.at("name");
    if (!n.is_string())
      return malformed(path + ".name", "expected the opcode name (string), got " + describe(n),
                       "write \"name\": \"my_op\"");
    h.name = n.get<std::string>();
    auto b = block(j.at("body"), path + ".body", 0);
    if (!b) return cuda::std::unexpected<Error>(std::move(b.error()));
    h.body = std::move(*b);
    return h;
  }

 private:
  static cuda::std::unexpected<Error> too_deep(const std::string& path) {
    return malformed(path, "nested deeper than " + std::to_string(MAX_DEPTH) + " levels",
                     "flatten the body with let-bound variables");
  }

  static std::optional<Func> func_of(std::string_view key) {
    for (std::uint32_t i = 0; i < FUNC_COUNT; ++i)
      if (key == to_string(static_cast<Func>(i))) return static_cast<Func>(i);
    return std::nullopt;
  }

  static std::string array_form(std::string_view key) {
    if (key == "select") return "write {\"select\": [COND, THEN, ELSE]}";
    if (key == "atomic_add") return "write {\"atomic_add\": [ADDR, DELTA]}";
    if (key == "atomic_add64") return "write {\"atomic_add64\": [ADDR, DELTA]}";
    if (key == "cas") return "write {\"cas\": [ADDR, EXPECTED, DESIRED]}";
    if (key == "fma") return "write {\"fma\": [A, B, C]} (a * b + c)";
    if (key == "u64_from_words") return "write {\"u64_from_words\": [LO, HI]}";
    return "write {\"" + std::string(key) + "\": [A, B]}";
  }

  static std::string op_list() {
    std::string out;
    for (std::uint32_t i = 0; i < BINARY_OP_COUNT; ++i)
      out += (i ? ", \"" : "\"") + std::string(to_string(static_cast<BinaryOp>(i))) + "\"";
    return out;
  }

  // The one key that says what kind of node an object is.
  template <std::size_t N>
  static Result<std::string_view> discriminator(const json& j, const std::string& path,
                                                const std::array<std::string_view, N>& keys, std::string_view what) {
    std::string_view found;
    for (std::string_view k : keys) {
      if (!j.contains(std::string(k))) continue;
      if (!found.empty())
        return malformed(path,
                         std::string(what) + " has both \"" + std::string(found) + "\" and \"" + std::string(k) + "\"",
                         "write one " + std::string(what) + " per object");
      found = k;
    }
    if (!found.empty()) return found;
    if (j.empty()) return malformed(path, "empty " + std::string(what) + " object", "use one of " + key_list(keys));
    const std::string& first = j.begin().key();
    return malformed(path, "unknown " + std::string(what) + " key " + detail::quote(first),
                     unknown_key_fix(first, keys));
  }

  static Status only_keys(const json& j, const std::string& path, std::string_view kind,
                          std::initializer_list<std::string_view> extra) {
    for (const auto& item : j.items()) {
      if (item.key() == kind) continue;
      bool known = false;
      for (std::string_view k : extra) known = known || item.key() == k;
      if (known) continue;
      std::string allowed = "\"" + std::string(kind) + "\"";
      for (std::string_view k : extra) allowed += ", \"" + std::string(k) + "\"";
      return malformed(path, "unknown key " + detail::quote(item.key()) + " in a \"" + std::string(kind) + "\" node",
                       "a \"" + std::string(kind) + "\" node takes only " + allowed);
    }
    return {};
  }

  static Status require(const json& j, const std::string& path, std::string_view kind, std::string_view key) {
    if (j.contains(std::string(key))) return {};
    return malformed(path, "a \"" + std::string(kind) + "\" node needs \"" + std::string(key) + "\"",
                     "add \"" + std::string(key) + "\"; see docs/ir.md");
  }
};

// Parse strictly: a key that appears twice in one object is an error (JSON readers
// disagree on which one wins, so a body could mean different things to different tools).
Result<json> parse(std::string_view text, std::string_view what) {
  std::vector<std::set<std::string>> open_objects;
  std::optional<std::string> duplicate;
  const json::parser_callback_t strict = [&](int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        open_objects.emplace_back();
        break;
      case json::parse_event_t::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        break;
      case json::parse_event_t::key:
        if (!open_objects.empty() && !open_objects.back().insert(parsed.get<std::string>()).second && !duplicate)
          duplicate = parsed.get<std::string>();
        break;
      default:
        break;
    }
    return true;
  };
  try {
    json j = json::parse(text.begin(), text.end(), strict);
    if (duplicate)
      return fail(ErrorKind::Malformed,
                  std::string(what) + " has the key " + json(*duplicate).dump() + " twice in one object",
                  "keep one of them");
    return j;
  } catch (const json::exception& e) {
    return fail(ErrorKind::Malformed, std::string(what) + " is not valid JSON: " + e.what(),
                "fix the JSON syntax at the reported position");
  }
}

}  // namespace

Result<Body> body_from_json(const nlohmann::json& json, std::string_view path) {
  return Reader{}.block(json, std::string(path), 0);
}

Result<OpcodeHandler> handler_from_json(const nlohmann::json& json, std::string_view path) {
  return Reader{}.handler(json, std::string(path));
}

Result<Body> body_from_json(std::string_view text) {
  auto j = parse(text, "IR body");
  if (!j) return cuda::std::unexpected<Error>(std::move(j.error()));
  return body_from_json(*j, "body");
}

Result<std::vector<OpcodeHandler>> handlers_from_json(std::string_view text) {
  auto j = parse(text, "opcode list");
  if (!j) return cuda::std::unexpected<Error>(std::move(j.error()));
  if (!j->is_array())
    return malformed("opcodes", std::string("expected an array of opcode handlers, got ") + j->type_name(),
                     "write [{\"opcode\": 4096, \"name\": \"my_op\", \"body\": [...]}, ...]");
  std::vector<OpcodeHandler> out;
  out.reserve(j->size());
  for (std::size_t i = 0; i < j->size(); ++i) {
    auto h = handler_from_json((*j)[i], "opcodes" + detail::index_segment(i));
    if (!h) return cuda::std::unexpected<Error>(std::move(h.error()));
    out.push_back(std::move(*h));
  }
  return out;
}

}  // namespace mk::ir
