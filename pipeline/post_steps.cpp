#include "pipeline/post_steps.h"

#include <cmath>

#include "bus/codec.h"
#include "pipeline/compile_field.h"
#include "pipeline/field_path.h"
#include "pipeline/post_extract.h"

namespace edgenode::pipeline {

using nlohmann::json;

namespace {

class ParseJsonStep final : public PostStep {
 public:
  ParseJsonStep(std::string from, std::string into) : from_(std::move(from)), into_(std::move(into)) {}
  Result<void> apply(json& result, const ExprScope&) const override {
    const json* source = find_field(result, from_);
    if (source == nullptr || !source->is_string()) return bad_input("parse_json: field '" + from_ + "' is not a string");
    // Model output often has text around the JSON; take the outermost {...} or [...].
    const std::string& text = source->get_ref<const std::string&>();
    const size_t begin = text.find_first_of("{[");
    const size_t end = text.find_last_of("}]");
    if (begin == std::string::npos || end == std::string::npos || end < begin) {
      return bad_input("parse_json: no JSON object in '" + from_ + "'");
    }
    auto parsed = bus::decode_json(std::string_view(text).substr(begin, end - begin + 1));
    if (!parsed) return bad_input("parse_json: " + parsed.error().message);
    if (into_.empty()) {
      if (!parsed->is_object()) return bad_input("parse_json: '" + from_ + "' is not a JSON object (set `into`)");
      result.erase(from_);
      for (auto& [key, value] : parsed->items()) result[key] = value;
    } else {
      set_field(result, into_, std::move(parsed).value());
    }
    return {};
  }

 private:
  std::string from_, into_;
};

class MapStep final : public PostStep {
 public:
  MapStep(std::string field, std::string to, json values, json fallback)
      : field_(std::move(field)), to_(std::move(to)), values_(std::move(values)), fallback_(std::move(fallback)) {}
  Result<void> apply(json& result, const ExprScope&) const override {
    const json* value = find_field(result, field_);
    if (value == nullptr) return bad_input("map: field '" + field_ + "' is missing");
    const std::string key = value->is_string() ? value->get<std::string>() : value->dump();
    auto it = values_.find(key);
    if (it != values_.end()) {
      set_field(result, to_, *it);
    } else if (!fallback_.is_null()) {
      set_field(result, to_, fallback_);
    } else {
      return bad_input("map: no entry for the value of '" + field_ + "'");
    }
    return {};
  }

 private:
  std::string field_, to_;
  json values_, fallback_;
};

class ThresholdStep final : public PostStep {
 public:
  ThresholdStep(std::string field, std::string to, std::vector<std::pair<double, json>> levels, json below)
      : field_(std::move(field)), to_(std::move(to)), levels_(std::move(levels)), below_(std::move(below)) {}
  Result<void> apply(json& result, const ExprScope&) const override {
    const json* value = find_field(result, field_);
    if (value == nullptr || !value->is_number()) return bad_input("threshold: field '" + field_ + "' is not a number");
    const double x = value->get<double>();
    const json* label = &below_;
    for (const auto& [bound, level_label] : levels_) {
      if (x >= bound) label = &level_label;  // levels are sorted by bound
    }
    set_field(result, to_, *label);
    return {};
  }

 private:
  std::string field_, to_;
  std::vector<std::pair<double, json>> levels_;
  json below_;
};

class SetStep final : public PostStep {
 public:
  SetStep(std::string field, json value, std::optional<Expression> expr)
      : field_(std::move(field)), value_(std::move(value)), expr_(std::move(expr)) {}
  Result<void> apply(json& result, const ExprScope& scope) const override {
    if (!expr_) {
      set_field(result, field_, value_);
      return {};
    }
    ExprScope with_result = scope;
    with_result.result = &result;
    auto value = expr_->evaluate(with_result);
    if (!value) return bad_input("set " + field_ + ": " + value.error().message);
    set_field(result, field_, std::move(value).value());
    return {};
  }

