// Validator: every rule rejects with InvalidArgument naming the handler and node path,
// and the boundary value on the good side is accepted.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mk/ir.h"

namespace mk::ir {
namespace {

Status check(Body b, std::uint32_t opcode = 4096, std::string name = "saxpy") {
  const std::vector<OpcodeHandler> hs = {{opcode, std::move(name), std::move(b)}};
  return validate_handlers(hs);
}

std::string error_of(const Status& s) {
  EXPECT_FALSE(s.has_value());
  if (s) return {};
  EXPECT_EQ(s.error().kind(), ErrorKind::InvalidArgument);
  EXPECT_FALSE(s.error().fix().empty());
  return s.error().message();
}

TEST(IrValidate, AcceptsAWellFormedBody) {
  const Status s = check(body({
      let("x", arg(0) + arg(11)),
      for_("i", 0, 65536, {if_(var("i") == var("x"), {set("x", var("x") + 1)})}),
      if_(1, {let("t", 1), store(var("t"), var("x"))}, {let("t", 2), printf(0x7FFFFFFF, {1, 2, 3, 4, 5})}),
      let("t", 3),  // sibling blocks ended: the name is free again
      fault(9),
      fault(1),
      requeue(),
      result(var("t")),
  }));
  EXPECT_TRUE(s.has_value()) << s.error().what();
  EXPECT_TRUE(validate_handlers({}).has_value());
}

TEST(IrValidate, UnboundVariableNamesThePath) {
  EXPECT_EQ(error_of(check(body({let("x", 1), result(0), if_(1, {set("x", var("y"))})}))),
            R"(opcode 4096 "saxpy" body[2].then[0].value: variable "y" is not bound)");
  EXPECT_EQ(error_of(check(body({result(load(var("a") + 1))}))),
            R"(opcode 4096 "saxpy" body[0].result.load.a: variable "a" is not bound)");
  EXPECT_EQ(error_of(check(body({let("x", var("x"))}))),
            R"(opcode 4096 "saxpy" body[0].value: variable "x" is not bound)");
  // A name ends with its block.
  EXPECT_EQ(error_of(check(body({if_(1, {let("x", 1)}), result(var("x"))}))),
            R"(opcode 4096 "saxpy" body[1].result: variable "x" is not bound)");
  EXPECT_EQ(error_of(check(body({for_("i", 0, 2, {}), result(var("i"))}))),
            R"(opcode 4096 "saxpy" body[1].result: variable "i" is not bound)");
  EXPECT_EQ(error_of(check(body({for_("i", 0, 1, {store(0, select(1, 2, cas(3, 4, var("q"))))})}))),
            R"(opcode 4096 "saxpy" body[0].body[0].value.select[2].cas[2]: variable "q" is not bound)");
  EXPECT_EQ(error_of(check(body({if_(0, {}, {printf(1, {1, atomic_add(var("w"), 1)})})}))),
            R"(opcode 4096 "saxpy" body[0].else[0].args[1].atomic_add[0]: variable "w" is not bound)");
}

TEST(IrValidate, SetNeedsABoundNonLoopVariable) {
  EXPECT_EQ(error_of(check(body({set("y", 1)}))),
            R"(opcode 4096 "saxpy" body[0]: set of variable "y", which is not bound)");
  EXPECT_EQ(error_of(check(body({for_("i", 0, 3, {set("i", 0)})}))),
            R"(opcode 4096 "saxpy" body[0].body[0]: variable "i" is a loop variable and cannot be set)");
}

TEST(IrValidate, NoRebindingOfAVisibleName) {
  EXPECT_EQ(error_of(check(body({let("x", 1), let("x", 2)}))),
            R"(opcode 4096 "saxpy" body[1]: variable "x" is already bound here)");
  EXPECT_EQ(error_of(check(body({let("x", 1), if_(1, {let("x", 2)})}))),
            R"(opcode 4096 "saxpy" body[1].then[0]: variable "x" is already bound here)");
  EXPECT_EQ(error_of(check(body({let("i", 1), for_("i", 0, 1, {})}))),
            R"(opcode 4096 "saxpy" body[1]: variable "i" is already bound here)");
  EXPECT_EQ(error_of(check(body({for_("i", 0, 1, {for_("i", 0, 1, {})})}))),
            R"(opcode 4096 "saxpy" body[0].body[0]: variable "i" is already bound here)");
  EXPECT_TRUE(check(body({for_("i", 0, 1, {let("x", 1)}), for_("i", 0, 1, {let("x", 1)})})).has_value());
}

TEST(IrValidate, NamesAreIdentifiers) {
  EXPECT_EQ(error_of(check(body({let("", 1)}))),
            R"(opcode 4096 "saxpy" body[0]: variable name "" is not an identifier)");
  EXPECT_EQ(error_of(check(body({let("1x", 1)}))),
            R"(opcode 4096 "saxpy" body[0]: variable name "1x" is not an identifier)");
  EXPECT_EQ(error_of(check(body({for_("a-b", 0, 1, {})}))),
            R"(opcode 4096 "saxpy" body[0]: variable name "a-b" is not an identifier)");
  EXPECT_TRUE(check(body({let(std::string(64, 'a'), 1), let("_x9", 2)})).has_value());
  EXPECT_FALSE(check(body({let(std::string(65, 'a'), 1)})).has_value());
}

TEST(IrValidate, ArgIndexBelow12) {
  EXPECT_EQ(error_of(check(body({result(arg(12))}))),
            R"(opcode 4096 "saxpy" body[0].result: argument index 12 is out of range)");
}

TEST(IrValidate, LoopBounds) {
  EXPECT_EQ(error_of(check(body({for_("i", arg(0), 4, {})}))),
            R"(opcode 4096 "saxpy" body[0].from: loop bound is not a constant)");
  EXPECT_EQ(error_of(check(body({let("n", 4), for_("i", 0, var("n"), {})}))),
            R"(opcode 4096 "saxpy" body[1].to: loop bound is not a constant)");
  EXPECT_EQ(error_of(check(body({for_("i", 5, 4, {})}))), R"(opcode 4096 "saxpy" body[0]: loop runs from 5 down to 4)");
  EXPECT_EQ(error_of(check(body({for_("i", 10, 65547, {})}))),
            R"(opcode 4096 "saxpy" body[0]: loop has 65537 iterations, at most 65536 are allowed)");
  EXPECT_TRUE(check(body({for_("i", 0xFFFFFFFFu - 65536, 0xFFFFFFFFu, {}), for_("j", 3, 3, {})})).has_value());
}

TEST(IrValidate, FaultCodes) {
  EXPECT_EQ(error_of(check(body({fault(0)}))), R"(opcode 4096 "saxpy" body[0]: fault code 0 is not a fault code)");
  EXPECT_EQ(error_of(check(body({if_(1, {fault(abi::FAULT_CODE_COUNT)})}))),
            R"(opcode 4096 "saxpy" body[0].then[0]: fault code 10 is not a fault code)");
}

TEST(IrValidate, PrintfLimits) {
  EXPECT_EQ(error_of(check(body({printf(1, {1, 2, 3, 4, 5, 6})}))),
            R"(opcode 4096 "saxpy" body[0]: printf has 6 arguments, at most 5 fit a record)");
  EXPECT_EQ(error_of(check(body({printf(0x80000000u)}))),
            R"(opcode 4096 "saxpy" body[0]: printf format id 2147483648 has the high bit set)");
}

TEST(IrValidate, NodeCountLimit) {
  Body big;
  for (std::uint32_t i = 0; i < MAX_BODY_NODES / 2; ++i) big.push_back(store(0, 0));  // 3 nodes each
  EXPECT_EQ(error_of(check(big)), R"(opcode 4096 "saxpy" body has more than 4096 nodes)");
  Body fits;
  for (std::uint32_t i = 0; i < MAX_BODY_NODES / 2; ++i) fits.push_back(result(0));  // 2 nodes each
  EXPECT_TRUE(check(fits).has_value());
}

TEST(IrValidate, DepthLimit) {
  Expr e = 1;
  for (int i = 0; i < 300; ++i) e = !e;
  const std::string message = error_of(check(body({result(e)})));
  EXPECT_EQ(message.rfind(R"(opcode 4096 "saxpy" body[0].result.not.not)", 0), 0u) << message;
  EXPECT_NE(message.find("nested deeper than 256 levels"), std::string::npos);
  Expr ok = 1;
  for (int i = 0; i < 250; ++i) ok = !ok;
  EXPECT_TRUE(check(body({result(ok)})).has_value());
}

TEST(IrValidate, HandBuiltNodesMustHaveTheirShape) {
  auto node = std::make_shared<ExprNode>();
  node->kind = ExprKind::Binary;
  node->operands = {Expr(1)};
  EXPECT_EQ(error_of(check(body({result(Expr(node))}))),
            R"(opcode 4096 "saxpy" body[0].result: expression has 1 operands, expected 2)");
  auto bad_op = std::make_shared<ExprNode>();
  bad_op->kind = ExprKind::Binary;
  bad_op->op = static_cast<BinaryOp>(16);
  bad_op->operands = {Expr(1), Expr(2)};
  EXPECT_EQ(error_of(check(body({result(Expr(bad_op))}))),
            R"(opcode 4096 "saxpy" body[0].result: unknown binary operator 16)");
  Stmt s = result(1);
  s.exprs.clear();
  EXPECT_EQ(error_of(check(body({s}))), R"(opcode 4096 "saxpy" body[0]: statement has 0 expressions, expected 1)");
  Stmt nested = store(1, 2);
  nested.then_body.push_back(requeue());
  EXPECT_EQ(error_of(check(body({nested}))),
            R"(opcode 4096 "saxpy" body[0]: only if and for statements carry nested blocks)");
}

TEST(IrValidate, OpcodeIdsAndNames) {
  for (std::uint32_t id : {0u, 7u, 0xFFF0u, 0xFFFDu, 0xFFFFu, 0x80000000u, 0xFFFFFFFFu})
    EXPECT_EQ(
        error_of(check({}, id, "x")),
        "opcode " + std::to_string(id) + R"( "x" uses a system opcode id (0..7, 0xFFF0..0xFFFF, or the high bit set))");
  for (std::uint32_t id : {8u, 255u, 0xFFEFu, 0x10000u, 0x7FFFFFFFu}) EXPECT_TRUE(check({}, id, "x").has_value()) << id;
  EXPECT_EQ(error_of(check({}, 4096, "")), "opcode 4096 (handler 0) has an empty name");

  const std::vector<OpcodeHandler> same_id = {{4096, "a", {}}, {4097, "b", {}}, {4096, "c", {}}};
  EXPECT_EQ(error_of(validate_handlers(same_id)), R"(opcode 4096 "c" reuses the id of handler 0 "a")");
  const std::vector<OpcodeHandler> same_name = {{4096, "a", {}}, {4097, "a", {}}};
  EXPECT_EQ(error_of(validate_handlers(same_name)), R"(opcode 4097 "a" reuses the name of handler 0 (opcode 4096))");
}

TEST(IrValidate, AtMost52Handlers) {
  std::vector<OpcodeHandler> hs;
  for (std::uint32_t k = 0; k < abi::MAX_CUSTOM_OPCODES; ++k) hs.push_back({100 + k, "op" + std::to_string(k), {}});
  EXPECT_TRUE(validate_handlers(hs).has_value());
  hs.push_back({999, "one_too_many", {}});
  EXPECT_EQ(error_of(validate_handlers(hs)), "53 custom opcodes; the opcode table holds at most 52");
}

TEST(IrValidate, ErrorsInLaterHandlersNameThatHandler) {
  const std::vector<OpcodeHandler> hs = {{4096, "ok", body({result(1)})}, {5000, "bad", body({result(var("z"))})}};
  EXPECT_EQ(error_of(validate_handlers(hs)), R"(opcode 5000 "bad" body[0].result: variable "z" is not bound)");
}

}  // namespace
}  // namespace mk::ir
