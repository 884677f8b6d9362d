#define PCRE2_CODE_UNIT_WIDTH 8
#include "engine/tokenizer/pre_tokenizer.h"

#include <pcre2.h>
#include <spdlog/spdlog.h>

#include <array>
#include <initializer_list>
#include <string>
#include <string_view>

namespace edgenode::engine {
namespace {

// Hugging Face pre-tokenizer patterns (tokenizer.json "Split" / ByteLevel regexes).
constexpr const char* kGpt2 = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
constexpr const char* kLlama3 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char* kQwen2 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char* kGpt4o =
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?)"
    R"(|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?)"
    R"(|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// Digits(individual_digits = true): the Rust tokenizers split on char::is_numeric (Nd, Nl,
// No), so "½" and "①" are digits too; transformers.js uses JavaScript's ASCII-only \d.
constexpr const char* kDigits = R"(\p{N})";

// PCRE2's \s (with UCP) is Unicode White_Space plus U+180E MONGOLIAN VOWEL SEPARATOR, which
// Unicode stopped counting as a space in 6.3; Hugging Face (Oniguruma), JavaScript and
// llama.cpp treat it as an ordinary format character. (transformers.js differs from the Rust
// tokenizers on two other characters, and we follow Rust: JavaScript's \s matches U+FEFF and
// misses U+0085 NEXT LINE.) Rewrites a pattern so that \s, \S and
// the "neither space, letter nor number" class agree with them.
std::string with_unicode_white_space(std::string pattern) {
  auto replace_all = [&](std::string_view from, std::string_view to) {
    for (size_t pos = pattern.find(from); pos != std::string::npos; pos = pattern.find(from, pos + to.size())) {
      pattern.replace(pos, from.size(), to);
    }
  };
  constexpr std::string_view kOther = R"([^\s\p{L}\p{N}])";
  constexpr std::string_view kPlaceholder = R"(\x{0})";  // text none of the patterns contains
  replace_all(kOther, kPlaceholder);
  replace_all(R"(\S)", R"([\S\x{180E}])");
  replace_all(R"(\s)", R"([^\S\x{180E}])");
  replace_all(kPlaceholder, R"((?:[^\s\p{L}\p{N}]|\x{180E}))");
  return pattern;
}

struct Family {
  const char* name;
  std::initializer_list<const char*> pre_names;  // tokenizer.ggml.pre values (llama.cpp's)
  std::initializer_list<const char*> patterns;
  bool ignore_merges;
  bool nfc = false;  // tokenizer.json has an NFC normalizer ahead of the split
};

const std::array<Family, 5> kFamilies = {{
    {"llama3", {"llama3", "llama-v3", "llama-bpe", "falcon3"}, {kLlama3}, true},
    {"llama3-merges", {"smaug-bpe", "dbrx", "chatglm-bpe"}, {kLlama3}, false},
    {"qwen2", {"qwen2", "deepseek-r1-qwen", "megrez", "stablelm2"}, {kQwen2}, false, true},
    {"smollm", {"smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b"},
     {kDigits, kGpt2}, false},
    {"gpt-4o", {"gpt-4o"}, {kGpt4o}, false},
}};
const Family kDefault = {"gpt2", {"default", "gpt-2", "gpt2", "phi-2", "roberta-bpe", "mpt", "olmo", "jais"}, {kGpt2}, false};

bool names(const Family& family, std::string_view pre) {
  for (const char* name : family.pre_names) {
    if (pre == name) return true;
  }
  return false;
}

// Per-thread match state; the JIT stack is larger than PCRE2's default so long runs of one
// character class (64 KB of spaces, say) still match with the JIT.
struct MatchScratch {
  pcre2_jit_stack* jit_stack = pcre2_jit_stack_create(32 * 1024, 4 * 1024 * 1024, nullptr);
  pcre2_match_context* context = pcre2_match_context_create(nullptr);
  pcre2_match_data* data = pcre2_match_data_create(1, nullptr);

