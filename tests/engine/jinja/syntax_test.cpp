// Statements, expressions and scoping of the Jinja subset.
#include <gtest/gtest.h>

#include "engine/jinja/render_helper.h"

namespace edgenode::engine::jinja {
namespace {

using testing::render;
using nlohmann::json;

TEST(JinjaSyntax, VariablesAttributesAndIndexes) {
  json ctx = {{"user", {{"name", "Ada"}, {"tags", {"a", "b", "c"}}}}, {"key", "name"}};
  EXPECT_EQ(render("{{ user.name }} {{ user['name'] }} {{ user[key] }}", ctx), "Ada Ada Ada");
  EXPECT_EQ(render("{{ user.tags[0] }}{{ user.tags[-1] }}{{ user.tags.1 }}", ctx), "acb");
  EXPECT_EQ(render("[{{ missing }}][{{ user.missing }}][{{ missing.deeper }}]", ctx), "[][][]");
}

TEST(JinjaSyntax, Slicing) {
  json ctx = {{"xs", {1, 2, 3, 4, 5}}, {"s", "héllo"}};
  EXPECT_EQ(render("{{ xs[1:3] }}|{{ xs[::-1] }}|{{ xs[:-2] }}|{{ xs[::2] }}", ctx), "[2, 3]|[5, 4, 3, 2, 1]|[1, 2, 3]|[1, 3, 5]");
  EXPECT_EQ(render("{{ s[::-1] }}|{{ s[1:3] }}|{{ s[-1] }}", ctx), "olléh|él|o");
}

TEST(JinjaSyntax, ArithmeticFollowsPython) {
  EXPECT_EQ(render("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 7 / 2 }} {{ 4 / 2 }}"),
            "3 -4 1 2 1024 3.5 2.0");
  EXPECT_EQ(render("{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ -2 + 5 }} {{ 1.5 + 1 }} {{ 'ab' * 3 }}"), "7 9 3 2.5 ababab");
  EXPECT_EQ(render("{{ 'a' ~ 1 ~ none ~ true }}"), "a1true");
  EXPECT_EQ(render("{{ 'a' + 'b' }} {{ [1] + [2] }}"), "ab [1, 2]");
  EXPECT_EQ(render("{{ -7.5 % 2 }} {{ 7.5 % -2 }} {{ 7.5 // 2 }}"), "0.5 -0.5 3.0");
  EXPECT_EQ(render("{{ 0.1 + 0.2 }} {{ 1e20 }} {{ 0.00001 }}"), "0.30000000000000004 100000000000000000000.0 0.00001");
}

TEST(JinjaSyntax, ComparisonsLogicAndMembership) {
  EXPECT_EQ(render("{{ 1 < 2 and 2 <= 2 and 3 > 2 and 2 >= 2 and 1 != 2 and 1 == 1.0 }}"), "true");
  EXPECT_EQ(render("{{ not 1 }} {{ not 0 }} {{ 0 or 'x' }} {{ 'y' and 'z' }} {{ '' or [] }}"), "false true x z []");
  EXPECT_EQ(render("{{ 'b' in 'abc' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 3 not in [1] }}"), "true true true true");
  EXPECT_EQ(render("{{ 'x' in missing }}"), "false");
  // An empty list or dict is false for `not` as for `if`; none == undefined holds, as with the
  // reference renderer's loose equality.
  EXPECT_EQ(render("{{ not [] }} {{ not {} }} {{ not [0] }} {{ not '' }} {{ 'T' if [] else 'F' }} {{ missing == none }}"),
            "true true false true F true");
}

TEST(JinjaSyntax, IfElifElseAndTernary) {
  const char* t = "{% if n > 1 %}many{% elif n == 1 %}one{% else %}none{% endif %}";
  EXPECT_EQ(render(t, {{"n", 3}}), "many");
  EXPECT_EQ(render(t, {{"n", 1}}), "one");
  EXPECT_EQ(render(t, {{"n", 0}}), "none");
  EXPECT_EQ(render("{{ 'yes' if flag else 'no' }}|{{ 'only' if flag }}", {{"flag", false}}), "no|");
}

TEST(JinjaSyntax, ForLoopVariables) {
  json ctx = {{"xs", {"a", "b", "c"}}};
  EXPECT_EQ(render("{% for x in xs %}{{ loop.index }}{{ loop.index0 }}{{ x }}{{ loop.revindex }}"
                   "{% if loop.first %}F{% endif %}{% if loop.last %}L{% endif %}{{ loop.length }};{% endfor %}",
                   ctx),
            "10a3F3;21b23;32c1L3;");
  EXPECT_EQ(render("{% for x in [] %}x{% else %}empty{% endfor %}"), "empty");
  EXPECT_EQ(render("{% for x in xs if x != 'b' %}{{ loop.index }}{{ x }}{% endfor %}", ctx), "1a2c");
  EXPECT_EQ(render("{% for x in xs|reverse %}{{ x }}{% endfor %}", ctx), "cba");
  EXPECT_EQ(render("{% for x in xs %}{% if x == 'b' %}{% continue %}{% endif %}{{ x }}{% endfor %}", ctx), "ac");
  EXPECT_EQ(render("{% for x in xs %}{% if x == 'b' %}{% break %}{% endif %}{{ x }}{% endfor %}", ctx), "a");
}

TEST(JinjaSyntax, ForTupleUnpackingAndDicts) {
  json ctx = {{"d", {{"a", 1}, {"b", 2}}}, {"pairs", {{1, 2}, {3, 4}}}};
  EXPECT_EQ(render("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", ctx), "a=1;b=2;");
  EXPECT_EQ(render("{% for k, v in d|items %}{{ k }}{{ v }}{% endfor %}", ctx), "a1b2");
  EXPECT_EQ(render("{% for (a, b) in pairs %}{{ a + b }},{% endfor %}", ctx), "3,7,");
  EXPECT_EQ(render("{% for k in d %}{{ k }}{% endfor %}", ctx), "ab");
}

TEST(JinjaSyntax, SetScopingAndNamespace) {
  EXPECT_EQ(render("{% set x = 1 %}{% for i in [1, 2] %}{% set x = i %}{% endfor %}{{ x }}"), "1");
  EXPECT_EQ(render("{% set ns = namespace(x=1) %}{% for i in [1, 2] %}{% set ns.x = ns.x + i %}{% endfor %}{{ ns.x }}"),
            "4");
  EXPECT_EQ(render("{% set a, b = [1, 2] %}{{ b }}{{ a }}"), "21");
  EXPECT_EQ(render("{% set block %}  in a block {% endset %}[{{ block | trim }}]"), "[in a block]");
  EXPECT_EQ(render("{% set x = 1 %}{% set x.y = 2 %}"),
            "ERROR: template error at 1:19: cannot set attribute 'y' on 'x': only a namespace() accepts it");
}

TEST(JinjaSyntax, MacrosWithDefaultsAndKeywords) {
  const char* t =
      "{% macro greet(name, greeting='Hello', punct='!') %}{{ greeting }}, {{ name }}{{ punct }}{% endmacro %}"
      "{{ greet('Ada') }} {{ greet('Bob', 'Hi') }} {{ greet('Cy', punct='?') }}";
  EXPECT_EQ(render(t), "Hello, Ada! Hi, Bob! Hello, Cy?");
  EXPECT_EQ(render("{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}"),
            "ERROR: template error at 1:42: macro 'm' takes 1 arguments, got 2");
}

// Expected outputs are @huggingface/jinja 0.5.11's.
TEST(JinjaSyntax, CallBlocks) {
  const nlohmann::json ctx = {{"xs", {1, 2, 3}},
                              {"messages", {{{"role", "user"}, {"content", "hi"}}, {{"role", "assistant"}, {"content", "yo"}}}},
                              {"name", "N"}};
  // caller() renders the block in the scope of the call (the loop variables here).
  EXPECT_EQ(render("{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}"
                   "{% for x in xs %}{% call wrap('b') %}{{ x }}-{{ loop.index }}{% endcall %}{% endfor %}",
                   ctx),
            "<b>1-1</b><b>2-2</b><b>3-3</b>");
  // Arguments of caller(), with defaults and keywords.
  EXPECT_EQ(render("{% macro each(items) %}{% for i in items %}{{ caller(i, loop.index) }}{% endfor %}{% endmacro %}"
                   "{% call(item, n) each(messages) %}[{{ n }}:{{ item.role }}={{ item.content }}]{% endcall %}",
                   ctx),
            "[1:user=hi][2:assistant=yo]");
  EXPECT_EQ(render("{% macro d() %}{{ caller() }}|{{ caller(7) }}|{{ caller(b=2) }}{% endmacro %}"
                   "{% call(a=1, b=0) d() %}{{ a }}{{ b }}{% endcall %}"),
            "10|70|12");
  // Nested call blocks; the block does not see the macro's locals, and its sets stay inside.
  EXPECT_EQ(render("{% macro outer() %}({{ caller() }}){% endmacro %}{% macro inner() %}[{{ caller() }}]{% endmacro %}"
                   "{% call outer() %}{% call inner() %}{{ name }}{% endcall %}{% endcall %}",
                   ctx),
            "([N])");
  EXPECT_EQ(render("{% macro m(x) %}{% set local = 'L' %}{{ x }}{{ caller() }}{% endmacro %}"
                   "{% macro host() %}{% set hv = 'H' %}{% call m(1) %}{{ hv }}{{ local }}{% endcall %}{% endmacro %}{{ host() }}"),
            "1H");
  EXPECT_EQ(render("{% macro twice() %}{{ caller() }}{{ caller() }}{% endmacro %}"
                   "{% call twice() %}{% set y = 1 %}a{{ y }}{% endcall %}{{ y }}"),
            "a1a1");
  EXPECT_EQ(render("{% macro m() %}{{ caller is defined }}{% endmacro %}{{ m() }}{% call m() %}x{% endcall %}"),
            "falsetrue");
  EXPECT_EQ(render("{% call 'text' %}x{% endcall %}"),
            "ERROR: template syntax error at 1:4: a call block needs a macro call, as in {% call m(x) %}");
}

TEST(JinjaSyntax, WhitespaceControlAndComments) {
  EXPECT_EQ(render("a  {%- if true -%}  b  {%- endif -%}  c"), "abc");
  EXPECT_EQ(render("a \n{{- 'x' -}}\n b"), "axb");
  EXPECT_EQ(render("a{# a comment #}b{#- trimmed -#}   c"), "abc");
  EXPECT_EQ(render("line\n"), "line");  // one trailing newline is dropped, as Jinja does
  EXPECT_EQ(render("{% raw %}{{ not evaluated }}{% endraw %}"), "{{ not evaluated }}");
}

TEST(JinjaSyntax, TestsOnValues) {
  json ctx = {{"s", "x"}, {"n", 3}, {"f", 1.5}, {"l", {1}}, {"m", {{"k", 1}}}, {"z", nullptr}, {"b", true}};
  EXPECT_EQ(render("{{ s is defined }}{{ q is defined }}{{ q is undefined }}{{ z is none }}{{ s is string }}", ctx),
            "truefalsetruetruetrue");
  EXPECT_EQ(render("{{ n is number }}{{ n is integer }}{{ f is integer }}{{ m is mapping }}{{ l is sequence }}", ctx),
            "truetruefalsetruetrue");
  EXPECT_EQ(render("{{ l is iterable }}{{ n is iterable }}{{ b is boolean }}{{ b is true }}{{ b is false }}", ctx),
            "truefalsetruetruefalse");
  EXPECT_EQ(render("{{ n is odd }}{{ n is even }}{{ 9 is divisibleby 3 }}{{ 9 is divisibleby(4) }}{{ s is not none }}",
                   ctx),
            "truefalsetruefalsetrue");
}

TEST(JinjaSyntax, StringMethods) {
  json ctx = {{"s", "  Hello World \n"}};
  EXPECT_EQ(render("[{{ s.strip() }}][{{ s.lstrip() }}][{{ s.rstrip() }}]", ctx),
            "[Hello World][Hello World \n][  Hello World]");
  EXPECT_EQ(render("{{ 'xxhixx'.strip('x') }} {{ '\\nhi\\n'.lstrip('\\n') }}"), "hi hi\n");
  EXPECT_EQ(render("{{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'a b c'.split(' ', 1) }}"),
            R"(["a", "b", "", "c"] ["a", "b"] ["a", "b c"])");
  EXPECT_EQ(render("{{ 'abc'.startswith('ab') }}{{ 'abc'.endswith(('x', 'c')) }}{{ 'abc'.upper() }}{{ 'ABC'.lower() }}"),
            "truetrueABCabc");
  EXPECT_EQ(render("{{ 'a-b'.replace('-', '+') }} {{ 'hello world'.title() }} {{ 'hELLO'.capitalize() }}"),
            "a+b Hello World HELLO");
  EXPECT_EQ(render("{{ '{} and {}'.format(1, 'x') }} {{ ', '.join(['a', 'b']) }}"), "1 and x a, b");
}

TEST(JinjaSyntax, DictMethodsAndLiterals) {
  EXPECT_EQ(render("{{ {'a': 1}.get('a') }} {{ {'a': 1}.get('b', 'dflt') }} {{ {'a': 1}.get('b') is none }}"),
            "1 dflt true");
  EXPECT_EQ(render("{{ {'b': 1, 'a': 2}.keys() | list }} {{ {'b': 1, 'a': 2}.values() | list }}"), R"(["b", "a"] [1, 2])");
  EXPECT_EQ(render("{{ dict(x=1) }} {{ (1, 2) }} {{ range(3) | list }} {{ range(1, 7, 2) | list }}"),
            R"({"x": 1} [1, 2] [0, 1, 2] [1, 3, 5])");
}

TEST(JinjaSyntax, FilterBlockAndGenerationTag) {
  EXPECT_EQ(render("{% filter upper %}abc{% endfilter %}"), "ABC");
  EXPECT_EQ(render("{% generation %}kept{% endgeneration %}"), "kept");
}

TEST(JinjaSyntax, OrderedContextKeepsKeyOrder) {
  auto t = Template::compile("{{ d | tojson }}");
  ASSERT_TRUE(t.ok());
  nlohmann::ordered_json ctx = {{"d", nlohmann::ordered_json::object()}};
  ctx["d"]["zeta"] = 1;
  ctx["d"]["alpha"] = 2;
  auto out = t->render(ctx);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "{\"zeta\": 1, \"alpha\": 2}");
}

}  // namespace
}  // namespace edgenode::engine::jinja
