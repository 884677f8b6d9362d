#include "synthetic_vocab.h"

#include <cstdio>
#include <string_view>
#include <unordered_set>

namespace edgenode::tools {
namespace {

const std::string kSpace = "\xe2\x96\x81";  // U+2581, SentencePiece's visible space

// Common English words (story-like text tokenizes into whole pieces).
constexpr std::string_view kWords[] = {
    "the", "and", "was", "to", "a", "he", "she", "it", "they", "said", "her", "his", "of", "in",
    "you", "that", "with", "for", "on", "one", "day", "once", "upon", "time", "there", "little",
    "girl", "boy", "named", "lily", "tim", "big", "very", "happy", "wanted", "play", "saw", "mom",
    "friend", "friends", "went", "had", "were", "is", "are", "be", "have", "not", "but", "what",
    "all", "when", "can", "from", "up", "out", "so", "go", "them", "then", "do", "like",
    "see", "could", "would", "into", "has", "more", "no", "way", "my", "me", "we", "an",
    "this", "at", "by", "or", "as", "if", "about", "some", "how", "who", "will", "other", "now",
    "over", "down", "only", "new", "just", "good", "know", "take", "people", "year", "your",
    "make", "him", "look", "come", "think", "also", "back", "after", "use", "two", "first",
    "well", "even", "want", "because", "any", "these", "give", "most", "us", "tree", "park",
    "ball", "dog", "cat", "bird", "sun", "sky", "red", "blue", "green", "house", "home", "water",
    "fun", "sad", "help", "found", "ran", "smiled", "laughed", "together", "ever",
    "machine", "sensor", "temperature", "vibration", "pressure", "status", "alarm", "ok", "watch",
    "value", "reading", "high", "low", "normal", "error", "warning", "device", "line", "plant",
    "true", "false", "null", "name", "type", "id", "data", "result", "reason", "level",
};

constexpr std::string_view kPunctuation = ".,!?;:'\"-()[]{}/\\@#$%&*+=<>_~`^|";

struct Builder {
  SyntheticVocab vocab;
  std::unordered_set<std::string> seen;
  size_t limit;

  bool full() const { return vocab.tokens.size() >= limit; }

  void add(std::string text, TokenType type, float score) {
    if (full() || !seen.insert(text).second) return;
    vocab.tokens.push_back(std::move(text));
    vocab.token_types.push_back(static_cast<int32_t>(type));
    vocab.scores.push_back(score);
  }

  // Pieces score -rank: earlier (shorter, commoner) pieces merge first.
  void add_piece(std::string text) { add(std::move(text), TokenType::normal, -static_cast<float>(vocab.tokens.size())); }

  void add_with_prefixes(const std::string& text) {
    // Prefixes on UTF-8 boundaries only; U+2581 is three bytes.
    for (size_t end = 1; end <= text.size(); ++end) {
      if (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) continue;
      add_piece(text.substr(0, end));
    }
  }
};

std::string byte_token(int b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "<0x%02X>", b);
  return buf;
}

std::string capitalized(std::string_view w) {
  std::string s(w);
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

const char* const kLlamaSpecials[] = {"<unk>", "<s>", "</s>"};
const char* const kGemmaSpecials[] = {"<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"};
const char* const kPhi3Trailing[] = {"<|endoftext|>", "<|user|>", "<|assistant|>", "<|end|>"};

}  // namespace

int min_vocab_size(SpecialTokenStyle style) {
  switch (style) {
    case SpecialTokenStyle::llama: return 3 + 256 + 1;
    case SpecialTokenStyle::phi3: return 3 + 256 + 1 + 4;
    case SpecialTokenStyle::gemma3: return 6 + 256 + 1;
  }
  return 0;
}

SyntheticVocab make_synthetic_vocab(int n_vocab, SpecialTokenStyle style) {
  const size_t trailing = style == SpecialTokenStyle::phi3 ? std::size(kPhi3Trailing) : 0;
  Builder b{{}, {}, static_cast<size_t>(n_vocab) - trailing};
  SyntheticVocab& v = b.vocab;

  if (style == SpecialTokenStyle::gemma3) {
    for (const char* s : kGemmaSpecials) b.add(s, TokenType::control, 0.0f);
    v.token_types[3] = static_cast<int32_t>(TokenType::unknown);
    v.padding_id = 0, v.eos_id = 1, v.bos_id = 2, v.unknown_id = 3;
    v.eog_ids = {5};  // <end_of_turn>
    v.add_space_prefix = false;
  } else {
    for (const char* s : kLlamaSpecials) b.add(s, TokenType::control, 0.0f);
    v.token_types[0] = static_cast<int32_t>(TokenType::unknown);
    v.unknown_id = 0, v.bos_id = 1, v.eos_id = 2;
  }
  for (int byte = 0; byte < 256; ++byte) b.add(byte_token(byte), TokenType::byte, 0.0f);

  b.add_piece(kSpace);
  for (char c = 'a'; c <= 'z'; ++c) b.add_piece(std::string(1, c));
  for (char c = 'A'; c <= 'Z'; ++c) b.add_piece(std::string(1, c));
  for (char c = '0'; c <= '9'; ++c) b.add_piece(std::string(1, c));
  for (char c : kPunctuation) b.add_piece(std::string(1, c));
  for (char c = 'a'; c <= 'z'; ++c) b.add_piece(kSpace + std::string(1, c));
  for (std::string_view w : kWords) {
    b.add_with_prefixes(kSpace + std::string(w));
    b.add_with_prefixes(kSpace + capitalized(w));
    b.add_with_prefixes(std::string(w));
  }
  // Fill the rest with letter strings of growing length, with and without a leading space;
  // enumerating by length keeps the set prefix-closed.
  std::vector<std::string> layer = {""};
  while (!b.full()) {
    std::vector<std::string> next;
    next.reserve(layer.size() * 26);
    for (const auto& s : layer) {
      for (char c = 'a'; c <= 'z' && !b.full(); ++c) {
        next.push_back(s + c);
        b.add_piece(next.back());
        b.add_piece(kSpace + next.back());
      }
      if (b.full()) break;
    }
    layer = std::move(next);
  }

  if (style == SpecialTokenStyle::phi3) {
    b.limit = static_cast<size_t>(n_vocab);
    for (const char* s : kPhi3Trailing) b.add(s, TokenType::control, 0.0f);
    const auto first = static_cast<int32_t>(n_vocab - trailing);
    v.eos_id = first;          // <|endoftext|>
    v.padding_id = first;
    v.eog_ids = {first + 3};  // <|end|>
  }
  return std::move(b.vocab);
}

}  // namespace edgenode::tools
