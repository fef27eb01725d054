// JSON form: every node parses to the builder's tree, the writer's form reads back,
// and every malformed input is a Malformed error naming its JSON path.
#include <gtest/gtest.h>

#include <string>

#include "mk/ir.h"
#include "json_util.h"
#include "mk/ir_json.h"

namespace mk::ir {
namespace {

using namespace json_test;

TEST(IrJson, EveryExpressionForm) {
  const Body b = parse_ok(R"([
    {"let": "a", "value": 5},
    {"let": "b", "value": {"const": 6}},
    {"let": "c", "value": {"arg": 11}},
    {"let": "d", "value": "tenant"},
    {"let": "e", "value": {"tenant": true}},
    {"let": "f", "value": "slot"},
    {"let": "g", "value": {"slot": true}},
    {"let": "h", "value": {"op": "<<", "a": {"var": "a"}, "b": 2}},
    {"let": "i", "value": {"not": {"var": "h"}}},
    {"let": "j", "value": {"select": [1, 2, 3]}},
    {"let": "k", "value": {"load": 4}},
    {"let": "l", "value": {"atomic_add": [4, 1]}},
    {"let": "m", "value": {"cas": [4, 1, 2]}}
  ])");
  const Body want = body({
      let("a", 5),
      let("b", 6),
      let("c", arg(11)),
      let("d", tenant()),
      let("e", tenant()),
      let("f", slot()),
      let("g", slot()),
      let("h", var("a") << 2),
      let("i", !var("h")),
      let("j", select(1, 2, 3)),
      let("k", load(4)),
      let("l", atomic_add(4, 1)),
      let("m", cas(4, 1, 2)),
  });
  EXPECT_TRUE(equal(b, want)) << body_to_json(b);
}

TEST(IrJson, EveryOperatorSpelling) {
  for (std::uint32_t i = 0; i < BINARY_OP_COUNT; ++i) {
    const auto op = static_cast<BinaryOp>(i);
    const std::string text = R"([{"result": {"op": ")" + std::string(to_string(op)) + R"(", "a": 1, "b": 2}}])";
    const Body b = parse_ok(text);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_TRUE(equal(b, body({result(binary(op, 1, 2))}))) << text;
  }
}

TEST(IrJson, EveryStatementForm) {
  const Body b = parse_ok(R"([
    {"let": "x", "value": 1},
    {"set": "x", "value": 2},
    {"store": 3, "value": {"var": "x"}},
    {"if": 1, "then": [{"requeue": true}]},
    {"if": 0, "then": [], "else": [{"fault": 7}]},
    {"for": "i", "from": 0, "to": 10, "body": [{"printf": 3, "args": [{"var": "i"}]}]},
    {"printf": 4},
    {"result": 9}
  ])");
  const Body want = body({
      let("x", 1),
      set("x", 2),
      store(3, var("x")),
      if_(1, {requeue()}),
      if_(0, {}, {fault(7)}),
      for_("i", 0, 10, {printf(3, {var("i")})}),
      printf(4),
      result(9),
  });
  EXPECT_TRUE(equal(b, want)) << body_to_json(b);
}

TEST(IrJson, WriterIsCanonical) {
  const Body b = body({let("x", arg(0) + 1), if_(var("x") > 2, {store(tenant(), slot())}), result(select(1, 2, 3))});
  EXPECT_EQ(body_to_json(b), R"([{"let":"x","value":{"op":"+","a":{"arg":0},"b":1}},)"
                             R"({"if":{"op":">","a":{"var":"x"},"b":2},"then":[{"store":"tenant","value":"slot"}]},)"
                             R"({"result":{"select":[1,2,3]}}])");
}

TEST(IrJson, BuilderBodyRoundTrips) {
  const Body b = body({
      let("acc", 0),
      for_("i", 2, 6, {set("acc", var("acc") + load(var("i")) * 3), if_(var("acc") >= 100, {requeue()}, {fault()})}),
      printf(12, {var("acc"), tenant(), slot(), cas(0, 1, 2), atomic_add(1, 0xFFFFFFFFu)}),
      store(arg(2), !var("acc")),
      result(var("acc") % 7),
  });
  const std::string text = body_to_json(b);
  const Body back = parse_ok(text);
  EXPECT_TRUE(equal(b, back));
  EXPECT_EQ(body_to_json(back), text);
}