 private:
  std::string field_;
  json value_;
  std::optional<Expression> expr_;
};

class RemoveStep final : public PostStep {
 public:
  explicit RemoveStep(std::vector<std::string> fields) : fields_(std::move(fields)) {}
  Result<void> apply(json& result, const ExprScope&) const override {
    for (const auto& field : fields_) remove_field(result, field);
    return {};
  }

 private:
  std::vector<std::string> fields_;
};

class RoundStep final : public PostStep {
 public:
  RoundStep(std::string field, int digits) : field_(std::move(field)), digits_(digits) {}
  Result<void> apply(json& result, const ExprScope&) const override {
    const json* value = find_field(result, field_);
    if (value == nullptr || !value->is_number()) return bad_input("round: field '" + field_ + "' is not a number");
    if (digits_ <= 0 && value->is_number_integer()) return {};
    const double scale = std::pow(10.0, digits_);
    const double rounded = std::round(value->get<double>() * scale) / scale;
    if (digits_ <= 0) set_field(result, field_, static_cast<int64_t>(rounded));
    else set_field(result, field_, rounded);
    return {};
  }

 private:
  std::string field_;
  int digits_;
};

const ObjectSpec& parse_json_spec() {
  static const ObjectSpec spec{
      .name = "parse_json",
      .doc = "Parses a string field (the model's text) as JSON. Text around the outermost {...} is ignored.",
      .fields = {
          {.name = "from", .type = FieldType::string, .doc = "String field to parse.", .default_value = "text"},
          {.name = "into",
           .type = FieldType::string,
           .doc = "Field that receives the value; empty merges the object's fields into the result and "
                  "removes `from`.",
           .default_value = ""},
      }};
  return spec;
}

const ObjectSpec& level_spec() {
  static const ObjectSpec spec{
      .name = "threshold level",
      .doc = "A lower bound and its label.",
      .fields = {
          {.name = "above", .type = FieldType::number, .doc = "Values at or above this get the label.", .required = true},
          {.name = "label", .type = FieldType::any, .doc = "The label.", .required = true},
      }};
  return spec;
}

const ObjectSpec& map_spec() {
  static const ObjectSpec spec{
      .name = "map",
      .doc = "Looks a field's value up in a table.",
      .fields = {
          {.name = "field", .type = FieldType::string, .doc = "Field whose value is looked up.", .required = true},
          {.name = "to", .type = FieldType::string, .doc = "Field that receives the mapped value (default: `field`)."},
          {.name = "values", .type = FieldType::mapping, .doc = "Table of value → mapped value.", .required = true},
          {.name = "default", .type = FieldType::any, .doc = "Used for values not in the table; without it such a "
                                                             "value dead-letters the message."},
      }};
  return spec;
}

const ObjectSpec& threshold_spec() {
  static const ObjectSpec spec{
      .name = "threshold",
      .doc = "Classifies a number by lower bounds.",
      .fields = {
          {.name = "field", .type = FieldType::string, .doc = "Numeric field to classify.", .required = true},
          {.name = "to", .type = FieldType::string, .doc = "Field that receives the label.", .required = true},
          {.name = "levels", .type = FieldType::object_list, .doc = "Bounds and labels, any order.", .required = true,
           .object = &level_spec()},
          {.name = "below", .type = FieldType::any, .doc = "Label for values below every level.", .default_value = "ok"},
      }};
  return spec;
}

const ObjectSpec& set_spec() {
  static const ObjectSpec spec{
      .name = "set",
      .doc = "Sets a field to a literal `value` or to the value of an expression `expr` (which reads payload, "
             "topic, topic_levels, window, result and node).",
      .fields = {
          {.name = "field", .type = FieldType::string, .doc = "Field to set.", .required = true},
          {.name = "value", .type = FieldType::any, .doc = "A literal value."},
          {.name = "expr", .type = FieldType::expression, .doc = "An expression."},
      }};
  return spec;
}

const ObjectSpec& remove_spec() {
  static const ObjectSpec spec{
      .name = "remove",
      .doc = "Removes fields from the result.",
      .fields = {{.name = "fields", .type = FieldType::string_list, .doc = "Fields to remove.", .required = true}}};
  return spec;
}

const ObjectSpec& round_spec() {
  static const ObjectSpec spec{
      .name = "round",
      .doc = "Rounds a number.",
      .fields = {
          {.name = "field", .type = FieldType::string, .doc = "Numeric field.", .required = true},
          {.name = "digits", .type = FieldType::integer, .doc = "Digits after the point.", .default_value = 0,
           .minimum = 0, .maximum = 15},
      }};
  return spec;
}

}  // namespace

const ObjectSpec& post_step_spec() {
  static const ObjectSpec spec{
      .name = "post step",
      .doc = "One step of `post`; steps run in order on the result object.",
      .fields =
          {
              {.name = "parse_json", .type = FieldType::object, .doc = parse_json_spec().doc, .object = &parse_json_spec(),
               .example = "- parse_json: {}"},
              {.name = "extract", .type = FieldType::object, .doc = extract_step_spec().doc,
               .object = &extract_step_spec(), .example = "- extract: {regex: 'status: (\\w+)', into: status}"},
              {.name = "map", .type = FieldType::object, .doc = map_spec().doc, .object = &map_spec(),
               .example = "- map: {field: status, to: severity, values: {ok: 0, watch: 1, alarm: 2}}"},
              {.name = "threshold", .type = FieldType::object, .doc = threshold_spec().doc, .object = &threshold_spec(),
               .example = "- threshold: {field: rms, to: level, levels: [{above: 0.5, label: watch}, {above: 2, label: alarm}]}"},
              {.name = "set", .type = FieldType::object, .doc = set_spec().doc, .object = &set_spec(),
               .example = "- set: {field: machine, expr: 'topic_levels[1]'}"},
              {.name = "remove", .type = FieldType::object, .doc = remove_spec().doc, .object = &remove_spec(),
               .example = "- remove: {fields: [text]}"},
              {.name = "round", .type = FieldType::object, .doc = round_spec().doc, .object = &round_spec(),
               .example = "- round: {field: rms, digits: 2}"},
          },
      .exactly_one = true,
  };
  return spec;
}

std::unique_ptr<PostStep> build_post_step(const BuildContext& item) {
  const json& values = item.values();
  if (!values.is_object() || values.size() != 1) return nullptr;  // reported by the reader
  const std::string type = values.begin().key();
  const BuildContext ctx = item.at(type);
  const json& v = ctx.values();
  auto text = [&](const char* key, const std::string& fallback = {}) { return v.value(key, fallback); };
  if (type == "extract") return build_extract_step(ctx);
  if (type == "parse_json") return std::make_unique<ParseJsonStep>(text("from", "text"), text("into"));
  if (type == "remove") {
    if (!v.contains("fields")) return nullptr;
    return std::make_unique<RemoveStep>(v.at("fields").get<std::vector<std::string>>());
  }
  if (!v.contains("field")) return nullptr;  // every other step needs it; reported as missing
  const std::string field = v.at("field").get<std::string>();
  if (type == "map") {
    if (!v.contains("values")) return nullptr;
    return std::make_unique<MapStep>(field, text("to", field), v.at("values"), v.value("default", json()));
  }
  if (type == "threshold") {
    if (!v.contains("to") || !v.contains("levels")) return nullptr;
    std::vector<std::pair<double, json>> levels;
    for (const auto& level : v.at("levels")) {
      if (level.contains("above") && level.contains("label")) levels.emplace_back(level.at("above").get<double>(), level.at("label"));
    }
    std::sort(levels.begin(), levels.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    return std::make_unique<ThresholdStep>(field, v.at("to").get<std::string>(), std::move(levels), v.value("below", json("ok")));
  }
  if (type == "set") {
    if (v.contains("value") == v.contains("expr")) {
      ctx.error("", "set needs either value or expr");
      return nullptr;
    }
    if (v.contains("value")) return std::make_unique<SetStep>(field, v.at("value"), std::nullopt);
    auto expr = compile_expression_field(ctx, "expr");
    if (!expr) return nullptr;
    return std::make_unique<SetStep>(field, json(), std::move(expr));
  }
  // round
  return std::make_unique<RoundStep>(field, v.value("digits", 0));
}

}  // namespace edgenode::pipeline
