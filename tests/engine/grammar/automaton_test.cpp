// The schema compiler and the byte automaton: which JSON texts are accepted.
#include <gtest/gtest.h>

#include "engine/grammar/grammar.h"

namespace edgenode::engine::grammar {
namespace {

using nlohmann::json;

// True when the automaton accepts `text` as a complete value.
bool accepts(const json& schema, const std::string& text) {
  auto grammar = JsonSchemaGrammar::compile(schema);
  EXPECT_TRUE(grammar.ok()) << grammar.error().message;
  if (!grammar.ok()) return false;
  const JsonAutomaton& a = grammar->automaton();
  AutomatonState s = a.initial();
  for (char c : text) {
    if (!a.feed(s, static_cast<uint8_t>(c))) return false;
  }
  return a.can_end(s);
}

TEST(JsonAutomaton, ObjectsWithRequiredAndOptionalProperties) {
  json schema = {{"type", "object"},
                 {"properties", {{"status", {{"enum", {"ok", "watch", "alarm"}}}}, {"reason", {{"type", "string"}}}}},
                 {"required", {"status"}}};
  EXPECT_TRUE(accepts(schema, R"({"status":"ok"})"));
  EXPECT_TRUE(accepts(schema, R"({"status": "watch", "reason": "hot"})"));
  EXPECT_TRUE(accepts(schema, R"({"reason":"x","status":"alarm"})"));
  EXPECT_FALSE(accepts(schema, R"({"reason":"x"})"));                 // required missing
  EXPECT_FALSE(accepts(schema, R"({"status":"bad"})"));               // not in the enum
  EXPECT_FALSE(accepts(schema, R"({"status":"ok","status":"ok"})"));  // repeated key
  EXPECT_FALSE(accepts(schema, R"({"status":"ok","other":1})"));      // undeclared key
  EXPECT_FALSE(accepts(schema, R"({ "status":"ok"})"));               // space only after : and ,
  EXPECT_FALSE(accepts(schema, R"({"status":  "ok"})"));              // at most one space
  EXPECT_FALSE(accepts(schema, R"({"status":"ok")"));                 // incomplete
}

TEST(JsonAutomaton, Numbers) {
  json number = {{"type", "number"}}, integer = {{"type", "integer"}};
  for (const char* ok : {"0", "-0", "12", "-3.25", "1e5", "2.5E-3", "123456789012345"}) EXPECT_TRUE(accepts(number, ok)) << ok;
  for (const char* bad : {"01", "-", "1.", ".5", "1e", "+1", "1234567890123456", "1.1234567890123456"}) {
    EXPECT_FALSE(accepts(number, bad)) << bad;
  }
  EXPECT_TRUE(accepts(integer, "-42"));
  EXPECT_FALSE(accepts(integer, "4.2"));
  EXPECT_FALSE(accepts(integer, "4e2"));
}

TEST(JsonAutomaton, StringsLengthsEscapesAndUtf8) {
  json s = {{"type", "string"}, {"minLength", 2}, {"maxLength", 4}};
  EXPECT_TRUE(accepts(s, R"("ab")"));
  EXPECT_TRUE(accepts(s, "\"\xC3\xA9t\xC3\xA9\""));  // "été": 3 characters, 5 bytes
  EXPECT_FALSE(accepts(s, R"("a")"));
  EXPECT_FALSE(accepts(s, R"("abcde")"));
  EXPECT_TRUE(accepts(s, R"("a\nb")"));
  EXPECT_TRUE(accepts(s, R"("\u00e9x")"));
  EXPECT_FALSE(accepts(s, R"("\ud800x")"));  // lone surrogate
  EXPECT_FALSE(accepts(s, R"("\qx")"));
  EXPECT_FALSE(accepts(s, "\"a\nb\""));      // raw control character
  EXPECT_FALSE(accepts(s, "\"a\xC3\""));     // truncated UTF-8
  EXPECT_FALSE(accepts(s, "\"\xC0\xAF\""));  // overlong encoding
}

TEST(JsonAutomaton, ArraysWithBounds) {
  json schema = {{"type", "array"}, {"items", {{"type", "integer"}}}, {"minItems", 1}, {"maxItems", 3}};
  EXPECT_TRUE(accepts(schema, "[1]"));
  EXPECT_TRUE(accepts(schema, "[1, 2,3]"));
  EXPECT_FALSE(accepts(schema, "[]"));
  EXPECT_FALSE(accepts(schema, "[1,2,3,4]"));
  EXPECT_FALSE(accepts(schema, "[1,]"));
  EXPECT_FALSE(accepts(schema, "[\"a\"]"));
}

TEST(JsonAutomaton, AnyOfTypeListsConstAndBooleans) {
  json schema = {{"anyOf", {{{"type", "string"}, {"maxLength", 2}}, {{"type", "null"}}, {{"const", 7}}}}};
  EXPECT_TRUE(accepts(schema, "\"ab\""));
  EXPECT_TRUE(accepts(schema, "null"));
  EXPECT_TRUE(accepts(schema, "7"));
  EXPECT_FALSE(accepts(schema, "8"));
  EXPECT_FALSE(accepts(schema, "nul"));
  json types = {{"type", {"boolean", "integer"}}};
  EXPECT_TRUE(accepts(types, "true"));
  EXPECT_TRUE(accepts(types, "12"));
  EXPECT_FALSE(accepts(types, "\"x\""));
  json numbers = {{"enum", {1, 12, 123}}};
  EXPECT_TRUE(accepts(numbers, "1"));
  EXPECT_TRUE(accepts(numbers, "12"));
  EXPECT_FALSE(accepts(numbers, "2"));
}

TEST(JsonAutomaton, DeepestAllowedSchemaCanBeCompleted) {
  json deep = {{"type", "integer"}};
  std::string text = "7";
  for (int i = 0; i < 29; ++i) {
    deep = {{"type", "array"}, {"items", deep}};
    text = "[" + text + "]";
  }
  EXPECT_TRUE(accepts(deep, text));
}

TEST(JsonAutomaton, FreeFormObjectsAndAnyValues) {
  json schema = {{"type", "object"}, {"additionalProperties", {{"type", "number"}}}};
  EXPECT_TRUE(accepts(schema, R"({"a":1,"b c":2.5})"));
  EXPECT_FALSE(accepts(schema, R"({"a":"x"})"));
  EXPECT_TRUE(accepts(json::object(), R"({"x":[1,{"y":null}],"z":"w"})"));
  EXPECT_TRUE(accepts(true, "[true, false]"));
  json closed = {{"type", "object"}, {"additionalProperties", false}};
  EXPECT_TRUE(accepts(closed, "{}"));
  EXPECT_FALSE(accepts(closed, R"({"a":1})"));
}

TEST(JsonSchemaGrammar, UnsupportedOrInvalidSchemasAreClearErrors) {
  auto bad = JsonSchemaGrammar::compile({{"type", "string"}, {"pattern", "^a"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "json schema #: unsupported keyword 'pattern'");
  bad = JsonSchemaGrammar::compile({{"type", "object"}, {"properties", {{"n", {{"type", "integre"}}}}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "json schema #/properties/n: unknown type 'integre'");
  bad = JsonSchemaGrammar::compile({{"anyOf", {{{"type", "object"}}, {{"type", "object"}}}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "json schema #/anyOf/1: anyOf/type with two object alternatives is not supported");
  bad = JsonSchemaGrammar::compile({{"type", "string"}, {"minLength", 5}, {"maxLength", 2}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "json schema #: minLength is greater than maxLength");
  json deep = {{"type", "integer"}};
  for (int i = 0; i < 40; ++i) deep = {{"type", "array"}, {"items", deep}};
  bad = JsonSchemaGrammar::compile(deep);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("nested deeper than 30"), std::string::npos) << bad.error().message;
  bad = JsonSchemaGrammar::compile(json::array());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "json schema #: a schema must be an object or a boolean");
}

}  // namespace
}  // namespace edgenode::engine::grammar
