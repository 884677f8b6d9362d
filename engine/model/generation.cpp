// Model::generate: prompt, then one token per step until a stop condition, streaming
// whole UTF-8 characters and holding back text that may be the start of a stop string.
#include <chrono>
#include <limits>
#include <optional>
#include <random>

#include <nlohmann/json.hpp>

#include "engine/model/sampler.h"
#include "engine/model/stop_strings.h"
#include "engine/model/transformer_model.h"

namespace edgenode::engine {

namespace {

double elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

const grammar::TokenTrie& TransformerModel::token_trie() {
  if (!token_trie_) {
    std::vector<std::string> pieces(hp_.n_vocab);
    std::vector<int32_t> eog;
    for (int32_t id = 0; id < tokenizer_->n_vocab(); ++id) {
      if (tokenizer_->is_eog(id)) eog.push_back(id);
      // Control tokens never appear inside JSON: an empty piece is never allowed.
      if (tokenizer_->type(id) != TokenType::control) pieces[id] = tokenizer_->piece(id, false);
    }
    token_trie_ = std::make_unique<grammar::TokenTrie>(pieces, eog);
  }
  return *token_trie_;
}

Result<GenerateResult> TransformerModel::generate(const GenerateRequest& request, const PieceCallback& on_piece) {
  if (request.max_tokens < 0) return bad_input("max_tokens must not be negative");
  GenerateResult result;
  if (!request.tokens.empty()) {
    result.prompt_tokens = request.tokens;
  } else {
    result.prompt_tokens = tokenizer_->encode(request.prompt, request.add_bos && tokenizer_->add_bos_default(),
                                              request.parse_special);
    // A chat template that writes BOS itself (Llama 3, Gemma 3) must not get a second one.
    auto& t = result.prompt_tokens;
    if (t.size() >= 2 && t[0] == tokenizer_->bos() && t[1] == t[0]) t.erase(t.begin());
  }
  EDGENODE_TRY(check_tokens(result.prompt_tokens, 0));

  std::optional<grammar::JsonSchemaGrammar> schema_grammar;
  std::optional<grammar::GrammarMatcher> matcher;
  if (request.json_schema) {
    const auto schema = nlohmann::json::parse(*request.json_schema, nullptr, false);
    if (schema.is_discarded()) return bad_input("json_schema is not valid JSON");
    auto compiled = grammar::JsonSchemaGrammar::compile(schema);
    if (!compiled) return Error{"json_schema: " + compiled.error().message, compiled.error().kind};
    schema_grammar.emplace(std::move(*compiled));
    matcher.emplace(*schema_grammar, token_trie());
  }

  const auto prompt_start = std::chrono::steady_clock::now();
  forward(result.prompt_tokens, 0, logits_.data(), false);
  result.prompt_ms = elapsed_ms(prompt_start);

  const auto generate_start = std::chrono::steady_clock::now();
  Sampler sampler(request.sampling);
  std::mt19937_64 rng(request.sampling.seed);
  StopStringMatcher stops(request.stop);
  TokenStreamDecoder decoder(*tokenizer_);
  std::vector<int32_t> history = result.prompt_tokens;
  history.reserve(history.size() + request.max_tokens);
  size_t shown = 0;  // bytes of result.text already handed to on_piece
  bool cancelled = false;

  // Hands on_piece the text that can no longer change; returns false when the caller stops.
  const auto show = [&](size_t upto) {
    if (upto <= shown) return true;
    const std::string_view piece(result.text.data() + shown, upto - shown);
    shown = upto;
    return !on_piece || on_piece(piece);
  };

  result.stop_reason = "length";
  int pos = static_cast<int>(result.prompt_tokens.size());
  for (int step = 0; step < request.max_tokens; ++step) {
    if (matcher) {
      matcher->allowed(grammar_mask_);
      for (int i = 0; i < hp_.n_vocab; ++i)
        if (!grammar_mask_[i]) logits_[i] = -std::numeric_limits<float>::infinity();
    }
    // Embedding rows past the tokenizer's vocabulary (padding) have no text: never sample them.
    for (int i = tokenizer_->n_vocab(); i < hp_.n_vocab; ++i) logits_[i] = -std::numeric_limits<float>::infinity();
    const int32_t id = sampler.sample(logits_, history, rng);
    if (matcher) {
      auto accepted = matcher->accept(id);
      if (!accepted) return Error{"constrained decoding: " + accepted.error().message, ErrorKind::internal};
      if (tokenizer_->is_eog(id)) {  // allowed only once the value is complete
        result.stop_reason = "schema_complete";
        break;
      }
    } else if (request.stop_at_eog && tokenizer_->is_eog(id)) {
      result.stop_reason = "eog";
      break;
    }
    result.tokens.push_back(id);
    history.push_back(id);
    result.text += decoder.push(id);
    if (const size_t at = stops.find_stop(result.text); at != std::string::npos) {
      result.text.resize(at);
      result.stop_reason = "stop";
      break;
    }
    if (!show(result.text.size() - stops.held_back(result.text))) {
      cancelled = true;
      result.stop_reason = "cancelled";
      break;
    }
    if (matcher && matcher->is_finished()) {
      result.stop_reason = "schema_complete";
      break;
    }
    if (step + 1 == request.max_tokens) break;
    if (pos >= hp_.n_ctx) {
      result.stop_reason = "context";
      break;
    }
    const int32_t next[1] = {id};
    forward(next, pos++, logits_.data(), false);
  }
  if (result.stop_reason != "stop") result.text += decoder.finish();
  if (!cancelled) show(result.text.size());
  result.generate_ms = elapsed_ms(generate_start);
  return result;
}

}  // namespace edgenode::engine
