// Model::generate and Model::serve: each request is a Sequence in a KV-cache slot of its own.
// Its prompt runs alone (after the prefix its slot already holds); then every step samples one
// token for each running sequence and feeds all of them through the model in one pass, so the
// weights are read once per step however many sequences run. Text streams as whole UTF-8
// characters, holding back what may be the start of a stop string.
#include <algorithm>
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

size_t common_prefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

}  // namespace

struct TransformerModel::Sequence {
  Sequence(ServeItem item_, int slot_, const TokenStreamDecoder& decoder_)
      : item(std::move(item_)),
        slot(slot_),
        sampler(item.request.sampling),
        rng(item.request.sampling.seed),
        stops(item.request.stop),
        decoder(decoder_) {}

  ServeItem item;
  int slot;
  GenerateResult result;
  Sampler sampler;
  std::mt19937_64 rng;
  StopStringMatcher stops;
  TokenStreamDecoder decoder;
  // The matcher refers to the grammar: a Sequence lives behind a pointer and never moves.
  std::optional<grammar::JsonSchemaGrammar> schema_grammar;
  std::optional<grammar::GrammarMatcher> matcher;
  std::vector<int32_t> history;  // prompt and generated tokens, for the repetition penalty
  int pos = 0;                   // where the next fed token goes
  int32_t next = -1;             // the token to feed in the coming step
  float* logits = nullptr;       // (n_vocab) the latest logits: its prompt's, then its step row
  size_t shown = 0;              // bytes of result.text already handed to on_piece
  bool cancelled = false;
  std::optional<Error> failure;  // set when the sequence ends in an error
  std::chrono::steady_clock::time_point generate_start;

  // Hands on_piece the text that can no longer change; returns false when the caller stops.
  bool show(size_t upto) {
    if (upto <= shown) return true;
    const std::string_view piece(result.text.data() + shown, upto - shown);
    shown = upto;
    return !item.on_piece || item.on_piece(piece);
  }
};

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

Result<std::unique_ptr<TransformerModel::Sequence>> TransformerModel::start(ServeItem& item,
                                                                            std::vector<bool>& slot_busy) {
  const GenerateRequest& request = item.request;
  if (request.max_tokens < 0) return bad_input("max_tokens must not be negative");
  std::vector<int32_t> prompt;
  if (!request.tokens.empty()) {
    prompt = request.tokens;
  } else {
    prompt = tokenizer_->encode(request.prompt, request.add_bos && tokenizer_->add_bos_default(), request.parse_special);
    // A chat template that writes BOS itself (Llama 3, Gemma 3) must not get a second one.
    if (prompt.size() >= 2 && prompt[0] == tokenizer_->bos() && prompt[1] == prompt[0]) prompt.erase(prompt.begin());
  }
  EDGENODE_TRY(check_tokens(prompt, 0));

  // The free slot whose cache shares the longest prefix with this prompt; the last prompt
  // token always runs, for its logits.
  int slot = -1;
  size_t reuse = 0;
  for (int s = 0; s < static_cast<int>(slot_busy.size()); ++s) {
    if (slot_busy[s]) continue;
    const size_t shared = common_prefix(slot_tokens_[s], prompt);
    if (slot < 0 || shared > reuse) {
      slot = s;
      reuse = shared;
    }
  }
  reuse = std::min(reuse, prompt.size() - 1);

  std::optional<grammar::JsonSchemaGrammar> schema_grammar;
  if (request.json_schema) {
    const auto schema = nlohmann::json::parse(*request.json_schema, nullptr, false);
    if (schema.is_discarded()) return bad_input("json_schema is not valid JSON");
    auto compiled = grammar::JsonSchemaGrammar::compile(schema);
    if (!compiled) return Error{"json_schema: " + compiled.error().message, compiled.error().kind};
    schema_grammar.emplace(std::move(*compiled));
  }

  auto seq = std::make_unique<Sequence>(std::move(item), slot, TokenStreamDecoder(*tokenizer_));
  if (schema_grammar) {
    seq->schema_grammar.emplace(std::move(*schema_grammar));
    seq->matcher.emplace(*seq->schema_grammar, token_trie());
  }

  const auto prompt_start = std::chrono::steady_clock::now();
  const std::span<const int32_t> rest(prompt.data() + reuse, prompt.size() - reuse);
  seq->logits = logits_.data() + static_cast<size_t>(slot) * hp_.n_vocab;
  forward(rest, static_cast<int>(reuse), slot, seq->logits, false);
  seq->result.prompt_ms = elapsed_ms(prompt_start);
  seq->result.reused_prompt_tokens = static_cast<int>(reuse);
  slot_busy[slot] = true;
  slot_tokens_[slot] = prompt;
  seq->pos = static_cast<int>(prompt.size());
  seq->history = prompt;
  seq->history.reserve(prompt.size() + seq->item.request.max_tokens);
  seq->result.prompt_tokens = std::move(prompt);
  seq->result.stop_reason = "length";
  seq->generate_start = std::chrono::steady_clock::now();
  return seq;
}

