#include "pipeline/compile_field.h"

namespace edgenode::pipeline {

using nlohmann::json;

namespace {
std::string child_pointer(const BuildContext& ctx, const std::string& field) {
  return field.empty() ? ctx.pointer : ctx.pointer + "/" + field;
}

// The source text, or null when reading the file already failed for this value (say an
// unset ${VAR}): `check` builds the pipelines even then, to report every problem at once.
const std::string* source_text(const BuildContext& ctx, const std::string& pointer) {
  const json::json_pointer at(pointer);
  if (!ctx.tree.values.contains(at)) return nullptr;
  const json& source = ctx.tree.values.at(at);
  return source.is_string() ? &source.get_ref<const std::string&>() : nullptr;
}
}  // namespace

std::optional<Expression> compile_expression_field(const BuildContext& ctx, const std::string& field) {
  const std::string pointer = child_pointer(ctx, field);
  const std::string* source = source_text(ctx, pointer);
  if (source == nullptr) return std::nullopt;
  int offset = 0;
  auto compiled = Expression::compile(*source, &offset);
  if (!compiled) {
    ctx.diags.error(ctx.tree.pos_in_value(pointer, offset), "in expression: " + compiled.error().message);
    return std::nullopt;
  }
  return std::move(compiled).value();
}

std::optional<engine::jinja::Template> compile_template_field(const BuildContext& ctx, const std::string& field) {
  const std::string pointer = child_pointer(ctx, field);
  const std::string* source = source_text(ctx, pointer);
  if (source == nullptr) return std::nullopt;
  auto compiled = engine::jinja::Template::compile(*source);
  if (!compiled) {
    ctx.diags.error(ctx.tree.pos(pointer), "in template: " + compiled.error().message);
    return std::nullopt;
  }
  return std::move(compiled).value();
}

ExprScope expression_scope(const Envelope& envelope, const json& node) {
  ExprScope scope;
  scope.payload = &envelope.payload;
  scope.topic = &envelope.input.topic;
  scope.topic_levels = &envelope.topic_levels;
  scope.window = &envelope.window;
  scope.result = &envelope.result();
  scope.node = &node;
  return scope;
}

json template_context(const Envelope& envelope, const json& node) {
  return json{{"payload", envelope.payload},
              {"topic", envelope.input.topic},
              {"topic_levels", envelope.topic_levels},
              {"window", envelope.window.is_null() ? json::array() : envelope.window},
              {"result", envelope.result()},
              {"node", node}};
}

}  // namespace edgenode::pipeline
