// Constrained decoding: a JSON Schema becomes a grammar, and a GrammarMatcher tells the
// sampler at each step which tokens keep the output a valid instance of the schema.
//
//   auto grammar = JsonSchemaGrammar::compile(schema);       // once per schema
//   TokenTrie trie(pieces, eog_ids);                         // once per vocabulary
//   GrammarMatcher m(*grammar, trie);                        // once per generation
//   loop: m.allowed(mask); logits[i] = -inf where !mask[i]; sample t; m.accept(t);
//         stop when m.is_finished() (an end-of-generation token was accepted).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "engine/grammar/json_automaton.h"
#include "engine/grammar/schema_graph.h"
#include "engine/grammar/token_trie.h"

namespace edgenode::engine::grammar {

class JsonSchemaGrammar {
 public:
  // Supported: type (object, array, string, number, integer, boolean, null, or a list),
  // properties, required, additionalProperties, enum, const, items, minItems/maxItems,
  // minLength/maxLength, anyOf. Other constraining keywords are an error naming them.
  static Result<JsonSchemaGrammar> compile(const nlohmann::json& schema);

  const JsonAutomaton& automaton() const { return *automaton_; }

 private:
  explicit JsonSchemaGrammar(std::shared_ptr<const SchemaGraph> graph);
  std::shared_ptr<const SchemaGraph> graph_;
  std::shared_ptr<const JsonAutomaton> automaton_;
};

class GrammarMatcher {
 public:
  // Both must outlive the matcher.
  GrammarMatcher(const JsonSchemaGrammar& grammar, const TokenTrie& trie);

  // mask[id] = 1 when token id may come next (resized to the vocabulary). End-of-generation
  // tokens are allowed exactly when the value is complete.
  void allowed(std::vector<uint8_t>& mask);
  // Advances over a sampled token; an id the mask did not allow is an error.
  Result<void> accept(int32_t token);
  // The JSON value so far is complete (end of generation is allowed).
  bool is_complete() const;
  // An end-of-generation token was accepted, or the value is complete and nothing may follow.
  bool is_finished() const;
  // The next token continues a string value or key (for reporting where masking time goes).
  bool in_string() const;

 private:
  void walk(const ByteTrie& trie, std::vector<uint8_t>& mask);

  const JsonAutomaton& automaton_;
  const TokenTrie& trie_;
  AutomatonState state_;
  bool eog_accepted_ = false;
  std::vector<AutomatonState> scratch_;  // one state per trie depth, reused across steps
};

}  // namespace edgenode::engine::grammar