  MatchScratch() {
    if (jit_stack) pcre2_jit_stack_assign(context, nullptr, jit_stack);
  }
  ~MatchScratch() {
    pcre2_match_data_free(data);
    pcre2_match_context_free(context);
    if (jit_stack) pcre2_jit_stack_free(jit_stack);
  }
  MatchScratch(const MatchScratch&) = delete;
  MatchScratch& operator=(const MatchScratch&) = delete;
};

MatchScratch& match_scratch() {
  thread_local MatchScratch scratch;
  return scratch;
}

}  // namespace

struct PreTokenizer::Pattern {
  pcre2_code* code = nullptr;
  ~Pattern() { pcre2_code_free(code); }
};

PreTokenizer::PreTokenizer(PreTokenizer&&) noexcept = default;
PreTokenizer& PreTokenizer::operator=(PreTokenizer&&) noexcept = default;
PreTokenizer::~PreTokenizer() = default;

Result<PreTokenizer> PreTokenizer::for_name(std::string_view pre) {
  const Family* family = nullptr;
  for (const Family& candidate : kFamilies) {
    if (names(candidate, pre)) family = &candidate;
  }
  if (!family) {
    if (!names(kDefault, pre)) {
      spdlog::warn("event=unknown_pre_tokenizer pre='{}' using=gpt2", pre);
    }
    family = &kDefault;
  }
  PreTokenizer result;
  result.name_ = family->name;
  result.ignore_merges_ = family->ignore_merges;
  result.nfc_ = family->nfc;
  for (const char* hf_source : family->patterns) {
    const std::string source = with_unicode_white_space(hf_source);
    int error_code = 0;
    PCRE2_SIZE error_offset = 0;
    auto pattern = std::make_unique<Pattern>();
    pattern->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(source.data()), source.size(),
                                  PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &error_code, &error_offset,
                                  nullptr);
    if (!pattern->code) {
      std::array<PCRE2_UCHAR, 256> message{};
      pcre2_get_error_message(error_code, message.data(), message.size());
      return internal_error("pre-tokenizer " + std::string(family->name) + ": regex error at offset " +
                            std::to_string(error_offset) + ": " + reinterpret_cast<const char*>(message.data()));
    }
    // Without JIT support PCRE2 still matches, only slower.
    if (pcre2_jit_compile(pattern->code, PCRE2_JIT_COMPLETE) != 0) {
      spdlog::warn("event=pcre2_jit_unavailable pre_tokenizer={}", family->name);
    }
    result.patterns_.push_back(std::move(pattern));
  }
  return result;
}

void PreTokenizer::split(std::string_view text, std::vector<std::string_view>& out) const {
  if (text.empty()) return;
  if (patterns_.size() == 1) {
    split_with(*patterns_[0], text, out);
    return;
  }
  std::vector<std::string_view> pieces{text};
  std::vector<std::string_view> next;
  for (size_t i = 0; i < patterns_.size(); ++i) {
    std::vector<std::string_view>& target = i + 1 == patterns_.size() ? out : next;
    for (std::string_view piece : pieces) split_with(*patterns_[i], piece, target);
    if (&target == &next) {
      pieces.swap(next);
      next.clear();
    }
  }
}

void PreTokenizer::split_with(const Pattern& pattern, std::string_view text, std::vector<std::string_view>& out) const {
  MatchScratch& scratch = match_scratch();
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t gap_from = 0;  // start of the text not covered by a match yet
  size_t pos = 0;
  while (pos < text.size()) {
    const int rc = pcre2_match(pattern.code, subject, text.size(), pos, 0, scratch.data, scratch.context);
    if (rc < 0) {
      if (rc != PCRE2_ERROR_NOMATCH) {
        spdlog::warn("event=pre_tokenizer_match_error pre_tokenizer={} code={}", name_, rc);
      }
      break;
    }
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(scratch.data);
    const size_t begin = ovector[0];
    const size_t end = ovector[1];
    if (end == begin) {  // an empty match cannot split anything; look on from the next character
      pos = begin + 1;
      while (pos < text.size() && (static_cast<uint8_t>(text[pos]) & 0xC0) == 0x80) ++pos;
      continue;
    }
    if (begin > gap_from) out.push_back(text.substr(gap_from, begin - gap_from));
    out.push_back(text.substr(begin, end - begin));
    pos = gap_from = end;
  }
  if (gap_from < text.size()) out.push_back(text.substr(gap_from));
}

}  // namespace edgenode::engine
