// Every case of ../shared/fixtures/templates/*.json (rendered by @huggingface/jinja) must
// come out byte-identical.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/jinja/chat.h"
#include "engine/jinja/template.h"

namespace edgenode::engine::jinja {
namespace {

namespace fs = std::filesystem;

class TemplateFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(TemplateFixture, RendersEveryCaseByteIdentical) {
  fs::path file = fs::path(EDGENODE_SHARED_FIXTURES) / "templates" / (GetParam() + ".json");
  if (!fs::exists(file)) GTEST_SKIP() << "fixture not found: " << file;
  std::ifstream in(file);
  nlohmann::ordered_json fixture = nlohmann::ordered_json::parse(in);

  auto compiled = compile_chat_template(fixture["template"].get<std::string>());
  ASSERT_TRUE(compiled.ok()) << compiled.error().message;
  const auto& ctx = fixture["render_context"];
  std::string bos = ctx["bos_token"].is_string() ? ctx["bos_token"].get<std::string>() : "";
  std::string eos = ctx["eos_token"].is_string() ? ctx["eos_token"].get<std::string>() : "";

  ASSERT_FALSE(fixture["cases"].empty());
  for (const auto& c : fixture["cases"]) {
    SCOPED_TRACE(c["conversation"].get<std::string>() + " add_generation_prompt=" +
                 (c["add_generation_prompt"].get<bool>() ? "true" : "false"));
    auto out = render_chat(*compiled, c["messages"], c["add_generation_prompt"].get<bool>(), bos, eos);
    ASSERT_TRUE(out.ok()) << out.error().message;
    EXPECT_EQ(*out, c["expected"].get<std::string>());
  }
}

INSTANTIATE_TEST_SUITE_P(Templates, TemplateFixture, ::testing::Values("llama3", "qwen3", "gemma3"));

}  // namespace
}  // namespace edgenode::engine::jinja
