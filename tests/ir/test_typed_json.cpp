// The typed IR's JSON form: every typed constant, named operation, 64-bit memory form and
// typed let parses to the builder's tree and is written back in its documented spelling;
// f32 constants keep their exact bits (NaN payloads, -0, ±inf, subnormals); malformed
// typed input is a Malformed error naming its JSON path.
#include <gtest/gtest.h>

#include <bit>
#include <string>

#include "mk/ir.h"
#include "json_util.h"
#include "mk/ir_json.h"

namespace mk::ir {
namespace {

using namespace json_test;

// One expression of every named operation, in Func order.
std::vector<Expr> every_call() {
  const Expr u = arg(0), i = i32_from_u32(arg(1)), f = f32_from_bits(arg(2)), w = u64_from_words(arg(3), arg(4));
  return {neg(f),          abs(i),          min(w, w),       max(u, u),        mul_hi(i, i),     mul_wide(u, u),
          sqrt(f),         floor(f),        ceil(f),         round(f),         fma(f, f, f),     f32_from_u32(u),
          f32_from_i32(i), u32_from_f32(f), i32_from_f32(f), f32_from_bits(u), bits_from_f32(f), i32_from_u32(u),
          u32_from_i32(i), u64_from_u32(u), u64_from_i32(i), u64_lo(w),        u64_hi(w),        u64_from_words(u, u)};
}

TEST(TypedJson, EveryFormRoundTripsThroughTheWriter) {
  Body b;
  int k = 0;
  for (const Expr& e : every_call()) b.push_back(let("c" + std::to_string(k++), e));
  ASSERT_EQ(b.size(), FUNC_COUNT);
  for (std::uint32_t f = 0; f < FUNC_COUNT; ++f) EXPECT_EQ(b[f].exprs[0]->func, static_cast<Func>(f));
  const Body more = body({
      let("i", c_i32(-5)),
      let("f", Type::F32, c_f32(1.5f)),
      let("n", c_f32_bits(0x7FC12345u)),
      let("z", c_f32(-0.0f)),
      let("q", c_u64(0xFFFFFFFFFFFFFFFFull)),
      let("p", load64(6)),
      let("r", atomic_add64(8, var("q"))),
      store64(10, var("p") + var("r")),
      let("s", select(var("f") < c_f32(2), var("f"), neg(var("f")))),
      result(u32_from_i32(var("i") >> 3)),
  });
  b.insert(b.end(), more.begin(), more.end());
  ASSERT_TRUE(validate_handlers(std::vector<OpcodeHandler>{{4096, "all", b}}).has_value());
  const std::string text = body_to_json(b);
  auto back = body_from_json(text);
  ASSERT_TRUE(back.has_value()) << back.error().what();
  EXPECT_TRUE(equal(*back, b)) << text;
  EXPECT_EQ(body_to_json(*back), text);
}

TEST(TypedJson, TheWriterSpellsEachForm) {
  EXPECT_EQ(body_to_json(body({let("a", Type::I32, c_i32(-7)), store64(2, c_u64(1ull << 40)),
                               result(u32_from_f32(fma(c_f32(0.5f), c_f32(2), c_f32_bits(0x7F800000u))))})),
            R"([{"let":"a","type":"i32","value":{"i32":-7}},)"
            R"({"store64":2,"value":{"u64":1099511627776}},)"
            R"({"result":{"u32_from_f32":{"fma":[{"f32":0.5},{"f32":2.0},{"f32_bits":2139095040}]}}}])");
  EXPECT_EQ(body_to_json(body({result(u64_lo(atomic_add64(0, mul_wide(arg(0), arg(1)))) + u64_hi(load64(2)))})),
            R"([{"result":{"op":"+","a":{"u64_lo":{"atomic_add64":[0,{"mul_wide":[{"arg":0},{"arg":1}]}]}},)"
            R"("b":{"u64_hi":{"load64":2}}}}])");
}

TEST(TypedJson, HandWrittenFormsParseToTheBuildersTree) {
  const Body b = parse_ok(R"([
    {"let": "a", "value": {"i32": -2147483648}},
    {"let": "b", "type": "f32", "value": {"f32": -2.5e-3}},
    {"let": "c", "value": {"f32": 3}},
    {"let": "d", "value": {"f32_bits": 4286578688}},
    {"let": "e", "type": "u64", "value": {"u64": 18446744073709551615}},
    {"let": "g", "value": {"min": [{"var": "b"}, {"var": "c"}]}},
    {"let": "h", "value": {"sqrt": {"abs": {"var": "b"}}}},
    {"let": "j", "value": {"u64_from_words": [1, {"arg": 2}]}},
    {"store64": 4, "value": {"op": "*", "a": {"var": "e"}, "b": {"var": "j"}}},
    {"let": "k", "value": {"atomic_add64": [6, {"load64": 4}]}},
    {"result": {"u32_from_i32": {"op": ">>", "a": {"var": "a"}, "b": 1}}}
  ])");
  const Body want = body({
      let("a", c_i32(-2147483647 - 1)),
      let("b", Type::F32, c_f32(-2.5e-3f)),
      let("c", c_f32(3.0f)),
      let("d", c_f32_bits(0xFF800000u)),
      let("e", Type::U64, c_u64(~0ull)),
      let("g", min(var("b"), var("c"))),
      let("h", sqrt(abs(var("b")))),
      let("j", u64_from_words(1, arg(2))),
      store64(4, var("e") * var("j")),
      let("k", atomic_add64(6, load64(4))),
      result(u32_from_i32(var("a") >> 1)),
  });
  EXPECT_TRUE(equal(b, want)) << body_to_json(b);
  EXPECT_TRUE(validate_handlers(std::vector<OpcodeHandler>{{4096, "x", b}}).has_value());
}

TEST(TypedJson, F32ConstantsKeepTheirBits) {
  for (std::uint32_t bits : {0x00000000u, 0x80000000u, 0x00000001u, 0x807FFFFFu, 0x7F7FFFFFu, 0xFF7FFFFFu, 0x3DCCCCCDu,
                             0x7F800000u, 0xFF800000u, 0x7FC00000u, 0xFFC00001u, 0x7F800001u, 0x33800000u}) {
    const Body b = body({result(bits_from_f32(c_f32_bits(bits)))});
    const std::string text = body_to_json(b);
    const Body back = parse_ok(text);
    EXPECT_TRUE(equal(back, b)) << text;
    EXPECT_EQ(back[0].exprs[0]->operands[0]->value, bits) << text;
  }
  // A decimal is rounded to the nearest f32 (through double).
  EXPECT_EQ(parse_ok(R"([{"result": {"bits_from_f32": {"f32": 0.1}}}])")[0].exprs[0]->operands[0]->value,
            std::bit_cast<std::uint32_t>(0.1f));
  EXPECT_EQ(parse_ok(R"([{"result": {"bits_from_f32": {"f32": -0.0}}}])")[0].exprs[0]->operands[0]->value, 0x80000000u);
}

TEST(TypedJson, MalformedTypedInputNamesItsPath) {
  EXPECT_EQ(parse_error(R"([{"result": {"f32": "1.5"}}])"),
            "body[0].result.f32: expected an f32 constant (a number), got string");
  EXPECT_EQ(parse_error(R"([{"result": {"f32": 1e39}}])"),
            "body[0].result.f32: f32 constant 1e+39 is beyond the largest finite f32 (3.4028235e38)");
  EXPECT_EQ(parse_error(R"([{"result": {"i32": 2147483648}}])"),
            "body[0].result.i32: i32 constant 2147483648 does not fit 32 bits");
  EXPECT_EQ(parse_error(R"([{"result": {"i32": -2147483649}}])"),
            "body[0].result.i32: i32 constant -2147483649 does not fit 32 bits");
  EXPECT_EQ(parse_error(R"([{"result": {"i32": 1.5}}])"),
            "body[0].result.i32: expected an i32 constant (a whole number), got the number 1.5");
  EXPECT_EQ(parse_error(R"([{"result": {"u64": -1}}])"),
            "body[0].result.u64: expected a u64 constant (an unsigned 64-bit integer), got the negative number -1");
  EXPECT_EQ(parse_error(R"([{"result": {"f32_bits": 4294967296}}])"),
            "body[0].result.f32_bits: an f32 bit pattern 4294967296 does not fit 32 bits");
  EXPECT_EQ(parse_error(R"([{"let": "x", "type": "f64", "value": 1}])"),
            R"(body[0].type: expected a type name, got "f64")");
  EXPECT_EQ(parse_error(R"([{"let": "x", "type": 3, "value": 1}])"), "body[0].type: expected a type name, got number");
  EXPECT_EQ(parse_error(R"([{"set": "x", "type": "u32", "value": 1}])"),
            R"(body[0]: unknown key "type" in a "set" node)");
  EXPECT_EQ(parse_error(R"([{"result": {"min": 1}}])"),
            "body[0].result.min: expected an array of 2 expressions, got number");
  EXPECT_EQ(parse_error(R"([{"result": {"fma": [1, 2]}}])"),
            "body[0].result.fma: expected an array of 3 expressions, got an array of 2");
  EXPECT_EQ(parse_error(R"([{"result": {"sqrt": [1]}}])"),
            "body[0].result.sqrt: expected an expression (number, \"tenant\", \"slot\" or object), got array");
  EXPECT_EQ(parse_error(R"([{"result": {"u64_lo": {"load64": {"nope": 1}}}}])"),
            R"(body[0].result.u64_lo.load64: unknown expression key "nope")");
  EXPECT_EQ(parse_error(R"([{"store64": 1}])"), R"(body[0]: a "store64" node needs "value")");
  auto typo = body_from_json(R"([{"result": {"sqr": 1}}])");
  ASSERT_FALSE(typo.has_value());
  EXPECT_NE(typo.error().fix().find("did you mean \"sqrt\"?"), std::string::npos) << typo.error().fix();
}

TEST(TypedJson, TheDocsExampleValidates) {  // docs/ir.md §6
  const Body b = parse_ok(R"([{"let": "a", "type": "f32", "value": {"f32_from_bits": {"arg": 0}}},
 {"let": "r", "value": {"fma": [{"var": "a"}, {"f32_from_bits": {"load": 1}}, {"f32": 0.5}]}},
 {"store": 1, "value": {"bits_from_f32": {"var": "r"}}},
 {"let": "n", "value": {"atomic_add64": [2, {"u64_from_u32": {"u32_from_f32": {"var": "r"}}}]}},
 {"result": {"u64_lo": {"var": "n"}}}])");
  const Status s = validate_handlers(std::vector<OpcodeHandler>{{4096, "doc", b}});
  EXPECT_TRUE(s.has_value()) << s.error().what();
}

TEST(TypedJson, U32BodiesAreWrittenAsBefore) {
  // The typed IR adds keys only: a u32 body's JSON is unchanged (constants bare, no "type").
  EXPECT_EQ(body_to_json(body({let("x", arg(0) + 1), store(var("x"), 7), result(var("x"))})),
            R"([{"let":"x","value":{"op":"+","a":{"arg":0},"b":1}},{"store":{"var":"x"},"value":7},)"
            R"({"result":{"var":"x"}}])");
}

}  // namespace
}  // namespace mk::ir
