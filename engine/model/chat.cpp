// Model::render_chat: the model's own chat template through the Jinja engine, or the
// engine's documented plain fallback when the model has none.
#include <nlohmann/json.hpp>

#include "engine/jinja/chat.h"
#include "engine/jinja/template.h"
#include "engine/model/transformer_model.h"

namespace edgenode::engine {

Result<std::string> TransformerModel::render_chat(const std::vector<ChatMessage>& messages,
                                                  bool add_generation_prompt) const {
  nlohmann::json list = nlohmann::json::array();
  for (const ChatMessage& m : messages) list.push_back({{"role", m.role}, {"content", m.content}});
  const std::string source = tokenizer_->chat_template();
  if (source.empty()) return jinja::render_plain_chat(list, add_generation_prompt);
  auto compiled = jinja::compile_chat_template(source);
  if (!compiled) return bad_input("chat template of " + info_.path + ": " + compiled.error().message);
  return jinja::render_chat(*compiled, list, add_generation_prompt, tokenizer_->bos_text(), tokenizer_->eos_text());
}

}  // namespace edgenode::engine
