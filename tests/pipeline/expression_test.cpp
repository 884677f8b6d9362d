#include <gtest/gtest.h>

#include "pipeline/envelope.h"
#include "pipeline/expression.h"

namespace edgenode::pipeline {
namespace {

using nlohmann::json;

struct Message {
  json payload;
  std::string topic = "factory/m7/vibration";
  json levels = split_topic_levels(topic);
  ExprScope scope() const {
    ExprScope s;
    s.payload = &payload;
    s.topic = &topic;
    s.topic_levels = &levels;
    return s;
  }
};

json eval(const std::string& source, const json& payload = json::object()) {
  auto e = Expression::compile(source);
  EXPECT_TRUE(e.ok()) << source << ": " << (e.ok() ? "" : e.error().message);
  Message m{payload};
  auto v = e->evaluate(m.scope());
  EXPECT_TRUE(v.ok()) << source << ": " << (v.ok() ? "" : v.error().message);
  return v.ok() ? *v : json("<error>");
}

std::string eval_error(const std::string& source, const json& payload = json::object()) {
  auto e = Expression::compile(source);
  if (!e) return "compile: " + e.error().message;
  Message m{payload};
  auto v = e->evaluate(m.scope());
  return v.ok() ? "" : v.error().message;
}

TEST(Expression, FieldAccessAndComparisons) {
  const json p = {{"rms", 0.7}, {"a", {{"b", 3}}}, {"k-ey", "v"}, {"list", {1, 2, 3}}};
  EXPECT_EQ(eval("payload.rms > 0.5", p), true);
  EXPECT_EQ(eval("payload.a.b == 3", p), true);
  EXPECT_EQ(eval("payload[\"k-ey\"] == 'v'", p), true);
  EXPECT_EQ(eval("payload.list[2]", p), 3);
  EXPECT_EQ(eval("topic_levels[1]", p), "m7");
  EXPECT_EQ(eval("topic == 'factory/m7/vibration'", p), true);
  EXPECT_EQ(eval("payload.missing", p), nullptr);
  EXPECT_EQ(eval("payload.missing.deeper == null", p), true);
  EXPECT_EQ(eval("'abc' < 'abd'"), true);
}

TEST(Expression, LogicAndArithmetic) {
  const json p = {{"x", 4}, {"y", 1.5}};
  EXPECT_EQ(eval("payload.x > 3 and not (payload.y > 2)", p), true);
  EXPECT_EQ(eval("payload.x < 3 or payload.y == 1.5", p), true);
  EXPECT_EQ(eval("payload.x * 2 + 1", p), 9);
  EXPECT_EQ(eval("payload.x / 8", p), 0.5);
  EXPECT_EQ(eval("7 % 4"), 3);
  EXPECT_EQ(eval("-payload.x", p), -4);
  EXPECT_EQ(eval("1 + 2 * 3"), 7);
  EXPECT_EQ(eval("(1 + 2) * 3"), 9);
  EXPECT_EQ(eval("'a' + 'b'"), "ab");
  EXPECT_EQ(eval("9223372036854775807 + 1").is_number_float(), true);  // no wrap-around
  // Short-circuit: the right side is never evaluated.
  EXPECT_EQ(eval("false and payload.x > 'text'", p), false);
}

// Found by fuzz_expr (UBSan: negation of INT64_MIN). Payload integers at the edges of the
// JSON range must not overflow or wrap: they leave int64 for floating point.
TEST(Expression, IntegersAtTheEdgesOfTheJsonRange) {
  const json p = json::parse(R"({"min": -9223372036854775808, "umax": 18446744073709551615})");
  EXPECT_EQ(eval("-payload.min", p), 9223372036854775808.0);
  EXPECT_EQ(eval("abs(payload.umax)", p), 18446744073709551615.0);
  EXPECT_EQ(eval("payload.umax + 1", p), 18446744073709551616.0);
  EXPECT_EQ(eval("-payload.umax", p), -18446744073709551615.0);
  EXPECT_EQ(eval("payload.umax % 10", p), 6.0);  // fmod of 2^64, the nearest double
  EXPECT_EQ(eval("payload.umax > 0", p), true);
}

TEST(Expression, Functions) {
  const json p = {{"d", -2.5}, {"s", "hello"}, {"l", {1, 2}}};
  EXPECT_EQ(eval("abs(payload.d)", p), 2.5);
  EXPECT_EQ(eval("min(3, 1, 2)"), 1);
  EXPECT_EQ(eval("max(payload.d, 0)", p), 0);
  EXPECT_EQ(eval("len(payload.s) + len(payload.l)", p), 7);
  EXPECT_EQ(eval("exists(payload.s) and not exists(payload.nope)", p), true);
}

TEST(Expression, RuntimeErrorsNameTheProblem) {
  EXPECT_NE(eval_error("payload.t > 1").find("cannot compare null with number at column 11"), std::string::npos);
  EXPECT_NE(eval_error("1 / 0").find("division by zero"), std::string::npos);
  EXPECT_NE(eval_error("1 and true").find("'and' needs true or false, got number"), std::string::npos);
  EXPECT_NE(eval_error("len(3)").find("len() needs"), std::string::npos);
  EXPECT_NE(eval_error("'a' - 1").find("arithmetic needs numbers"), std::string::npos);
}

TEST(Expression, TestRequiresABoolean) {
  auto e = Expression::compile("payload.x");
  Message m{json{{"x", 1}}};
  auto r = e->test(m.scope());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not true or false"), std::string::npos);
}

TEST(Expression, SyntaxErrorsHaveOffsets) {
  struct Case {
    const char* source;
    int offset;
    const char* message;
  };
  const Case cases[] = {
      {"payload.x >", 11, "expected a value"},
      {"payload.x > > 1", 12, "expected a value"},
      {"paylod.x", 0, "did you mean 'payload'"},
      {"payload.x = 1", 10, "unexpected character '='"},
      {"abs(1, 2)", 0, "abs() takes one argument"},
      {"foo(1)", 0, "unknown function 'foo'"},
      {"'open", 0, "unterminated string"},
      {"(1 + 2", 6, "expected ')'"},
      {"1 < 2 < 3", 6, "comparisons do not chain"},
      {"payload.", 8, "expected a field name"},
  };
  for (const auto& c : cases) {
    int offset = -1;
    auto e = Expression::compile(c.source, &offset);
    ASSERT_FALSE(e.ok()) << c.source;
    EXPECT_EQ(offset, c.offset) << c.source;
    EXPECT_NE(e.error().message.find(c.message), std::string::npos) << c.source << ": " << e.error().message;
  }
}

TEST(Expression, NestingAndLengthAreBounded) {
  EXPECT_FALSE(Expression::compile(std::string(100000, '(')).ok());
  EXPECT_FALSE(Expression::compile(std::string(200, '(') + "1" + std::string(200, ')')).ok());
  EXPECT_TRUE(Expression::compile(std::string(20, '(') + "1" + std::string(20, ')')).ok());
  std::string nots;
  for (int i = 0; i < 500; ++i) nots += "not ";
  EXPECT_FALSE(Expression::compile(nots + "true").ok());
}

// Found by fuzz_expr (ASan: stack overflow in evaluation): a chain like 9-9-9-... of a
// thousand operators parses in a loop but evaluates one recursion per operator.
TEST(Expression, LongOperatorChainsAreBounded) {
  auto chain = [](const std::string& first, const std::string& link, int n) {
    std::string s = first;
    for (int i = 0; i < n; ++i) s += link;
    return s;
  };
  EXPECT_EQ(eval(chain("1", " - 1", 100)), -99);
  for (const auto& source : {chain("9", "-9", 1500), chain("payload", ".a", 1000), chain("payload", "[0]", 1000),
                             chain("true", " and true", 400)}) {
    int offset = -1;
    auto e = Expression::compile(source, &offset);
    ASSERT_FALSE(e.ok()) << source.substr(0, 40);
    EXPECT_NE(e.error().message.find("nested too deeply"), std::string::npos) << e.error().message;
  }
}

}  // namespace
}  // namespace edgenode::pipeline
