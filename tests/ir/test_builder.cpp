// Builder: operators and statement helpers produce the documented node shapes.
#include <gtest/gtest.h>

#include "mk/ir.h"

namespace mk::ir {
namespace {

TEST(IrBuilder, OperatorsBuildBinaryNodesInOrder) {
  const Expr a = arg(0);
  const Expr b = arg(1);
  const std::vector<std::pair<Expr, BinaryOp>> cases = {
      {a + b, BinaryOp::Add},  {a - b, BinaryOp::Sub},  {a * b, BinaryOp::Mul}, {a / b, BinaryOp::Div},
      {a % b, BinaryOp::Rem},  {a & b, BinaryOp::And},  {a | b, BinaryOp::Or},  {a ^ b, BinaryOp::Xor},
      {a << b, BinaryOp::Shl}, {a >> b, BinaryOp::Shr}, {a == b, BinaryOp::Eq}, {a != b, BinaryOp::Ne},
      {a < b, BinaryOp::Lt},   {a <= b, BinaryOp::Le},  {a > b, BinaryOp::Gt},  {a >= b, BinaryOp::Ge},
  };
  for (const auto& [e, op] : cases) {
    ASSERT_EQ(e->kind, ExprKind::Binary) << to_string(op);
    EXPECT_EQ(e->op, op);
    ASSERT_EQ(e->operands.size(), 2u);
    EXPECT_EQ(e->operands[0]->value, 0u);
    EXPECT_EQ(e->operands[1]->value, 1u);
  }
  EXPECT_TRUE(equal(eq(a, b), a == b));
  EXPECT_TRUE(equal(ge(a, b), a >= b));
}

TEST(IrBuilder, IntegersBecomeConstants) {
  const Expr e = var("x") * 3;
  ASSERT_EQ(e->operands[1]->kind, ExprKind::Const);
  EXPECT_EQ(e->operands[1]->value, 3u);
  EXPECT_EQ(Expr()->kind, ExprKind::Const);
  EXPECT_EQ(Expr()->value, 0u);
  EXPECT_TRUE(equal(c(0xFFFFFFFFu), Expr(0xFFFFFFFFu)));
  EXPECT_EQ(Expr(nullptr)->kind, ExprKind::Const);  // never a null tree
}

TEST(IrBuilder, LeafAndMemoryExpressions) {
  EXPECT_EQ(tenant()->kind, ExprKind::Tenant);
  EXPECT_EQ(slot()->kind, ExprKind::Slot);
  EXPECT_EQ(var("q")->name, "q");
  EXPECT_EQ(arg(11)->value, 11u);
  EXPECT_EQ((!arg(0))->kind, ExprKind::Not);
  EXPECT_EQ(lnot(arg(0))->operands.size(), 1u);
  EXPECT_EQ(select(1, 2, 3)->operands.size(), 3u);
  EXPECT_EQ(select(1, 2, 3)->operands[2]->value, 3u);
  EXPECT_EQ(load(4)->kind, ExprKind::Load);
  EXPECT_EQ(atomic_add(4, 1)->operands.size(), 2u);
  EXPECT_EQ(cas(4, 1, 2)->operands.size(), 3u);
  EXPECT_EQ(cas(4, 1, 2)->kind, ExprKind::Cas);
}

TEST(IrBuilder, StatementsCarryTheirFields) {
  const Body b = body({
      let("x", 1),
      set("x", var("x") + 1),
      store(2, var("x")),
      if_(var("x"), {result(1)}, {result(2)}),
      for_("i", 0, 4, {printf(9, {var("i"), 7})}),
      fault(),
      fault(abi::FAULT_BAD_ARGS),
      requeue(),
  });
  ASSERT_EQ(b.size(), 8u);
  EXPECT_EQ(b[0].kind, StmtKind::Let);
  EXPECT_EQ(b[0].name, "x");
  EXPECT_EQ(b[1].kind, StmtKind::Set);
  EXPECT_EQ(b[2].kind, StmtKind::Store);
  EXPECT_EQ(b[2].exprs.size(), 2u);
  EXPECT_EQ(b[3].then_body.size(), 1u);
  EXPECT_EQ(b[3].else_body.size(), 1u);
  EXPECT_EQ(b[4].kind, StmtKind::For);
  EXPECT_EQ(b[4].exprs[1]->value, 4u);
  EXPECT_EQ(b[4].then_body[0].number, 9u);
  EXPECT_EQ(b[4].then_body[0].exprs.size(), 2u);
  EXPECT_EQ(b[5].number, abi::FAULT_USER_FAULT);
  EXPECT_EQ(b[6].number, abi::FAULT_BAD_ARGS);
  EXPECT_EQ(b[7].kind, StmtKind::Requeue);
}

TEST(IrBuilder, EqualComparesStructure) {
  const Body base = body({let("x", arg(0) + 1), if_(var("x") < 3, {result(var("x"))})});
  EXPECT_TRUE(equal(base, body({let("x", arg(0) + 1), if_(var("x") < 3, {result(var("x"))})})));
  EXPECT_FALSE(equal(base, body({let("x", arg(0) + 2), if_(var("x") < 3, {result(var("x"))})})));
  EXPECT_FALSE(equal(base, body({let("x", arg(0) - 1), if_(var("x") < 3, {result(var("x"))})})));
  EXPECT_FALSE(equal(base, body({let("y", arg(0) + 1), if_(var("x") < 3, {result(var("x"))})})));
  EXPECT_FALSE(equal(base, body({let("x", arg(0) + 1), if_(var("x") < 3, {result(var("x"))}, {requeue()})})));
  EXPECT_FALSE(equal(base, body({let("x", arg(0) + 1)})));
  EXPECT_FALSE(equal(body({fault(7)}), body({fault(8)})));
  EXPECT_FALSE(equal(body({printf(1)}), body({printf(2)})));
  EXPECT_FALSE(equal(body({for_("i", 0, 2, {})}), body({for_("i", 0, 3, {})})));
  EXPECT_FALSE(equal(tenant(), slot()));
  EXPECT_FALSE(equal(arg(1), c(1)));
}

TEST(IrBuilder, CountNodesCountsExpressionsAndStatements) {
  // let + binary + arg + const = 4; if + var + result + const = 4
  const Body b = body({let("x", arg(0) + 1), if_(var("x"), {result(7)})});
  EXPECT_EQ(count_nodes(b), 8u);
  EXPECT_EQ(count_nodes(b, 3), 4u);  // stops one past the limit
  EXPECT_EQ(count_nodes(Body{}), 0u);
}

}  // namespace
}  // namespace mk::ir
