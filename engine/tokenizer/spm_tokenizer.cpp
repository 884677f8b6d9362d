#include "engine/tokenizer/spm_tokenizer.h"

#include <algorithm>
#include <cctype>
#include <deque>
#include <queue>
#include <string>
#include <unordered_map>

#include "engine/tokenizer/sentencepiece_text.h"
#include "engine/tokenizer/utf8.h"

namespace edgenode::engine {
namespace {

using sentencepiece::kSpaceMarker;

// A run of input bytes; merged-away symbols keep length 0. prev/next chain the live ones.
struct Symbol {
  uint32_t begin;
  uint32_t length;
  int32_t prev;
  int32_t next;
};

struct Bigram {
  float score;
  int32_t left;
  int32_t right;
  uint32_t length;  // bytes of the merged piece, to detect entries made stale by other merges
};

// Highest score on top; on equal scores the leftmost pair.
struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

constexpr int kPairFilterBits = 25;

// A key mixing the bytes of two adjacent characters (it only feeds the filter's hash, so
// bits lost to overflow cost at most a missed split, never a wrong one).
uint64_t pair_key(std::string_view left, std::string_view right) {
  uint64_t key = 0;
  for (char c : left) key = (key << 8) | static_cast<uint8_t>(c);
  key = (key << 3) | left.size();  // keeps "ab"+"c" apart from "a"+"bc"
  for (char c : right) key = (key << 8) | static_cast<uint8_t>(c);
  return key;
}

size_t filter_bit(uint64_t key) { return (key * 0x9E3779B97F4A7C15ull) >> (64 - kPairFilterBits); }

// The bytes of the character at pos. An invalid sequence counts only as far as it is well
// formed (at least one byte), so a byte after it (an escaped space, say) starts a character
// of its own and byte fallback gives back exactly the input bytes.
size_t char_length_at(std::string_view text, size_t pos) {
  bool complete = false;
  const size_t length = utf8::valid_prefix(text, pos, complete);
  return length == 0 ? 1 : length;
}

bool is_hex_byte_token(const std::string& text) {
  return text.size() == 6 && text.starts_with("<0x") && text.back() == '>' && std::isxdigit(static_cast<uint8_t>(text[3])) &&
         std::isxdigit(static_cast<uint8_t>(text[4]));
}

// The text a token stands for: byte tokens give their byte, normal pieces their text with
// U+2581 turned back into spaces, other tokens their text as written.
std::string piece_of(const Vocab& vocab, size_t id) {
  const std::string& text = vocab.tokens[id];
  if (vocab.types[id] == TokenType::byte && is_hex_byte_token(text)) {
    return std::string(1, static_cast<char>(std::stoi(text.substr(3, 2), nullptr, 16)));
  }
  if (vocab.types[id] != TokenType::normal) return text;
  return sentencepiece::unescape_spaces(text);
}

}  // namespace

// Ids of the chunks seen in one encode() call. The escaped fragments the keys point into
// live here too (a deque never moves its elements).
struct SpmTokenizer::ChunkCache {
  std::deque<std::string> escaped_fragments;
  std::unordered_map<std::string_view, std::pair<uint32_t, uint32_t>> spans;  // -> span of ids
  std::vector<int32_t> ids;
};

SpmTokenizer::SpmTokenizer(Vocab vocab) : VocabTokenizer(std::move(vocab)) {
  const Vocab& v = this->vocab();
  byte_tokens_.fill(-1);
  spanned_pairs_.assign((size_t{1} << kPairFilterBits) / 64, 0);
  mergeable_ = TextIndex(&v.tokens);
  mergeable_.reserve(v.tokens.size());
  std::vector<std::string> pieces(v.tokens.size());
  for (size_t id = 0; id < v.tokens.size(); ++id) {
    const std::string& text = v.tokens[id];
    const TokenType type = v.types[id];
    if (type == TokenType::normal || type == TokenType::user_defined) {
      mergeable_.insert(static_cast<int32_t>(id));
      note_adjacent_characters(text);
    }
    if (type == TokenType::byte && is_hex_byte_token(text)) {
      const int byte = std::stoi(text.substr(3, 2), nullptr, 16);
      if (byte_tokens_[byte] < 0) byte_tokens_[byte] = static_cast<int32_t>(id);
    }
    pieces[id] = piece_of(v, id);
  }
  set_pieces(std::move(pieces));
}

void SpmTokenizer::note_adjacent_characters(std::string_view piece) {
  size_t pos = 0;
  while (pos < piece.size()) {
    const size_t length = char_length_at(piece, pos);
    const size_t next = pos + length;
    if (next >= piece.size()) break;
    const size_t bit = filter_bit(pair_key(piece.substr(pos, length), piece.substr(next, char_length_at(piece, next))));
    spanned_pairs_[bit / 64] |= uint64_t{1} << (bit % 64);
    pos = next;
  }
}

bool SpmTokenizer::may_be_spanned(std::string_view left_char, std::string_view right_char) const {
  const size_t bit = filter_bit(pair_key(left_char, right_char));
  return (spanned_pairs_[bit / 64] >> (bit % 64)) & 1;
}

int32_t SpmTokenizer::mergeable_id(std::string_view text) const { return mergeable_.find(text); }

std::vector<int32_t> SpmTokenizer::encode(std::string_view text, bool add_bos, bool parse_special) const {
  std::vector<int32_t> out;
  if (add_bos && add_bos_default()) out.push_back(bos());
  std::vector<TextFragment> fragments;
  splitter().split(text, parse_special, fragments);
  // The dummy-prefix space goes before the text and again after every added token.
  bool after_added_token = true;
  ChunkCache cache;
  std::vector<TextFragment> pieces;
  for (const TextFragment& fragment : fragments) {
    if (fragment.token >= 0) {
      out.push_back(fragment.token);
      after_added_token = true;
      continue;
    }
    std::string& escaped = cache.escaped_fragments.emplace_back();
    if (vocab().add_space_prefix && after_added_token) escaped = kSpaceMarker;
    escaped += sentencepiece::escape_spaces(fragment.text);
    // Once spaces are U+2581, user-defined pieces such as "▁▁" are taken whole before any
    // merge, as SentencePiece does (Hugging Face's converted merges put them first too).
    pieces.clear();
    splitter().split_escaped(escaped, pieces);
    for (const TextFragment& piece : pieces) {
      if (piece.token >= 0) {
        out.push_back(piece.token);
      } else {
        encode_escaped(piece.text, cache, out);
      }
    }
    after_added_token = false;
  }
  return out;
}

void SpmTokenizer::encode_escaped(std::string_view text, ChunkCache& cache, std::vector<int32_t>& out) const {
  size_t chunk_from = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t length = char_length_at(text, pos);
    const size_t next = pos + length;
    if (next == text.size() || !may_be_spanned(text.substr(pos, length), text.substr(next, char_length_at(text, next)))) {
      const std::string_view chunk = text.substr(chunk_from, next - chunk_from);
      auto cached = cache.spans.find(chunk);
      if (cached != cache.spans.end()) {
        const auto [offset, count] = cached->second;
        out.insert(out.end(), cache.ids.begin() + offset, cache.ids.begin() + offset + count);
      } else {
        const size_t first = out.size();
        encode_chunk(chunk, out);
        const auto offset = static_cast<uint32_t>(cache.ids.size());
        cache.ids.insert(cache.ids.end(), out.begin() + first, out.end());
        cache.spans.emplace(chunk, std::make_pair(offset, static_cast<uint32_t>(out.size() - first)));
      }
      chunk_from = next;
    }
    pos = next;
  }
}

