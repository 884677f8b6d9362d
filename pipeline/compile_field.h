// Compiling the expressions and templates a config holds, with errors at the place in
// the file where they were written; and the values they see when a message runs.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/jinja/template.h"
#include "pipeline/build_context.h"
#include "pipeline/envelope.h"
#include "pipeline/expression.h"

namespace edgenode::pipeline {

// Compiles the expression at ctx.pointer + "/" + field (or at ctx.pointer when field is
// empty); reports a syntax error at its line:col and returns nullopt.
std::optional<Expression> compile_expression_field(const BuildContext& ctx, const std::string& field);
std::optional<engine::jinja::Template> compile_template_field(const BuildContext& ctx, const std::string& field);

// What expressions read for this message.
ExprScope expression_scope(const Envelope& envelope, const nlohmann::json& node);
// What templates read: payload, topic, topic_levels, window, result, node.
nlohmann::json template_context(const Envelope& envelope, const nlohmann::json& node);

}  // namespace edgenode::pipeline