TEST(IrJson, HandlersRoundTrip) {
  const std::vector<OpcodeHandler> hs = {{4096, "first", body({result(1)})}, {200, "second", body({fault(7)})}};
  const std::string text = handlers_to_json(hs);
  auto back = handlers_from_json(text);
  ASSERT_TRUE(back.has_value()) << back.error().what();
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[1].opcode, 200u);
  EXPECT_EQ((*back)[1].name, "second");
  EXPECT_TRUE(equal((*back)[0].body, hs[0].body));
  EXPECT_TRUE(equal((*back)[1].body, hs[1].body));
}

TEST(IrJson, ErrorNamesPathAndSuggestsKey) {
  auto hs = handlers_from_json(R"([
    {"opcode": 4096, "name": "a", "body": []},
    {"opcode": 4097, "name": "b", "body": []},
    {"opcode": 4098, "name": "c", "body": [{"result": 0}, {"result": 0}, {"result": 0},
      {"let": "x", "value": {"op": "+", "a": {"lod": 3}, "b": 1}}]}
  ])");
  ASSERT_FALSE(hs.has_value());
  EXPECT_EQ(hs.error().kind(), ErrorKind::Malformed);
  EXPECT_EQ(hs.error().message(), R"(opcodes[2].body[3].value.a: unknown expression key "lod")");
  EXPECT_NE(hs.error().fix().find(R"(did you mean "load"?)"), std::string::npos) << hs.error().fix();
}

TEST(IrJson, UnknownStatementKey) {
  EXPECT_EQ(parse_error(R"([{"reslt": 1}])"), R"(body[0]: unknown statement key "reslt")");
  auto b = body_from_json(R"([{"reslt": 1}])");
  EXPECT_NE(b.error().fix().find(R"(did you mean "result"?)"), std::string::npos);
}

TEST(IrJson, UnknownKeyInsideKnownNode) {
  EXPECT_EQ(parse_error(R"([{"let": "x", "value": 1, "vale": 2}])"), R"(body[0]: unknown key "vale" in a "let" node)");
  EXPECT_EQ(parse_error(R"([{"result": {"load": 1, "x": 2}}])"), R"(body[0].result: unknown key "x" in a "load" node)");
  EXPECT_EQ(parse_error(R"([{"result": {"op": "+", "a": 1, "b": 2, "c": 3}}])"),
            R"(body[0].result: unknown key "c" in a "op" node)");
}

TEST(IrJson, MissingKeys) {
  EXPECT_EQ(parse_error(R"([{"let": "x"}])"), R"(body[0]: a "let" node needs "value")");
  EXPECT_EQ(parse_error(R"([{"store": 1}])"), R"(body[0]: a "store" node needs "value")");
  EXPECT_EQ(parse_error(R"([{"if": 1}])"), R"(body[0]: a "if" node needs "then")");
  EXPECT_EQ(parse_error(R"([{"for": "i", "from": 0, "body": []}])"), R"(body[0]: a "for" node needs "to")");
  EXPECT_EQ(parse_error(R"([{"result": {"op": "+", "a": 1}}])"), R"(body[0].result: a "op" node needs "b")");
}

TEST(IrJson, TwoKindsInOneObject) {
  EXPECT_EQ(parse_error(R"([{"result": 1, "fault": 7}])"), R"(body[0]: statement has both "result" and "fault")");
  EXPECT_EQ(parse_error(R"([{"result": {"load": 1, "not": 2}}])"),
            R"(body[0].result: expression has both "not" and "load")");
  EXPECT_EQ(parse_error(R"([{}])"), R"(body[0]: empty statement object)");
  EXPECT_EQ(parse_error(R"([{"result": {}}])"), R"(body[0].result: empty expression object)");
}

