// 200 seeded generations with random logits (what a random-weight model produces) over 5
// schemas: every output must parse and validate. The vocabulary is SmolLM2's (49152 tokens)
// when the fixtures are present, else a synthetic byte-string vocabulary.
#include <filesystem>
#include <cstdio>
#include <random>

#include <gtest/gtest.h>

#include "engine/gguf/gguf.h"
#include "engine/grammar/grammar.h"
#include "engine/grammar/schema_validator.h"
#include "engine/tokenizer/tokenizer.h"

namespace edgenode::engine::grammar {
namespace {

using nlohmann::json;

struct Vocabulary {
  std::vector<std::string> pieces;
  std::vector<int32_t> eog;
  std::string source;
};

Vocabulary load_vocabulary() {
  std::filesystem::path path = std::filesystem::path(EDGENODE_SHARED_FIXTURES) / "vocab" / "smollm2.gguf";
  if (std::filesystem::exists(path)) {
    auto file = GgufFile::open(path.string());
    if (file.ok()) {
      auto tokenizer = Tokenizer::from_gguf(*file);
      if (tokenizer.ok()) {
        Vocabulary v;
        v.source = "smollm2.gguf";
        for (int32_t id = 0; id < (*tokenizer)->n_vocab(); ++id) {
          // Control tokens render as nothing without render_special, so they are never allowed.
          v.pieces.push_back((*tokenizer)->piece(id, false));
          if ((*tokenizer)->is_eog(id)) v.eog.push_back(id);
        }
        return v;
      }
    }
  }
  Vocabulary v;
  v.source = "synthetic";
  std::mt19937 rng(7);
  const std::string alphabet = "{}[]:,\" \\abcdefghijklmnopqrstuvwxyz0123456789-.eE+ntrufl";
  v.pieces.push_back("</s>");
  v.eog.push_back(0);
  for (int i = 0; i < 256; ++i) v.pieces.push_back(std::string(1, static_cast<char>(i)));
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1), len(2, 6);
  while (v.pieces.size() < 8000) {
    std::string p;
    for (size_t k = len(rng); k > 0; --k) p += alphabet[pick(rng)];
    v.pieces.push_back(p);
  }
  return v;
}

std::vector<json> test_schemas() {
  return {
      // nested objects
      json::parse(R"({"type":"object","properties":{
          "device":{"type":"object","properties":{
              "id":{"type":"string","maxLength":12},
              "location":{"type":"object","properties":{"line":{"type":"integer"},"cell":{"type":"string","maxLength":8}},"required":["line"]}},
            "required":["id","location"]},
          "ok":{"type":"boolean"}},"required":["device","ok"]})"),
      // enums and const
      json::parse(R"({"type":"object","properties":{
          "status":{"enum":["ok","watch","alarm"]},"severity":{"enum":[0,1,2]},"unit":{"const":"mm/s"}},
          "required":["status","severity","unit"],"additionalProperties":false})"),
      // arrays
      json::parse(R"({"type":"object","properties":{
          "readings":{"type":"array","items":{"type":"number"},"minItems":1,"maxItems":5},
          "tags":{"type":"array","items":{"type":"string","maxLength":6},"maxItems":3}},"required":["readings"]})"),
      // numbers
      json::parse(R"({"type":"object","properties":{
          "temp_c":{"type":"number"},"count":{"type":"integer"},"ratio":{"type":["number","null"]}},
          "required":["temp_c","count","ratio"]})"),
      // strings with length limits
      json::parse(R"({"type":"object","properties":{
          "code":{"type":"string","minLength":3,"maxLength":3},"summary":{"type":"string","minLength":1,"maxLength":40},
          "note":{"anyOf":[{"type":"string","maxLength":0},{"type":"null"}]}},"required":["code","summary","note"]})"),
  };
}

TEST(GrammarGeneration, TwoHundredRandomGenerationsParseAndValidate) {
  Vocabulary vocab = load_vocabulary();
  TokenTrie trie(vocab.pieces, vocab.eog);
  std::printf("vocabulary: %s, %zu tokens\n", vocab.source.c_str(), vocab.pieces.size());
  std::vector<json> schemas = test_schemas();
  std::vector<uint8_t> mask;
  std::vector<float> logits(vocab.pieces.size());
  constexpr int kPerSchema = 40;
  constexpr int kMaxTokens = 1500;
  for (size_t s = 0; s < schemas.size(); ++s) {
    auto grammar = JsonSchemaGrammar::compile(schemas[s]);
    ASSERT_TRUE(grammar.ok()) << grammar.error().message;
    for (int g = 0; g < kPerSchema; ++g) {
      std::mt19937 rng(static_cast<uint32_t>(1000 * s + g));
      std::normal_distribution<float> noise(0.f, 1.f);
      GrammarMatcher matcher(*grammar, trie);
      std::string text;
      int steps = 0;
      for (; steps < kMaxTokens && !matcher.is_finished(); ++steps) {
        matcher.allowed(mask);
        int32_t best = -1;
        for (size_t id = 0; id < logits.size(); ++id) {
          logits[id] = noise(rng);
          if (mask[id] && (best < 0 || logits[id] > logits[static_cast<size_t>(best)])) best = static_cast<int32_t>(id);
        }
        ASSERT_GE(best, 0) << "no token allowed after: " << text;
        ASSERT_TRUE(matcher.accept(best).ok());
        if (!trie.is_eog(best)) text += vocab.pieces[static_cast<size_t>(best)];
      }
      SCOPED_TRACE("vocab " + vocab.source + ", schema " + std::to_string(s) + ", seed " + std::to_string(g) + ": " + text);
      ASSERT_TRUE(matcher.is_finished()) << "did not finish within " << kMaxTokens << " tokens";
      json parsed;
      ASSERT_NO_THROW(parsed = json::parse(text));
      EXPECT_EQ(testing::validate(parsed, schemas[s]), "");
    }
  }
}

}  // namespace
}  // namespace edgenode::engine::grammar
