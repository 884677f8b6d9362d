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
