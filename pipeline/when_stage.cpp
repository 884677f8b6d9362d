#include "pipeline/when_stage.h"

#include "pipeline/compile_field.h"

namespace edgenode::pipeline {

namespace {

class WhenStage final : public Stage {
 public:
  WhenStage(Expression condition, nlohmann::json node) : condition_(std::move(condition)), node_(std::move(node)) {}
  std::string_view kind() const override { return "when"; }

  StageResult process(Envelope& envelope) override {
    auto passed = condition_.test(expression_scope(envelope, node_));
    if (!passed) return StageResult::failed(passed.error().message);
    return *passed ? StageResult::next() : StageResult::filtered();
  }

 private:
  Expression condition_;
  nlohmann::json node_;
};

}  // namespace

const FieldSpec& when_field_spec() {
  static const FieldSpec spec{
      .name = "when",
      .type = FieldType::expression,
      .doc = "Only messages for which this expression is true go on; false filters the message (counted, "
             "not an error). An expression that cannot be evaluated (e.g. comparing a missing field with a "
             "number) dead-letters the message. Reads payload, topic, topic_levels, node; functions abs, "
             "min, max, len, exists.",
      .example = "when: \"payload.rms > 0.5 and topic_levels[1] != 'test'\"",
  };
  return spec;
}

std::unique_ptr<Stage> build_when_stage(const BuildContext& ctx) {
  auto condition = compile_expression_field(ctx, "");
  if (!condition) return nullptr;
  return std::make_unique<WhenStage>(std::move(*condition), ctx.node_values());
}

}  // namespace edgenode::pipeline