bool TransformerModel::advance(Sequence& seq) {
  const GenerateRequest& request = seq.item.request;
  GenerateResult& result = seq.result;
  if (static_cast<int>(result.tokens.size()) >= request.max_tokens) return false;
  std::span<float> row(seq.logits, hp_.n_vocab);
  if (seq.matcher) {
    seq.matcher->allowed(grammar_mask_);
    for (int i = 0; i < hp_.n_vocab; ++i)
      if (!grammar_mask_[i]) row[i] = -std::numeric_limits<float>::infinity();
  }
  // Embedding rows past the tokenizer's vocabulary (padding) have no text: never sample them.
  for (int i = tokenizer_->n_vocab(); i < hp_.n_vocab; ++i) row[i] = -std::numeric_limits<float>::infinity();
  const int32_t id = seq.sampler.sample(row, seq.history, seq.rng);
  if (seq.matcher) {
    if (auto accepted = seq.matcher->accept(id); !accepted) {
      seq.failure = Error{"constrained decoding: " + accepted.error().message, ErrorKind::internal};
      return false;
    }
    if (tokenizer_->is_eog(id)) {  // allowed only once the value is complete
      result.stop_reason = "schema_complete";
      return false;
    }
  } else if (request.stop_at_eog && tokenizer_->is_eog(id)) {
    result.stop_reason = "eog";
    return false;
  }
  result.tokens.push_back(id);
  seq.history.push_back(id);
  result.text += seq.decoder.push(id);
  if (const size_t at = seq.stops.find_stop(result.text); at != std::string::npos) {
    result.text.resize(at);
    result.stop_reason = "stop";
    return false;
  }
  if (!seq.show(result.text.size() - seq.stops.held_back(result.text))) {
    seq.cancelled = true;
    result.stop_reason = "cancelled";
    return false;
  }
  if (seq.matcher && seq.matcher->is_finished()) {
    result.stop_reason = "schema_complete";
    return false;
  }
  if (static_cast<int>(result.tokens.size()) == request.max_tokens) return false;
  if (seq.pos >= hp_.n_ctx) {
    result.stop_reason = "context";
    return false;
  }
  seq.next = id;
  return true;
}

void TransformerModel::finish(Sequence& seq) {
  GenerateResult& result = seq.result;
  if (result.stop_reason != "stop") result.text += seq.decoder.finish();
  if (!seq.cancelled) seq.show(result.text.size());
  result.generate_ms = elapsed_ms(seq.generate_start);
  if (seq.failure) {
    seq.item.done(std::move(*seq.failure));
    return;
  }
  seq.item.done(std::move(result));
}

void TransformerModel::serve(const NextRequest& next) {
  if (!arch_) {  // a vocab-only file: every request gets the reason
    while (std::optional<ServeItem> item = next()) item->done(check_tokens(item->request.tokens, 0).error());
    return;
  }
  std::vector<bool> slot_busy(slot_tokens_.size(), false);
  std::vector<std::unique_ptr<Sequence>> running;
  std::vector<int32_t> tokens;
  std::vector<int> positions, slots;
  const auto retire = [&](size_t i) {
    slot_busy[running[i]->slot] = false;
    finish(*running[i]);
    running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
  };
  while (true) {
    // Admit waiting requests while a slot is free; each runs its prompt and samples its
    // first token at once.
    while (running.size() < slot_tokens_.size()) {
      std::optional<ServeItem> item = next();
      if (!item) break;
      auto seq = start(*item, slot_busy);
      if (!seq) {
        item->done(seq.error());
        continue;
      }
      running.push_back(std::move(*seq));
      if (!advance(*running.back())) retire(running.size() - 1);
    }
    if (running.empty()) return;

    // One pass over the weights feeds every running sequence its next token.
    tokens.clear();
    positions.clear();
    slots.clear();
    for (const auto& seq : running) {
      tokens.push_back(seq->next);
      positions.push_back(seq->pos);
      slots.push_back(seq->slot);
    }
    forward_step(tokens, positions, slots, step_logits_.data());
    for (size_t i = 0; i < running.size(); ++i) {
      Sequence& seq = *running[i];
      seq.logits = step_logits_.data() + i * hp_.n_vocab;  // read by advance() below, before the next step
      slot_tokens_[seq.slot].push_back(seq.next);
      ++seq.pos;
    }
    for (size_t i = running.size(); i-- > 0;)
      if (!advance(*running[i])) retire(i);
  }
}

Result<GenerateResult> TransformerModel::generate(const GenerateRequest& request, const PieceCallback& on_piece) {
  std::optional<Result<GenerateResult>> outcome;
  bool handed_over = false;
  serve([&]() -> std::optional<ServeItem> {
    if (handed_over) return std::nullopt;
    handed_over = true;
    return ServeItem{request, on_piece, [&](Result<GenerateResult> r) { outcome.emplace(std::move(r)); }};
  });
  if (!outcome) return internal_error("the request was not served");
  return std::move(*outcome);
}

}  // namespace edgenode::engine
