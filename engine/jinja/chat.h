// Chat prompts: a conversation rendered through the model's chat template, or through the
// plain fallback for models that ship none (see docs/templates.md).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "engine/jinja/template.h"

namespace edgenode::engine::jinja {

// A model's chat template compiled as transformers and @huggingface/jinja compile one:
// trim_blocks and lstrip_blocks on.
Result<Template> compile_chat_template(std::string_view source);

// messages: [{"role": ..., "content": ...}, ...]. bos_token/eos_token are bound as the model
// defines them; an empty string binds null (as Qwen's tokenizer_config has bos_token null).
Result<std::string> render_chat(const Template& chat_template, const nlohmann::json& messages,
                                bool add_generation_prompt, const std::string& bos_token,
                                const std::string& eos_token);
Result<std::string> render_chat(const Template& chat_template, const nlohmann::ordered_json& messages,
                                bool add_generation_prompt, const std::string& bos_token,
                                const std::string& eos_token);

// The fallback: one "<role>: <content>\n" line per message, then "assistant: " when
// add_generation_prompt. Messages must be objects with string role and content.
Result<std::string> render_plain_chat(const nlohmann::json& messages, bool add_generation_prompt);

}  // namespace edgenode::engine::jinja