TEST(IrJson, WrongTypes) {
  EXPECT_EQ(parse_error(R"({"result": 1})"), "body: expected a list of statements (array), got object");
  EXPECT_EQ(parse_error(R"([7])"), "body[0]: expected a statement (object), got number");
  EXPECT_EQ(parse_error(R"([{"let": 5, "value": 1}])"), "body[0].let: expected a variable name (string), got number");
  EXPECT_EQ(parse_error(R"([{"result": {"arg": "0"}}])"),
            "body[0].result.arg: expected an argument index (an unsigned 32-bit integer), got string");
  EXPECT_EQ(parse_error(R"([{"result": [1]}])"),
            R"(body[0].result: expected an expression (number, "tenant", "slot" or object), got array)");
  EXPECT_EQ(parse_error(R"([{"result": "x"}])"), R"(body[0].result: the string "x" is not an expression)");
  EXPECT_EQ(parse_error(R"([{"result": {"op": 3, "a": 1, "b": 2}}])"),
            "body[0].result.op: expected an operator string, got number");
  EXPECT_EQ(parse_error(R"([{"result": {"op": "**", "a": 1, "b": 2}}])"),
            R"(body[0].result.op: unknown operator "**")");
  EXPECT_EQ(parse_error(R"([{"result": {"var": 1}}])"),
            "body[0].result.var: expected a variable name (string), got number");
  EXPECT_EQ(parse_error(R"([{"result": {"tenant": false}}])"),
            R"(body[0].result.tenant: "tenant" must be true, got boolean)");
  EXPECT_EQ(parse_error(R"([{"requeue": 1}])"), R"(body[0].requeue: "requeue" must be true, got number)");
  EXPECT_EQ(parse_error(R"([{"if": 1, "then": {}}])"),
            "body[0].then: expected a list of statements (array), got object");
  EXPECT_EQ(parse_error(R"([{"printf": 1, "args": 2}])"), "body[0].args: expected an array of expressions, got number");
}

TEST(IrJson, FixedArityLists) {
  EXPECT_EQ(parse_error(R"([{"result": {"select": [1, 2]}}])"),
            "body[0].result.select: expected an array of 3 expressions, got an array of 2");
  EXPECT_EQ(parse_error(R"([{"result": {"atomic_add": 1}}])"),
            "body[0].result.atomic_add: expected an array of 2 expressions, got number");
  EXPECT_EQ(parse_error(R"([{"result": {"cas": [1, 2, {"lod": 1}]}}])"),
            R"(body[0].result.cas[2]: unknown expression key "lod")");
  EXPECT_EQ(parse_error(R"([{"printf": 1, "args": [1, 2, 3, 4, 5, 6]}])"),
            "body[0].args: printf takes at most 5 arguments, got 6");
}

TEST(IrJson, NumbersMustFit32BitsUnsigned) {
  EXPECT_TRUE(body_from_json(R"([{"result": 4294967295}])").has_value());
  EXPECT_EQ(parse_error(R"([{"result": 4294967296}])"), "body[0].result: a constant 4294967296 does not fit 32 bits");
  EXPECT_EQ(parse_error(R"([{"result": -1}])"),
            "body[0].result: expected a constant (an unsigned 32-bit integer), got the negative number -1");
  EXPECT_EQ(parse_error(R"([{"result": 1.5}])"),
            "body[0].result: expected a constant (an unsigned 32-bit integer), got the number 1.5");
  EXPECT_EQ(parse_error(R"([{"fault": 1e3}])"),
            "body[0].fault: expected a fault code (an unsigned 32-bit integer), got the number 1000.0");
  EXPECT_EQ(parse_error(R"([{"for": "i", "from": 0, "to": 99999999999, "body": []}])"),
            "body[0].to: a constant 99999999999 does not fit 32 bits");
}

TEST(IrJson, SyntaxErrorIsMalformed) {
  auto b = body_from_json(R"([{"result": 1])");
  ASSERT_FALSE(b.has_value());
  EXPECT_EQ(b.error().kind(), ErrorKind::Malformed);
  EXPECT_EQ(b.error().message().rfind("IR body is not valid JSON", 0), 0u) << b.error().message();
  auto h = handlers_from_json("");
  ASSERT_FALSE(h.has_value());
  EXPECT_EQ(h.error().message().rfind("opcode list is not valid JSON", 0), 0u);
}

TEST(IrJson, NestingIsBounded) {
  std::string deep = "[{\"result\": ";
  for (int i = 0; i < 400; ++i) deep += "{\"not\": ";
  deep += "1";
  for (int i = 0; i < 400; ++i) deep += "}";
  deep += "}]";
  const std::string message = parse_error(deep);
  EXPECT_NE(message.find("nested deeper than 256 levels"), std::string::npos) << message;
  EXPECT_EQ(message.rfind("body[0].result.not.not", 0), 0u);
}

