#include "engine/jinja/chat.h"

namespace edgenode::engine::jinja {
namespace {

template <class Json>
Result<std::string> render_with_template(const Template& chat_template, const Json& messages,
                                         bool add_generation_prompt, const std::string& bos_token,
                                         const std::string& eos_token) {
  if (!messages.is_array()) return bad_input("chat messages must be a JSON array");
  Json context = Json::object();
  context["messages"] = messages;
  context["add_generation_prompt"] = add_generation_prompt;
  context["bos_token"] = bos_token.empty() ? Json() : Json(bos_token);
  context["eos_token"] = eos_token.empty() ? Json() : Json(eos_token);
  return chat_template.render(context);
}

}  // namespace

Result<Template> compile_chat_template(std::string_view source) {
  return Template::compile(source, Limits{}, Whitespace{.trim_blocks = true, .lstrip_blocks = true});
}

Result<std::string> render_chat(const Template& chat_template, const nlohmann::json& messages,
                                bool add_generation_prompt, const std::string& bos_token,
                                const std::string& eos_token) {
  return render_with_template(chat_template, messages, add_generation_prompt, bos_token, eos_token);
}

Result<std::string> render_chat(const Template& chat_template, const nlohmann::ordered_json& messages,
                                bool add_generation_prompt, const std::string& bos_token,
                                const std::string& eos_token) {
  return render_with_template(chat_template, messages, add_generation_prompt, bos_token, eos_token);
}

Result<std::string> render_plain_chat(const nlohmann::json& messages, bool add_generation_prompt) {
  if (!messages.is_array()) return bad_input("chat messages must be a JSON array");
  std::string out;
  for (size_t i = 0; i < messages.size(); ++i) {
    const nlohmann::json& m = messages[i];
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) {
      return bad_input("chat message " + std::to_string(i) + " needs a string 'role'");
    }
    if (!m.contains("content") || !m["content"].is_string()) {
      return bad_input("chat message " + std::to_string(i) + " needs a string 'content'");
    }
    out += m["role"].get<std::string>() + ": " + m["content"].get<std::string>() + "\n";
  }
  if (add_generation_prompt) out += "assistant: ";
  return out;
}

}  // namespace edgenode::engine::jinja
