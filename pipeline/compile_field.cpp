#include "pipeline/compile_field.h"

namespace edgenode::pipeline {

using nlohmann::json;

namespace {
std::string child_pointer(const BuildContext& ctx, const std::string& field) {
  return field.empty() ? ctx.pointer : ctx.pointer + "/" + field;
}
}  // namespace

std::optional<Expression> compile_expression_field(const BuildContext& ctx, const std::string& field) {
  const std::string pointer = child_pointer(ctx, field);
  const json& source = ctx.tree.values.at(json::json_pointer(pointer));
  int offset = 0;
  auto compiled = Expression::compile(source.get<std::string>(), &offset);
  if (!compiled) {
    ctx.diags.error(ctx.tree.pos_in_value(pointer, offset), "in expression: " + compiled.error().message);
    return std::nullopt;
  }
  return std::move(compiled).value();
}

std::optional<engine::jinja::Template> compile_template_field(const BuildContext& ctx, const std::string& field) {
  const std::string pointer = child_pointer(ctx, field);
  const json& source = ctx.tree.values.at(json::json_pointer(pointer));
  auto compiled = engine::jinja::Template::compile(source.get<std::string>());
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
  scope.result = &envelope.result;
  scope.node = &node;
  return scope;
}

json template_context(const Envelope& envelope, const json& node) {
  return json{{"payload", envelope.payload},
              {"topic", envelope.input.topic},
              {"topic_levels", envelope.topic_levels},
              {"window", envelope.window.is_null() ? json::array() : envelope.window},
              {"result", envelope.result},
              {"node", node}};
}

}  // namespace edgenode::pipeline
