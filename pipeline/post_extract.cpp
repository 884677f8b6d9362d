#include "pipeline/post_extract.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cstdlib>

#include "pipeline/field_path.h"

namespace edgenode::pipeline {

using nlohmann::json;

namespace {

constexpr uint32_t kMatchLimit = 100000;

class ExtractStep final : public PostStep {
 public:
  ExtractStep(pcre2_code* code, std::string from, std::string into, uint32_t group, bool as_number)
      : code_(code), from_(std::move(from)), into_(std::move(into)), group_(group), as_number_(as_number) {
    context_ = pcre2_match_context_create(nullptr);
    pcre2_set_match_limit(context_, kMatchLimit);
  }
  ~ExtractStep() override {
    pcre2_match_context_free(context_);
    pcre2_code_free(code_);
  }

  Result<void> apply(json& result, const ExprScope&) const override {
    const json* source = find_field(result, from_);
    if (source == nullptr || !source->is_string()) return bad_input("extract: field '" + from_ + "' is not a string");
    const std::string& text = source->get_ref<const std::string&>();
    pcre2_match_data* match = pcre2_match_data_create_from_pattern(code_, nullptr);
    const int rc = pcre2_match(code_, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), 0, 0, match, context_);
    if (rc < 0) {
      pcre2_match_data_free(match);
      if (rc == PCRE2_ERROR_NOMATCH) return bad_input("extract: no match in '" + from_ + "'");
      return bad_input("extract: regex failed (" + std::to_string(rc) + ") on '" + from_ + "'");
    }
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match);
    const bool captured = static_cast<uint32_t>(rc) > group_ && ovector[2 * group_] != PCRE2_UNSET;
    std::string value = captured ? text.substr(ovector[2 * group_], ovector[2 * group_ + 1] - ovector[2 * group_]) : "";
    pcre2_match_data_free(match);
    if (!captured) return bad_input("extract: group " + std::to_string(group_) + " did not match");
    if (as_number_) {
      char* end = nullptr;
      const double number = std::strtod(value.c_str(), &end);
      if (value.empty() || end != value.c_str() + value.size()) {
        return bad_input("extract: '" + into_ + "' is not a number");
      }
      set_field(result, into_, number);
    } else {
      set_field(result, into_, std::move(value));
    }
    return {};
  }

 private:
  pcre2_code* code_;
  pcre2_match_context* context_ = nullptr;
  std::string from_;
  std::string into_;
  uint32_t group_;
  bool as_number_;
};

}  // namespace

const ObjectSpec& extract_step_spec() {
  static const ObjectSpec spec{
      .name = "extract",
      .doc = "Takes a regex capture from a string field.",
      .fields =
          {
              {.name = "regex", .type = FieldType::string, .doc = "PCRE2 pattern.", .required = true},
              {.name = "into", .type = FieldType::string, .doc = "Field that receives the capture.", .required = true},
              {.name = "from", .type = FieldType::string, .doc = "String field to search.", .default_value = "text"},
              {.name = "group", .type = FieldType::integer, .doc = "Capture group number (0: the whole match).",
               .default_value = 1, .minimum = 0, .maximum = 99},
              {.name = "as",
               .type = FieldType::string,
               .doc = "Type of the extracted value.",
               .default_value = "string",
               .enum_values = {"string", "number"}},
          },
  };
  return spec;
}

std::unique_ptr<PostStep> build_extract_step(const BuildContext& ctx) {
  const json& v = ctx.values();
  if (!v.contains("regex") || !v.contains("into")) return nullptr;  // reported as missing
  const std::string pattern = v.at("regex").get<std::string>();
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), PCRE2_UTF,
                                   &error_code, &error_offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error_code, message, sizeof(message));
    ctx.diags.error(ctx.tree.pos_in_value(ctx.pointer + "/regex", static_cast<int>(error_offset)),
                    "in regex: " + std::string(reinterpret_cast<const char*>(message)));
    return nullptr;
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // optional speed-up; the interpreter is the fallback
  uint32_t captures = 0;
  pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &captures);
  const auto group = static_cast<uint32_t>(v.value("group", 1));
  if (group > captures) {
    pcre2_code_free(code);
    ctx.error("group", "regex has " + std::to_string(captures) + " capture group(s), not " + std::to_string(group));
    return nullptr;
  }
  return std::make_unique<ExtractStep>(code, v.value("from", std::string("text")), v.at("into").get<std::string>(),
                                       group, v.value("as", std::string("string")) == "number");
}

}  // namespace edgenode::pipeline
