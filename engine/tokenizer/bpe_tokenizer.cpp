#include "engine/tokenizer/bpe_tokenizer.h"

#include <algorithm>
#include <deque>
#include <queue>

#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/nfc.h"
#include "engine/tokenizer/utf8.h"

namespace edgenode::engine {
namespace {

// One live part of a word being merged; merged-away parts get id -1.
struct Part {
  int32_t id;
  int32_t prev;
  int32_t next;
};

struct Candidate {
  int32_t rank;
  int32_t left;      // part index
  int32_t left_id;   // ids at the time the candidate was made, to spot stale entries
  int32_t right_id;
};

// Lowest rank on top; on equal ranks the leftmost pair.
struct CandidateOrder {
  bool operator()(const Candidate& a, const Candidate& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

bool renders_as_text(TokenType type) {
  return type == TokenType::control || type == TokenType::user_defined || type == TokenType::unknown;
}

}  // namespace

// Reused across the pre-tokens of one encode() call: the merge state and a cache of the ids
// of pre-tokens already seen (text repeats words a lot).
struct BpeTokenizer::EncodeScratch {
  std::vector<Part> parts;
  std::vector<Candidate> heap;
  std::vector<std::string_view> words;
  std::unordered_map<std::string_view, std::pair<uint32_t, uint32_t>> cache;  // -> span of cached_ids
  std::vector<int32_t> cached_ids;
  std::deque<std::string> normalized;  // NFC copies of fragments; words and cache keys view them
};

Result<std::unique_ptr<BpeTokenizer>> BpeTokenizer::create(Vocab vocab) {
  auto pre_tokenizer = PreTokenizer::for_name(vocab.pre);
  if (!pre_tokenizer) return pre_tokenizer.error();
  std::unique_ptr<BpeTokenizer> tokenizer(new BpeTokenizer(std::move(vocab), std::move(*pre_tokenizer)));
  tokenizer->build_tables();
  return tokenizer;
}

BpeTokenizer::BpeTokenizer(Vocab vocab, PreTokenizer pre_tokenizer)
    : VocabTokenizer(std::move(vocab)), pre_tokenizer_(std::move(pre_tokenizer)) {}

void BpeTokenizer::build_tables() {
  const Vocab& v = vocab();
  const size_t n = v.tokens.size();
  TextIndex normal_by_text(&v.tokens);
  normal_by_text.reserve(n);
  raw_texts_.assign(n, std::string());
  std::vector<std::string> pieces(n);
  for (size_t id = 0; id < n; ++id) {
    const std::string& text = v.tokens[id];
    const TokenType type = v.types[id];
    if (type == TokenType::normal) {
      normal_by_text.insert(static_cast<int32_t>(id));
      // A token outside the byte-level alphabet stands for its text as written.
      raw_texts_[id] = byte_level::decode(text).value_or(text);
      pieces[id] = raw_texts_[id];
    } else if (renders_as_text(type)) {
      pieces[id] = text;
    }
  }
  if (pre_tokenizer_.ignore_merges()) {
    whole_words_.reserve(n);
    for (size_t id = 0; id < n; ++id) {
      if (v.types[id] == TokenType::normal) whole_words_.insert(static_cast<int32_t>(id));
    }
  }
  for (int b = 0; b < 256; ++b) {
    std::string spelled;
    utf8::append_codepoint(spelled, byte_level::codepoint_of(static_cast<uint8_t>(b)));
    byte_tokens_[b] = normal_by_text.find(spelled);
  }

  merges_.reserve(v.merges.size());
  std::string joined;
  for (size_t rank = 0; rank < v.merges.size(); ++rank) {
    const std::string& merge = v.merges[rank];
    const size_t space = merge.find(' ', 1);
    if (space == std::string::npos) continue;
    const std::string_view left(merge.data(), space);
    const std::string_view right(merge.data() + space + 1, merge.size() - space - 1);
    joined.assign(left).append(right);
    const int32_t l = normal_by_text.find(left);
    const int32_t r = normal_by_text.find(right);
    const int32_t m = normal_by_text.find(joined);
    // A merge whose parts or result are not normal tokens can never apply.
    if (l < 0 || r < 0 || m < 0) continue;
    merges_.try_emplace(pair_key(l, r), Merge{static_cast<int32_t>(rank), m});
  }
  set_pieces(std::move(pieces));
}

const BpeTokenizer::Merge* BpeTokenizer::find_merge(int32_t left, int32_t right) const {
  auto it = merges_.find(pair_key(left, right));
  return it == merges_.end() ? nullptr : &it->second;
}

std::vector<int32_t> BpeTokenizer::encode(std::string_view text, bool add_bos, bool parse_special) const {
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 2);
  if (add_bos && add_bos_default()) out.push_back(bos());
  std::vector<TextFragment> fragments;
  splitter().split(text, parse_special, fragments);
  EncodeScratch scratch;
  for (const TextFragment& fragment : fragments) {
    if (fragment.token >= 0) {
      out.push_back(fragment.token);
      continue;
    }
    std::string_view fragment_text = fragment.text;
    std::string nfc_text;
    if (pre_tokenizer_.normalizes_to_nfc() && to_nfc(fragment_text, nfc_text)) {
      fragment_text = scratch.normalized.emplace_back(std::move(nfc_text));
    }
    scratch.words.clear();
    pre_tokenizer_.split(fragment_text, scratch.words);
    for (std::string_view word : scratch.words) {
      auto cached = scratch.cache.find(word);
      if (cached != scratch.cache.end()) {
        const auto [offset, count] = cached->second;
        out.insert(out.end(), scratch.cached_ids.begin() + offset, scratch.cached_ids.begin() + offset + count);
        continue;
      }
      const size_t first = out.size();
      encode_word(word, scratch, out);
      const auto offset = static_cast<uint32_t>(scratch.cached_ids.size());
      scratch.cached_ids.insert(scratch.cached_ids.end(), out.begin() + first, out.end());
      scratch.cache.emplace(word, std::make_pair(offset, static_cast<uint32_t>(out.size() - first)));
    }
  }
  return out;
}

void BpeTokenizer::encode_word(std::string_view word, EncodeScratch& scratch, std::vector<int32_t>& out) const {
  if (pre_tokenizer_.ignore_merges()) {
    const int32_t whole = whole_words_.find(word);
    if (whole >= 0) {
      out.push_back(whole);
      return;
    }
  }
  std::vector<Part>& parts = scratch.parts;
  parts.clear();
  for (char c : word) {
    const int32_t id = byte_tokens_[static_cast<uint8_t>(c)];
    if (id < 0) continue;  // a vocabulary without this byte cannot spell it
    const auto index = static_cast<int32_t>(parts.size());
    parts.push_back({id, index - 1, index + 1});
  }
  if (parts.empty()) return;
  parts.back().next = -1;

  std::vector<Candidate>& heap = scratch.heap;
  heap.clear();
  auto consider = [&](int32_t left) {
    if (left < 0) return;
    const int32_t right = parts[left].next;
    if (right < 0) return;
    if (const Merge* merge = find_merge(parts[left].id, parts[right].id)) {
      heap.push_back({merge->rank, left, parts[left].id, parts[right].id});
      std::push_heap(heap.begin(), heap.end(), CandidateOrder{});
    }
  };
  for (int32_t i = 0; i + 1 < static_cast<int32_t>(parts.size()); ++i) consider(i);

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), CandidateOrder{});
    const Candidate candidate = heap.back();
    heap.pop_back();
    Part& left = parts[candidate.left];
    if (left.id != candidate.left_id || left.next < 0) continue;
    Part& right = parts[left.next];
    if (right.id != candidate.right_id) continue;
    left.id = find_merge(candidate.left_id, candidate.right_id)->result;
    right.id = -1;
    left.next = right.next;
    if (left.next >= 0) parts[left.next].prev = candidate.left;
    consider(left.prev);
    consider(candidate.left);
  }
  for (int32_t i = 0; i >= 0; i = parts[i].next) out.push_back(parts[i].id);
}

}  // namespace edgenode::engine
