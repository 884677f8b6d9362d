// Filters as real chat and prompt templates use them.
#include <gtest/gtest.h>

#include "engine/jinja/render_helper.h"

namespace edgenode::engine::jinja {
namespace {

using testing::render;
using nlohmann::json;

TEST(JinjaFilters, StringFilters) {
  EXPECT_EQ(render("[{{ '  x \\n' | trim }}]{{ 'ab' | upper }}{{ 'AB' | lower }}{{ 'ab cd' | title }}{{ 'aB' | capitalize }}"),
            "[x]ABabAb CdAB");
  EXPECT_EQ(render("{{ 'ünï ß' | upper }} {{ 'ÉTÉ' | lower }} {{ 'a,b (c-d' | title }} {{ 'a,b'.title() }}"),
            "ÜNÏ ß été A,B (C-D A,B");
  EXPECT_EQ(render("{{ 'a-b-c' | replace('-', '') }} {{ 'aaa' | replace('a', 'b', 2) }}"), "abc bba");
  EXPECT_EQ(render("{{ '<b>&\"' | e }} {{ '<b>' | escape }} {{ '<b>' | safe }}"), "&lt;b&gt;&amp;&#34; &lt;b&gt; <b>");
  EXPECT_EQ(render("{{ 'one two  three' | wordcount }} {{ 'héllo' | length }} {{ 'abc' | count }}"), "3 5 3");
  EXPECT_EQ(render("{{ 'a\\nb\\n\\nc' | indent(2) }}|{{ 'a\\nb' | indent(2, true) }}"), "a\n  b\n\n  c|  a\n  b");
  EXPECT_EQ(render("{{ '%s=%d (%.2f)' | format('x', 3, 1.5) }}"), "x=3 (1.50)");
}

TEST(JinjaFilters, ListFilters) {
  json ctx = {{"xs", {3, 1, 2, 1}}, {"words", {"b", "A", "c"}}};
  EXPECT_EQ(render("{{ xs | first }}{{ xs | last }}{{ xs | length }}{{ xs | sort }}{{ xs | unique | list }}", ctx),
            "314[1, 1, 2, 3][3, 1, 2]");
  EXPECT_EQ(render("{{ xs | sort(reverse=true) }} {{ words | sort }} {{ xs | reverse | list }}", ctx),
            R"([3, 2, 1, 1] ["A", "b", "c"] [1, 2, 1, 3])");
  EXPECT_EQ(render("{{ xs | join(',') }} {{ words | join }} {{ xs | sum }} {{ xs | min }} {{ xs | max }}", ctx),
            "3,1,2,1 bAc 7 1 3");
  EXPECT_EQ(render("{{ xs | batch(3) | list }} {{ xs | batch(3, 0) | list }}", ctx),
            "[[3, 1, 2], [1]] [[3, 1, 2], [1, 0, 0]]");
  EXPECT_EQ(render("{{ xs | select('odd') | list }} {{ xs | reject('odd') | list }}", ctx), "[3, 1, 1] [2]");
  EXPECT_EQ(render("{{ words | map('upper') | join }}", ctx), "BAC");
}

TEST(JinjaFilters, AttributeFilters) {
  json ctx = {{"msgs", {{{"role", "user"}, {"n", 2}}, {{"role", "tool"}, {"n", 1}}, {{"role", "user"}}}}};
  EXPECT_EQ(render("{{ msgs | map(attribute='role') | join(',') }}", ctx), "user,tool,user");
  EXPECT_EQ(render("{{ msgs | selectattr('role', 'equalto', 'user') | list | length }}", ctx), "2");
  EXPECT_EQ(render("{{ msgs | rejectattr('role', 'eq', 'user') | map(attribute='n') | list }}", ctx), "[1]");
  EXPECT_EQ(render("{{ msgs | selectattr('n') | list | length }}", ctx), "2");
  EXPECT_EQ(render("{{ msgs | selectattr('n', 'defined') | sort(attribute='n') | map(attribute='n') | list }}", ctx),
            "[1, 2]");
}

TEST(JinjaFilters, DictFilters) {
  json ctx = {{"d", {{"b", 2}, {"a", 1}}}};
  EXPECT_EQ(render("{{ d | items | list }} {{ d | dictsort }} {{ d | dictsort(by='value', reverse=true) }}", ctx),
            R"([["a", 1], ["b", 2]] [["a", 1], ["b", 2]] [["b", 2], ["a", 1]])");
  EXPECT_EQ(render("{{ d | length }} {{ d | list }}", ctx), R"(2 ["a", "b"])");
}

TEST(JinjaFilters, ConversionsAndDefaults) {
  EXPECT_EQ(render("{{ '42' | int }} {{ '4.7' | int }} {{ 'x' | int }} {{ 'x' | int(7) }} {{ 3.9 | int }}"), "42 4 0 7 3");
  EXPECT_EQ(render("{{ '2.5' | float }} {{ 2 | float }} {{ -3 | abs }} {{ 2.567 | round(2) }} {{ 2.5 | round }}"),
            "2.5 2.0 3 2.57 3.0");
  EXPECT_EQ(render("{{ 5 | string }}{{ none | string }}{{ [1, 'a'] | string }}"), R"(5None[1, "a"])");
  EXPECT_EQ(render("{{ missing | default('d') }} {{ '' | default('d') }} {{ '' | default('d', true) }} {{ x | d(1) }}"),
            "d  d 1");
}

TEST(JinjaFilters, ToJsonMatchesPythonJsonDumps) {
  json ctx = {{"v", {{"a", {1, 2.5, nullptr, true}}, {"b", "q\"\n\u00e9"}, {"c", json::object()}, {"d", json::array()}}}};
  EXPECT_EQ(render("{{ v | tojson }}", ctx),
            "{\"a\": [1, 2.5, null, true], \"b\": \"q\\\"\\n\u00e9\", \"c\": {}, \"d\": []}");
  EXPECT_EQ(render("{{ v.a | tojson(indent=2) }}", ctx), "[\n  1,\n  2.5,\n  null,\n  true\n]");
  EXPECT_EQ(render("{{ {'k': {'n': 1}} | tojson(indent=4) }}"), "{\n    \"k\": {\n        \"n\": 1\n    }\n}");
  EXPECT_EQ(render("{{ 1.0 | tojson }} {{ 'x' | tojson }}"), "1 \"x\"");
}

TEST(JinjaFilters, ToJsonOptions) {
  json ctx = {{"v", {{"b", "\u00e9\U0001F680"}, {"a", 1}}}};
  EXPECT_EQ(render("{{ v | tojson(sort_keys=true) }}", ctx), "{\"a\": 1, \"b\": \"\u00e9\U0001F680\"}");
  EXPECT_EQ(render("{{ v | tojson(ensure_ascii=true) }}", ctx), "{\"a\": 1, \"b\": \"\\u00e9\\ud83d\\ude80\"}");
  EXPECT_EQ(render("{{ v | tojson(separators=(',', ':')) }}", ctx), "{\"a\":1,\"b\":\"\u00e9\U0001F680\"}");
  EXPECT_EQ(render("{{ [1, 2] | tojson(indent=0) }}"), "[1, 2]");
}

TEST(JinjaFilters, WhitespaceIsJavaScriptWhitespace) {
  EXPECT_EQ(render("[{{ '\u00a0 x\u3000\ufeff' | trim }}]"), "[x]");
  // Only-whitespace chars strip all whitespace, as the reference renderer's strip does.
  EXPECT_EQ(render("[{{ '\n \tx\n'.lstrip('\n') }}][{{ 'ab\n \n'.rstrip('\n') }}]"), "[x\n][ab]");
  EXPECT_EQ(render("a \u00a0{{- 'b' -}}\u3000 c"), "abc");
}

TEST(JinjaFilters, NumbersPrintAsTheReferenceRenderer) {
  json ctx = {{"whole", 21.0}, {"part", 21.5}, {"tiny", 1e-7}};
  EXPECT_EQ(render("{{ whole }} {{ part }} {{ tiny }} {{ 2.0 }} {{ 'v' ~ 2.0 }} {{ 'n' + 3 }} {{ [1.5, true, none] }}", ctx),
            "21 21.5 1e-7 2.0 v2 n3 [1.5, true, null]");
}

TEST(JinjaFilters, UnknownFilterNamesItsPosition) {
  EXPECT_EQ(render("ab\n  {{ 'x' | nosuch }}"), "ERROR: template error at 2:12: unknown filter 'nosuch'");
}

}  // namespace
}  // namespace edgenode::engine::jinja
