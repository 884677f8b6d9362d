// libFuzzer target for the Jinja engine: any input is compiled as a template and rendered
// against a small chat-like context. Must never crash, hang or exhaust memory; errors are fine.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/jinja/template.h"

namespace {

const nlohmann::json& fuzz_context() {
  static const nlohmann::json context = {
      {"messages",
       {{{"role", "system"}, {"content", "Be brief."}},
        {{"role", "user"}, {"content", " Hi \u00e9\u6771 "}},
        {{"role", "assistant"}, {"content", "<think>x</think>ok"}, {"tool_calls", {{{"function", {{"name", "f"}, {"arguments", {{"a", 1}}}}}}}}}}},
      {"add_generation_prompt", true},
      {"bos_token", "<s>"},
      {"eos_token", nullptr},
      {"tools", {{{"type", "function"}, {"function", {{"name", "f"}, {"parameters", {{"type", "object"}}}}}}}},
      {"n", 3},
      {"x", 2.5},
      {"flag", false}};
  return context;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  edgenode::engine::jinja::Limits limits;
  limits.max_output_bytes = 1 << 16;
  limits.max_loop_iterations = 20000;
  limits.max_recursion_depth = 32;
  auto compiled = edgenode::engine::jinja::Template::compile(
      std::string_view(reinterpret_cast<const char*>(data), size), limits);
  if (!compiled.ok()) return 0;
  auto rendered = compiled->render(fuzz_context());
  (void)rendered;
  return 0;
}
