// Sandbox limits and error messages: a runaway or broken template is an error naming
// line:col, never a hang or a crash.
#include <gtest/gtest.h>

#include "engine/jinja/render_helper.h"

namespace edgenode::engine::jinja {
namespace {

using testing::render;

TEST(JinjaLimits, LoopIterationLimit) {
  Limits limits;
  limits.max_loop_iterations = 1000;
  std::string out = render("{% for i in range(10) %}{% for j in range(200) %}{% endfor %}{% endfor %}", nlohmann::json::object(), limits);
  EXPECT_EQ(out, "ERROR: template error at 1:42: loop iteration limit of 1000 exceeded");
  EXPECT_EQ(render("{% for i in range(100) %}{% endfor %}ok", nlohmann::json::object(), limits), "ok");
}

TEST(JinjaLimits, OutputLimit) {
  Limits limits;
  limits.max_output_bytes = 100;
  std::string out = render("{% for i in range(1000) %}xxxxxxxxxx{% endfor %}", nlohmann::json::object(), limits);
  EXPECT_EQ(out, "ERROR: template error at 1:27: output exceeds the limit of 100 bytes");
}

TEST(JinjaLimits, StringDoublingIsStopped) {
  Limits limits;
  limits.max_output_bytes = 1 << 16;
  std::string out = render("{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
                           nlohmann::json::object(), limits);
  EXPECT_NE(out.find("exceeds the output limit"), std::string::npos) << out;
}

TEST(JinjaLimits, MacroRecursionDepth) {
  std::string out = render("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");
  EXPECT_NE(out.find("macro recursion deeper than 64"), std::string::npos) << out;
}

TEST(JinjaLimits, CallBlockRecursionDepth) {
  std::string out = render("{% macro f() %}{% call f() %}x{% endcall %}{% endmacro %}{{ f() }}");
  EXPECT_NE(out.find("macro recursion deeper than 64"), std::string::npos) << out;
  out = render("{% macro f() %}{{ caller() }}{% endmacro %}{% macro g() %}{% call f() %}{{ g() }}{% endcall %}{% endmacro %}{{ g() }}");
  EXPECT_NE(out.find("macro recursion deeper than 64"), std::string::npos) << out;
}

TEST(JinjaLimits, ParserNestingDepth) {
  std::string deep(100000, '(');
  std::string out = render("{{ " + deep + "1 }}");
  EXPECT_NE(out.find("template nesting deeper than"), std::string::npos) << out.substr(0, 200);
  std::string blocks;
  for (int i = 0; i < 1000; ++i) blocks += "{% if true %}";
  out = render(blocks);
  EXPECT_NE(out.find("template nesting deeper than"), std::string::npos) << out.substr(0, 200);
}

TEST(JinjaLimits, NamespacesCannotFormCycles) {
  std::string out = render("{% set a = namespace() %}{% set b = namespace() %}{% set a.x = b %}");
  EXPECT_EQ(out, "ERROR: template error at 1:54: a namespace cannot be stored in a namespace");
}

TEST(JinjaErrors, SyntaxErrorsNameLineAndColumn) {
  EXPECT_EQ(render("ok\n{% if x %}\nno end"), "ERROR: template syntax error at 3:7: expected {% 'elif' or 'else' or 'endif' %}, got end of template");
  EXPECT_EQ(render("{{ 1 + }}"), "ERROR: template syntax error at 1:8: expected an expression, got '}}'");
  EXPECT_EQ(render("{% frobnicate %}"), "ERROR: template syntax error at 1:4: unknown or unsupported tag 'frobnicate'");
  EXPECT_EQ(render("{{ 'open"), "ERROR: template syntax error at 1:4: unterminated string literal");
  EXPECT_EQ(render("a {{ x"), "ERROR: template syntax error at 1:3: unterminated '{{'");
  EXPECT_EQ(render("{# never closed"), "ERROR: template syntax error at 1:1: unterminated comment");
}

TEST(JinjaErrors, RuntimeErrorsNameLineAndColumn) {
  EXPECT_EQ(render("{{ raise_exception('bad roles') }}"), "ERROR: template error at 1:19: template raised an exception: bad roles");
  EXPECT_EQ(render("\n {{ 1 / 0 }}"), "ERROR: template error at 2:7: division by zero");
  EXPECT_EQ(render("{{ 'a' - 1 }}"), "ERROR: template error at 1:8: unsupported operand types for -: string and integer");
  EXPECT_EQ(render("{{ nothing() }}"), "ERROR: template error at 1:11: 'nothing' is not callable (undefined)");
  EXPECT_EQ(render("{{ 1 is frob }}"), "ERROR: template error at 1:6: unknown test 'frob'");
}

TEST(JinjaErrors, ContextMustBeAnObject) {
  auto t = Template::compile("x");
  ASSERT_TRUE(t.ok());
  auto out = t->render(nlohmann::json::array());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message, "template context must be a JSON object");
}

TEST(JinjaTemplate, CompiledOnceRenderedMany) {
  auto t = Template::compile("{{ n * 2 }}");
  ASSERT_TRUE(t.ok());
  for (int n = 0; n < 3; ++n) {
    auto out = t->render(nlohmann::json{{"n", n}});
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(*out, std::to_string(n * 2));
  }
}

}  // namespace
}  // namespace edgenode::engine::jinja
