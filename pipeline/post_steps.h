// The steps of `post`, each a small transformation of the result object:
//   parse_json  result.text (or another field) parsed as JSON into the result
//   extract     a regex (PCRE2) capture from a string field into a field
//   map         a field's value looked up in a table
//   threshold   a number classified into labels by lower bounds
//   set         a field set to a literal value or an expression
//   remove      fields removed
//   round       a number rounded to some digits
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "pipeline/build_context.h"
#include "pipeline/expression.h"
#include "pipeline/spec.h"

namespace edgenode::pipeline {

class PostStep {
 public:
  virtual ~PostStep() = default;
  // Changes `result`; an error names the step and the problem.
  virtual Result<void> apply(nlohmann::json& result, const ExprScope& scope) const = 0;
};

// The spec of one `post` list item: exactly one of the step types.
const ObjectSpec& post_step_spec();
// Builds the step at ctx.pointer (an item of the `post` list); nullptr after reporting.
std::unique_ptr<PostStep> build_post_step(const BuildContext& ctx);

}  // namespace edgenode::pipeline