void SpmTokenizer::encode_chunk(std::string_view text, std::vector<int32_t>& out) const {
  if (text.empty()) return;
  std::vector<Symbol> symbols;
  symbols.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    const size_t length = char_length_at(text, pos);
    const auto index = static_cast<int32_t>(symbols.size());
    symbols.push_back({static_cast<uint32_t>(pos), static_cast<uint32_t>(length), index - 1,
                       pos + length == text.size() ? -1 : index + 1});
    pos += length;
  }

  std::vector<Bigram> storage;
  storage.reserve(symbols.size());
  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue(BigramOrder{}, std::move(storage));
  auto try_add = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const uint32_t length = symbols[left].length + symbols[right].length;
    const int32_t id = mergeable_id(text.substr(symbols[left].begin, length));
    if (id < 0) return;
    queue.push({vocab().scores[id], left, right, length});
  };
  for (size_t i = 1; i < symbols.size(); ++i) try_add(static_cast<int32_t>(i - 1), static_cast<int32_t>(i));

  while (!queue.empty()) {
    const Bigram bigram = queue.top();
    queue.pop();
    Symbol& left = symbols[bigram.left];
    Symbol& right = symbols[bigram.right];
    if (left.length == 0 || right.length == 0 || left.length + right.length != bigram.length) continue;
    left.length += right.length;
    right.length = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = bigram.left;
    try_add(left.prev, bigram.left);
    try_add(bigram.left, left.next);
  }

  for (int32_t i = 0; i >= 0; i = symbols[i].next) {
    const std::string_view symbol = text.substr(symbols[i].begin, symbols[i].length);
    const int32_t id = mergeable_id(symbol);
    if (id >= 0) {
      out.push_back(id);
    } else {
      append_byte_fallback(symbol, out);
    }
  }
}

void SpmTokenizer::append_byte_fallback(std::string_view symbol, std::vector<int32_t>& out) const {
  for (char c : symbol) {
    if (byte_tokens_[static_cast<uint8_t>(c)] < 0) {
      // A vocabulary without byte tokens: the whole character becomes the unknown token.
      if (vocab().unk >= 0) out.push_back(vocab().unk);
      return;
    }
  }
  for (char c : symbol) out.push_back(byte_tokens_[static_cast<uint8_t>(c)]);
}

}  // namespace edgenode::engine