TEST(IrJson, HandlerErrors) {
  auto err = [](std::string_view text) {
    auto h = handlers_from_json(text);
    EXPECT_FALSE(h.has_value()) << text;
    return h ? std::string() : h.error().message();
  };
  EXPECT_EQ(err(R"({"opcode": 1})"), "opcodes: expected an array of opcode handlers, got object");
  EXPECT_EQ(err(R"([3])"), "opcodes[0]: expected an opcode handler (object), got number");
  EXPECT_EQ(err(R"([{"opcode": 4096, "name": "x", "body": [], "bdy": 1}])"),
            R"(opcodes[0]: unknown opcode handler key "bdy")");
  EXPECT_EQ(err(R"([{"opcode": 4096, "body": []}])"), R"(opcodes[0]: missing "name")");
  EXPECT_EQ(err(R"([{"opcode": -4, "name": "x", "body": []}])"),
            "opcodes[0].opcode: expected an opcode id (an unsigned 32-bit integer), got the negative number -4");
  EXPECT_EQ(err(R"([{"opcode": 4096, "name": 7, "body": []}])"),
            "opcodes[0].name: expected the opcode name (string), got number");
  EXPECT_EQ(err(R"([{"opcode": 4096, "name": "x", "body": [{"fault": "7"}]}])"),
            "opcodes[0].body[0].fault: expected a fault code (an unsigned 32-bit integer), got string");
}

TEST(IrJson, NlohmannOverloadsUseTheCallersPath) {
  const nlohmann::json job = nlohmann::json::parse(R"({"opcodes": [{"opcode": 4096, "name": "x",
      "body": [{"result": {"op": "+", "a": {"arg": 0}, "b": {"lod": 1}}}]}]})");
  auto h = handler_from_json(job["opcodes"][0], "job.opcodes[0]");
  ASSERT_FALSE(h.has_value());
  EXPECT_EQ(h.error().message(), R"(job.opcodes[0].body[0].result.b: unknown expression key "lod")");

  // Documents built in code hold signed integers; they read like parsed ones.
  nlohmann::json built = nlohmann::json::array();
  built.push_back({{"result", {{"op", "+"}, {"a", 2}, {"b", {{"arg", 1}}}}}});
  auto b = body_from_json(built, "x.body");
  ASSERT_TRUE(b.has_value()) << b.error().what();
  EXPECT_TRUE(equal(*b, body({result(c(2) + arg(1))})));
  built.push_back({{"result", -3}});
  EXPECT_EQ(body_from_json(built, "x.body").error().message(),
            "x.body[1].result: expected a constant (an unsigned 32-bit integer), got the negative number -3");

  const OpcodeHandler handler{77, "n", body({result(1)})};
  auto back = handler_from_json(handler_to_json_value(handler), "h");
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->opcode, 77u);
  EXPECT_TRUE(equal(back->body, handler.body));
  auto back_body = body_from_json(body_to_json_value(handler.body), "b");
  ASSERT_TRUE(back_body.has_value());
  EXPECT_TRUE(equal(*back_body, handler.body));
}

TEST(IrJson, HostileKeysAreShortenedInMessages) {
  const std::string long_key(500, 'k');
  const std::string message = parse_error("[{\"" + long_key + "\": 1}]");
  EXPECT_LT(message.size(), 120u) << message;
  EXPECT_NE(message.find("...\""), std::string::npos);
}

}  // namespace
}  // namespace mk::ir

namespace mk::ir {
namespace {

// A key given twice would mean different bodies to readers that keep the first or the last.
TEST(IrJson, DuplicateKeysAreMalformed) {
  auto body = body_from_json(R"([{"store": 1, "value": 2, "value": 3}])");
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().kind(), ErrorKind::Malformed);
  EXPECT_NE(body.error().message().find("\"value\" twice"), std::string::npos) << body.error().message();
  auto handlers = handlers_from_json(R"([{"opcode": 4096, "opcode": 4097, "name": "a", "body": []}])");
  ASSERT_FALSE(handlers);
  EXPECT_NE(handlers.error().message().find("\"opcode\" twice"), std::string::npos) << handlers.error().message();
  EXPECT_TRUE(body_from_json(R"([{"store": 1, "value": {"op": "+", "a": 1, "b": 2}}, {"store": 2, "value": 1}])"));
}

}  // namespace
}  // namespace mk::ir
