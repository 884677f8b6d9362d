// The token mask equals what feeding every token one by one would allow: the trie walk and
// the plain-string shortcut must never disagree with the automaton.
#include <random>

#include <gtest/gtest.h>

#include "engine/grammar/grammar.h"

namespace edgenode::engine::grammar {
namespace {

using nlohmann::json;

// A small vocabulary of JSON-ish pieces, multi-byte UTF-8 (whole and split), and oddities.
std::vector<std::string> synthetic_pieces(std::mt19937& rng, size_t n) {
  static const std::vector<std::string> atoms = {
      "{", "}", "[", "]", ":", ",", " ", "\"", "\\", "n", "u", "0", "1", "9", "-", ".", "e", "+", "a", "b", "x", "ok",
      "true", "false", "null", "status", "watch", "alarm", "\xC3\xA9", "\xE6\x9D\xB1", "\xC3", "\xA9", "\xE6", "\x9D\xB1",
      "\n", "\t", "00", "d8", "tr", "ue", "al", "ar", "m\"", "\":", "\",", "\"}", "e\""};
  std::vector<std::string> pieces = {"", "<eos>"};
  std::uniform_int_distribution<size_t> pick(0, atoms.size() - 1), len(1, 3);
  while (pieces.size() < n) {
    std::string p;
    for (size_t k = len(rng); k > 0; --k) p += atoms[pick(rng)];
    pieces.push_back(p);
  }
  // Every single byte too, as byte-level vocabularies have, so a walk never runs out of tokens.
  for (int b = 0; b < 256; ++b) pieces.push_back(std::string(1, static_cast<char>(b)));
  return pieces;
}

void check_masks_against_brute_force(const json& schema, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::string> pieces = synthetic_pieces(rng, 400);
  TokenTrie trie(pieces, {1});
  auto grammar = JsonSchemaGrammar::compile(schema);
  ASSERT_TRUE(grammar.ok()) << grammar.error().message;
  GrammarMatcher matcher(*grammar, trie);
  std::vector<uint8_t> mask;
  for (int step = 0; step < 60 && !matcher.is_finished(); ++step) {
    matcher.allowed(mask);
    std::vector<int32_t> allowed_ids;
    for (size_t id = 0; id < pieces.size(); ++id) {
      GrammarMatcher probe = matcher;
      bool fits = probe.accept(static_cast<int32_t>(id)).ok();
      ASSERT_EQ(mask[id] != 0, fits) << "step " << step << " token " << id << " '" << pieces[id] << "'";
      if (fits) allowed_ids.push_back(static_cast<int32_t>(id));
    }
    ASSERT_FALSE(allowed_ids.empty()) << "dead end at step " << step;
    std::uniform_int_distribution<size_t> choose(0, allowed_ids.size() - 1);
    ASSERT_TRUE(matcher.accept(allowed_ids[choose(rng)]).ok());
  }
}

TEST(GrammarMatcher, MaskMatchesBruteForceOnObjects) {
  json schema = {{"type", "object"},
                 {"properties",
                  {{"status", {{"enum", {"ok", "watch", "alarm"}}}},
                   {"note", {{"type", "string"}, {"maxLength", 5}}},
                   {"n", {{"type", "number"}}}}},
                 {"required", {"status", "n"}}};
  for (uint32_t seed = 1; seed <= 20; ++seed) check_masks_against_brute_force(schema, seed);
}

TEST(GrammarMatcher, MaskMatchesBruteForceOnArraysAndFreeValues) {
  json schema = {{"type", "array"}, {"items", json::object()}, {"maxItems", 4}};
  for (uint32_t seed = 1; seed <= 20; ++seed) check_masks_against_brute_force(schema, seed);
}

TEST(GrammarMatcher, EndOfGenerationOnlyWhenComplete) {
  std::vector<std::string> pieces = {"<eos>", "{", "}", "\"a\"", ":", "1", "12"};
  TokenTrie trie(pieces, {0});
  auto grammar = JsonSchemaGrammar::compile({{"type", "object"}, {"properties", {{"a", {{"type", "integer"}}}}}});
  ASSERT_TRUE(grammar.ok());
  GrammarMatcher m(*grammar, trie);
  std::vector<uint8_t> mask;
  m.allowed(mask);
  EXPECT_EQ(mask, (std::vector<uint8_t>{0, 1, 0, 0, 0, 0, 0}));
  auto eos_early = m.accept(0);
  ASSERT_FALSE(eos_early.ok());
  EXPECT_EQ(eos_early.error().message, "grammar: end of generation before the JSON value is complete");
  for (int32_t t : {1, 3, 4, 6, 2}) ASSERT_TRUE(m.accept(t).ok());
  EXPECT_TRUE(m.is_complete());
  EXPECT_TRUE(m.is_finished());
  m.allowed(mask);
  EXPECT_EQ(mask, (std::vector<uint8_t>{1, 0, 0, 0, 0, 0, 0}));
  auto wrong = GrammarMatcher(*grammar, trie).accept(2);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().message, "grammar: token 2 does not fit the JSON schema here");
}

}  // namespace
}  // namespace edgenode::engine::grammar
