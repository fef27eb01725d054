// The validator's type checking: every ill-typed form is InvalidArgument naming the
// handler, the node path (the JSON keys) and a fix that names the conversion to use;
// mixed types never convert implicitly; variables keep the type of their let.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mk/ir.h"

namespace mk::ir {
namespace {

Status check(Body b) {
  const std::vector<OpcodeHandler> hs = {{4096, "typed", std::move(b)}};
  return validate_handlers(hs);
}

struct Failure {
  std::string message;
  std::string fix;
};

Failure failure(const Status& s) {
  EXPECT_FALSE(s.has_value());
  if (s) return {};
  EXPECT_EQ(s.error().kind(), ErrorKind::InvalidArgument);
  return {s.error().message(), s.error().fix()};
}

const std::string P = R"(opcode 4096 "typed" )";
Expr f() { return f32_from_bits(arg(0)); }
Expr i() { return i32_from_u32(arg(0)); }
Expr w() { return u64_from_u32(arg(0)); }

TEST(TypedValidate, AcceptsWellTypedBodies) {
  const Status s = check(body({
      let("x", Type::F32, f() * c_f32(2) + c_f32(1)),
      let("n", i() / c_i32(-3)),
      let("q", load64(0) + w() * c_u64(3)),
      set("x", sqrt(abs(var("x")))),
      store(2, bits_from_f32(var("x"))),
      store(3, u32_from_i32(var("n") >> 4)),
      store64(4, var("q") << 7),
      if_(var("x") < c_f32(1), {result(u64_hi(var("q")))}),
      result(select(var("n") == c_i32(0), u32_from_f32(var("x")), u64_lo(atomic_add64(6, var("q"))))),
  }));
  EXPECT_TRUE(s.has_value()) << s.error().what();
}

TEST(TypedValidate, MixedOperandsNameTheNodeAndTheConversion) {
  Failure e = failure(check(body({let("y", f() + arg(1))})));
  EXPECT_EQ(e.message, P + R"(body[0].value: operator "+" mixes f32 (a) and u32 (b))");
  EXPECT_EQ(e.fix,
            "convert one side so both have one type: wrap b with f32_from_u32 (its value) or f32_from_bits (its "
            "bit pattern), or a with u32_from_f32 (its value, truncated) or bits_from_f32 (its bit pattern)");
  e = failure(check(body({result(u32_from_i32(i() * arg(1)))})));
  EXPECT_EQ(e.message, P + R"(body[0].result.u32_from_i32: operator "*" mixes i32 (a) and u32 (b))");
  EXPECT_NE(e.fix.find("wrap b with i32_from_u32"), std::string::npos) << e.fix;
  e = failure(check(body({let("c", w() < arg(0))})));
  EXPECT_EQ(e.message, P + R"(body[0].value: operator "<" mixes u64 (a) and u32 (b))");
  EXPECT_NE(e.fix.find("u64_from_u32 (zero-extends)"), std::string::npos) << e.fix;
  e = failure(check(body({let("m", min(f(), c(1)))})));
  EXPECT_EQ(e.message, P + "body[0].value.min[1]: min mixes f32 and u32");
  EXPECT_NE(e.fix.find("f32_from_u32"), std::string::npos);
  e = failure(check(body({let("s", select(1, f(), i()))})));
  EXPECT_EQ(e.message, P + "body[0].value: select's branches differ: f32 and i32");
  EXPECT_EQ(e.fix, "convert one branch: wrap the second with f32_from_i32 (its value)");
}

TEST(TypedValidate, OperatorsAndCallsRefuseTypesTheyAreNotDefinedFor) {
  Failure e = failure(check(body({let("r", f() % f())})));
  EXPECT_EQ(e.message, P + R"(body[0].value: operator "%" is not defined for f32)");
  EXPECT_NE(e.fix.find("bits_from_f32"), std::string::npos);
  e = failure(check(body({let("r", f() & f())})));
  EXPECT_EQ(e.message, P + R"(body[0].value: operator "&" is not defined for f32)");
  e = failure(check(body({let("r", sqrt(arg(0)))})));
  EXPECT_EQ(e.message, P + "body[0].value.sqrt: sqrt's operand must be f32, got u32");
  EXPECT_EQ(e.fix, "wrap it with f32_from_u32 (its value) or f32_from_bits (its bit pattern)");
  e = failure(check(body({let("r", f32_from_u32(f()))})));
  EXPECT_EQ(e.message, P + "body[0].value.f32_from_u32: f32_from_u32 takes u32, got f32");
  EXPECT_EQ(e.fix, "the operand is f32 already: drop the f32_from_u32");
  e = failure(check(body({let("r", abs(arg(0)))})));
  EXPECT_EQ(e.message, P + "body[0].value.abs: abs is not defined for u32");
  e = failure(check(body({let("r", mul_hi(f(), f()))})));
  EXPECT_EQ(e.message, P + "body[0].value.mul_hi[0]: mul_hi is not defined for f32");
  e = failure(check(body({let("r", fma(f(), f(), arg(0)))})));
  EXPECT_EQ(e.message, P + "body[0].value.fma[2]: fma's operand 2 must be f32, got u32");
  e = failure(check(body({let("r", u64_from_words(arg(0), i()))})));
  EXPECT_EQ(e.message, P + "body[0].value.u64_from_words[1]: u64_from_words's operand 1 must be u32, got i32");
  EXPECT_EQ(e.fix, "wrap it with u32_from_i32 (same bits)");
  e = failure(check(body({let("r", i() << i())})));
  EXPECT_EQ(e.message, P + "body[0].value.b: a shift count must be u32, got i32");
  e = failure(check(body({let("r", !f())})));
  EXPECT_EQ(e.message, P + "body[0].value.not: not's operand must be u32, got f32");
  EXPECT_NE(e.fix.find("compare with a zero of its own type"), std::string::npos);
}

TEST(TypedValidate, WordPlacesTakeU32) {
  Failure e = failure(check(body({store(0, f())})));
  EXPECT_EQ(e.message, P + "body[0].value: a store value must be u32, got f32");
  EXPECT_EQ(e.fix, "wrap it with u32_from_f32 (its value, truncated) or bits_from_f32 (its bit pattern)");
  e = failure(check(body({store(0, w())})));
  EXPECT_EQ(e.message, P + "body[0].value: a store value must be u32, got u64");
  EXPECT_EQ(e.fix, "use store64 for a u64 value, or store u64_lo / u64_hi of it");
  e = failure(check(body({store(i(), 1)})));
  EXPECT_EQ(e.message, P + "body[0].store: an address must be u32, got i32");
  e = failure(check(body({store64(0, arg(1))})));
  EXPECT_EQ(e.message, P + "body[0].value: a store64 value must be u64, got u32");
  EXPECT_EQ(e.fix, "wrap it with u64_from_u32 (zero-extends) or u64_from_words(lo, hi)");
  e = failure(check(body({result(f())})));
  EXPECT_EQ(e.message, P + "body[0].result: a result must be u32, got f32");
  e = failure(check(body({if_(f(), {})})));
  EXPECT_EQ(e.message, P + "body[0].if: an if condition must be u32, got f32");
  e = failure(check(body({printf(1, {arg(0), i()})})));
  EXPECT_EQ(e.message, P + "body[0].args[1]: a printf argument must be u32, got i32");
  e = failure(check(body({result(load64(w()))})));
  EXPECT_EQ(e.message, P + "body[0].result.load64: an address must be u32, got u64");
  e = failure(check(body({result(u64_lo(atomic_add64(0, arg(1))))})));
  EXPECT_EQ(e.message, P + "body[0].result.u64_lo.atomic_add64[1]: an atomic_add64 delta must be u64, got u32");
  e = failure(check(body({result(atomic_add(0, w()))})));
  EXPECT_EQ(e.message, P + "body[0].result.atomic_add[1]: an atomic_add delta must be u32, got u64");
  e = failure(check(body({result(cas(0, i(), 1))})));
  EXPECT_EQ(e.message, P + "body[0].result.cas[1]: a cas expected value must be u32, got i32");
  e = failure(check(body({result(select(f(), 1, 2))})));
  EXPECT_EQ(e.message, P + "body[0].result.select[0]: a select condition must be u32, got f32");
}

TEST(TypedValidate, VariablesKeepTheTypeOfTheirLet) {
  Failure e = failure(check(body({let("x", f()), set("x", arg(0))})));
  EXPECT_EQ(e.message, P + R"(body[1].value: variable "x" is f32 but the value is u32)");
  EXPECT_NE(e.fix.find("a variable keeps the type of its let"), std::string::npos);
  e = failure(check(body({let("x", Type::I32, arg(0))})));
  EXPECT_EQ(e.message, P + R"(body[0].value: let "x" is declared i32 but its value is u32)");
  EXPECT_EQ(e.fix, "wrap the value with i32_from_u32 (same bits), or declare it u32");
  e = failure(check(body({let("x", i()), if_(1, {store(0, var("x"))})})));
  EXPECT_EQ(e.message, P + "body[1].then[0].value: a store value must be u32, got i32");
  // Sibling blocks may bind one name with different types.
  EXPECT_TRUE(check(body({if_(1, {let("t", f()), store(0, bits_from_f32(var("t")))},
                              {let("t", i()), store(0, u32_from_i32(var("t")))})}))
                  .has_value());
}

TEST(TypedValidate, LoopBoundsAreU32Constants) {
  Failure e = failure(check(body({for_("k", c_u64(0), 3, {})})));
  EXPECT_EQ(e.message, P + "body[0].from: loop bound is not a u32 constant");
  e = failure(check(body({for_("k", 0, c_i32(3), {})})));
  EXPECT_EQ(e.message, P + "body[0].to: loop bound is not a u32 constant");
  // The loop variable is u32.
  e = failure(check(body({for_("k", 0, 3, {store(0, bits_from_f32(var("k")))})})));
  EXPECT_EQ(e.message, P + "body[0].body[0].value.bits_from_f32: bits_from_f32 takes f32, got u32");
}

TEST(TypedValidate, HandBuiltNodesWithImpossibleTypesAreRejected) {
  auto node = std::make_shared<ExprNode>();
  node->kind = ExprKind::Const;
  node->type = Type::U32;
  node->value = 1ull << 32;
  Failure e = failure(check(body({result(Expr(node))})));
  EXPECT_EQ(e.message, P + "body[0].result: a u32 constant has bits above bit 31");
  auto bad_type = std::make_shared<ExprNode>();
  bad_type->kind = ExprKind::Const;
  bad_type->type = static_cast<Type>(9);
  e = failure(check(body({result(Expr(bad_type))})));
  EXPECT_EQ(e.message, P + "body[0].result: unknown constant type 9");
  auto bad_call = std::make_shared<ExprNode>();
  bad_call->kind = ExprKind::Call;
  bad_call->func = Func::Sqrt;
  e = failure(check(body({result(Expr(bad_call))})));
  EXPECT_EQ(e.message, P + "body[0].result: expression has 0 operands, expected 1");
  Stmt typed_store = store(0, 1);
  typed_store.type = Type::F32;
  e = failure(check(body({typed_store})));
  EXPECT_EQ(e.message, P + "body[0]: only a let declares a type");
}

}  // namespace
}  // namespace mk::ir
