#include "engine/tokenizer/vocab.h"

#include <spdlog/spdlog.h>

#include <string_view>

#include "engine/gguf/gguf.h"

namespace edgenode::engine {
namespace {

// BPE pre-tokenizers for which llama.cpp wants BOS when the file does not say.
bool bpe_pre_adds_bos(std::string_view pre) {
  return pre == "llama3" || pre == "llama-v3" || pre == "llama-bpe" || pre == "falcon3";
}

// An id outside the vocabulary means no such token, with a warning, as llama.cpp treats it;
// 0xFFFFFFFF is how files write "none" on purpose, so it passes silently.
Result<int32_t> special_id(const GgufFile& file, std::string_view key, size_t n_tokens) {
  constexpr uint64_t kNone = 0xFFFFFFFF;
  if (!file.has(key)) return -1;
  auto id = file.get_u64(key);
  if (!id) return id.error();
  if (*id == kNone) return -1;
  if (*id >= n_tokens) {
    spdlog::warn("event=special_token_ignored key={} id={} n_vocab={}", key, *id, n_tokens);
    return -1;
  }
  return static_cast<int32_t>(*id);
}

TokenType token_type_from(int32_t raw) {
  return raw >= 0 && raw <= static_cast<int32_t>(TokenType::byte) ? static_cast<TokenType>(raw)
                                                                   : TokenType::undefined;
}

}  // namespace

Result<Vocab> read_vocab(const GgufFile& file) {
  Vocab vocab;
  auto model = file.get_string("tokenizer.ggml.model");
  if (!model) return model.error();
  if (*model == "llama") {
    vocab.kind = VocabKind::spm;
  } else if (*model == "gpt2") {
    vocab.kind = VocabKind::bpe;
  } else {
    return bad_input("unsupported tokenizer model '" + *model + "' (supported: llama, gpt2)");
  }
  auto pre = file.get_string_or("tokenizer.ggml.pre", "");
  if (!pre) return pre.error();
  vocab.pre = std::move(*pre);

  auto tokens = file.get_string_array("tokenizer.ggml.tokens");
  if (!tokens) return tokens.error();
  vocab.tokens = std::move(*tokens);
  const size_t n = vocab.tokens.size();
  if (n == 0) return bad_input("tokenizer.ggml.tokens is empty");

  if (file.has("tokenizer.ggml.scores")) {
    auto scores = file.get_f32_array("tokenizer.ggml.scores");
    if (!scores) return scores.error();
    if (scores->size() != n) {
      return bad_input("tokenizer.ggml.scores has " + std::to_string(scores->size()) +
                       " entries for " + std::to_string(n) + " tokens");
    }
    vocab.scores = std::move(*scores);
  } else {
    vocab.scores.assign(n, 0.0f);
  }

  vocab.types.assign(n, TokenType::normal);
  if (file.has("tokenizer.ggml.token_type")) {
    auto types = file.get_i32_array("tokenizer.ggml.token_type");
    if (!types) return types.error();
    if (types->size() != n) {
      return bad_input("tokenizer.ggml.token_type has " + std::to_string(types->size()) +
                       " entries for " + std::to_string(n) + " tokens");
    }
    for (size_t i = 0; i < n; ++i) vocab.types[i] = token_type_from((*types)[i]);
  }

  if (vocab.kind == VocabKind::bpe) {
    auto merges = file.get_string_array("tokenizer.ggml.merges");
    if (!merges) return merges.error();
    vocab.merges = std::move(*merges);
  }

  const std::pair<std::string_view, int32_t*> ids[] = {
      {"tokenizer.ggml.bos_token_id", &vocab.bos},
      {"tokenizer.ggml.eos_token_id", &vocab.eos},
      {"tokenizer.ggml.unknown_token_id", &vocab.unk},
      {"tokenizer.ggml.padding_token_id", &vocab.pad},
  };
  for (const auto& [key, target] : ids) {
    auto id = special_id(file, key, n);
    if (!id) return id.error();
    *target = *id;
  }

  // Defaults as llama.cpp applies them when the keys are absent.
  const bool spm = vocab.kind == VocabKind::spm;
  auto add_bos = file.get_bool_or("tokenizer.ggml.add_bos_token", spm || bpe_pre_adds_bos(vocab.pre));
  if (!add_bos) return add_bos.error();
  vocab.add_bos = *add_bos;
  auto add_space = file.get_bool_or("tokenizer.ggml.add_space_prefix", spm);
  if (!add_space) return add_space.error();
  vocab.add_space_prefix = *add_space;

  auto chat_template = file.get_string_or("tokenizer.chat_template", "");
  if (!chat_template) return chat_template.error();
  vocab.chat_template = std::move(*chat_template);
  return vocab;
}

}  // namespace edgenode::engine
