#include "engine/grammar/grammar.h"

#include <algorithm>

namespace edgenode::engine::grammar {

JsonSchemaGrammar::JsonSchemaGrammar(std::shared_ptr<const SchemaGraph> graph)
    : graph_(std::move(graph)), automaton_(std::make_shared<JsonAutomaton>(*graph_)) {}

Result<JsonSchemaGrammar> JsonSchemaGrammar::compile(const nlohmann::json& schema) {
  auto graph = compile_schema(schema);
  if (!graph.ok()) return graph.error();
  return JsonSchemaGrammar(std::make_shared<const SchemaGraph>(std::move(graph).value()));
}

GrammarMatcher::GrammarMatcher(const JsonSchemaGrammar& grammar, const TokenTrie& trie)
    : automaton_(grammar.automaton()), trie_(trie), state_(automaton_.initial()) {
  scratch_.resize(static_cast<size_t>(std::max(trie.all_tokens().max_depth, trie.special_tokens().max_depth)) + 1);
}

bool GrammarMatcher::is_complete() const { return automaton_.can_end(state_); }

bool GrammarMatcher::in_string() const {
  uint32_t room = 0;
  return automaton_.plain_string_room(state_, room);
}

bool GrammarMatcher::is_finished() const { return eog_accepted_ || (state_.depth == 0 && state_.finished); }

// Walks the trie in preorder, carrying the automaton state of each depth; a byte the
// automaton rejects skips the whole subtree below it.
void GrammarMatcher::walk(const ByteTrie& trie, std::vector<uint8_t>& mask) {
  const std::vector<TrieNode>& nodes = trie.nodes;
  JsonAutomaton::copy(scratch_[0], state_);
  for (uint32_t i = 1; i < nodes.size();) {
    const TrieNode& node = nodes[i];
    AutomatonState& here = scratch_[node.depth];
    JsonAutomaton::copy(here, scratch_[node.depth - 1u]);
    if (!automaton_.feed(here, node.byte)) {
      i = node.subtree_end;
      continue;
    }
    for (uint32_t t = node.tokens_begin; t < node.tokens_end; ++t) mask[static_cast<size_t>(trie.token_ids[t])] = 1;
    ++i;
  }
}

void GrammarMatcher::allowed(std::vector<uint8_t>& mask) {
  mask.assign(trie_.n_vocab(), 0);
  if (eog_accepted_) return;
  if (automaton_.can_end(state_)) {
    for (int32_t id : trie_.eog_ids()) mask[static_cast<size_t>(id)] = 1;
  }
  uint32_t room = 0;
  if (automaton_.plain_string_room(state_, room)) {
    // Inside a string: plain tokens only need to fit; the rest go through the trie.
    for (const auto& [id, chars] : trie_.plain_tokens()) {
      if (chars <= room) mask[static_cast<size_t>(id)] = 1;
    }
    walk(trie_.special_tokens(), mask);
    return;
  }
  walk(trie_.all_tokens(), mask);
}

Result<void> GrammarMatcher::accept(int32_t token) {
  if (token < 0 || static_cast<size_t>(token) >= trie_.n_vocab()) {
    return bad_input("grammar: token id " + std::to_string(token) + " is outside the vocabulary");
  }
  if (eog_accepted_) return bad_input("grammar: generation already ended");
  if (trie_.is_eog(token)) {
    if (!automaton_.can_end(state_)) return bad_input("grammar: end of generation before the JSON value is complete");
    eog_accepted_ = true;
    return {};
  }
  const std::string& piece = trie_.piece(token);
  if (piece.empty()) return bad_input("grammar: token " + std::to_string(token) + " has no text and cannot be part of JSON");
  AutomatonState next = state_;
  for (char c : piece) {
    if (!automaton_.feed(next, static_cast<uint8_t>(c))) {
      return bad_input("grammar: token " + std::to_string(token) + " does not fit the JSON schema here");
    }
  }
  state_ = next;
  return {};
}

}  // namespace edgenode::engine::grammar
