// Chat rendering through a template and the plain fallback.
#include <gtest/gtest.h>

#include "engine/jinja/chat.h"

namespace edgenode::engine::jinja {
namespace {

using nlohmann::json;

const json kMessages = json::array({{{"role", "system"}, {"content", "Be brief."}}, {{"role", "user"}, {"content", "Hi"}}});

TEST(JinjaChat, BindsMessagesGenerationPromptAndSpecialTokens) {
  auto t = Template::compile(
      "{{ bos_token }}{% for m in messages %}<{{ m.role }}>{{ m.content }}{{ eos_token }}{% endfor %}"
      "{% if add_generation_prompt %}<assistant>{% endif %}");
  ASSERT_TRUE(t.ok());
  auto out = render_chat(*t, kMessages, true, "<s>", "</s>");
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(*out, "<s><system>Be brief.</s><user>Hi</s><assistant>");
  out = render_chat(*t, kMessages, false, "<s>", "</s>");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "<s><system>Be brief.</s><user>Hi</s>");
}

// Expected outputs are @huggingface/jinja 0.5.11's, which compiles with trim_blocks and
// lstrip_blocks as transformers does.
TEST(JinjaChat, ChatTemplatesTrimAndLstripBlocks) {
  auto render_as_chat_template = [](const std::string& source) {
    auto t = compile_chat_template(source);
    if (!t.ok()) return "ERROR: " + t.error().message;
    auto out = t->render(json::object());
    return out.ok() ? *out : "ERROR: " + out.error().message;
  };
  EXPECT_EQ(render_as_chat_template("{% if true %}\nyes\n{% endif %}\nend"), "yes\nend");
  EXPECT_EQ(render_as_chat_template("  {% if true %}yes{% endif %}"), "yes");
  EXPECT_EQ(render_as_chat_template("a\n  {# c #}\nb"), "a\nb");
  EXPECT_EQ(render_as_chat_template("  {{ 1 }}\n{{ 2 }}"), "  1\n2");  // expressions keep both
  EXPECT_EQ(render_as_chat_template("x {% if true %}y{% endif %}"), "x y");  // not at a line start
  EXPECT_EQ(render_as_chat_template("a\r\n\t{% if true %}b{% endif %}\r\nc"), "a\r\nb\r\nc");
  // Pipeline templates keep Jinja's defaults.
  auto plain = Template::compile("{% if true %}\nyes\n{% endif %}\n  {% if true %}z{% endif %}");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain->render(json::object()), "\nyes\n\n  z");
}

TEST(JinjaChat, EmptyBosBindsNull) {
  auto t = Template::compile("{{ bos_token is none }}|{{ bos_token }}|{{ eos_token }}");
  ASSERT_TRUE(t.ok());
  auto out = render_chat(*t, kMessages, false, "", "<|im_end|>");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "true||<|im_end|>");
}

TEST(JinjaChat, TemplateExceptionBecomesError) {
  auto t = Template::compile("{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}");
  ASSERT_TRUE(t.ok());
  auto out = render_chat(*t, kMessages, true, "", "");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message, "template error at 1:56: template raised an exception: System role not supported");
}

TEST(JinjaChat, PlainFallback) {
  auto out = render_plain_chat(kMessages, true);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "system: Be brief.\nuser: Hi\nassistant: ");
  out = render_plain_chat(kMessages, false);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "system: Be brief.\nuser: Hi\n");
  auto bad = render_plain_chat(json::array({{{"role", "user"}}}), true);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "chat message 0 needs a string 'content'");
}

}  // namespace
}  // namespace edgenode::engine::jinja
