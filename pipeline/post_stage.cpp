#include "pipeline/post_stage.h"

#include "pipeline/compile_field.h"
#include "pipeline/post_steps.h"

namespace edgenode::pipeline {

namespace {

class PostStage final : public Stage {
 public:
  PostStage(std::vector<std::unique_ptr<PostStep>> steps, nlohmann::json node)
      : steps_(std::move(steps)), node_(std::move(node)) {}
  std::string_view kind() const override { return "post"; }

  StageResult process(Envelope& envelope) override {
    nlohmann::json& result = envelope.mutable_result();  // first, so that the scope reads the result being changed
    const ExprScope scope = expression_scope(envelope, node_);
    for (const auto& step : steps_) {
      auto applied = step->apply(result, scope);
      if (!applied) return StageResult::failed(applied.error().message);
    }
    return StageResult::next();
  }

 private:
  std::vector<std::unique_ptr<PostStep>> steps_;
  nlohmann::json node_;
};

}  // namespace

const FieldSpec& post_field_spec() {
  static const FieldSpec spec{
      .name = "post",
      .type = FieldType::object_list,
      .doc = "Steps that shape the result object (after infer, result.text holds the model's text). Each "
             "item is one step: parse_json, extract, map, threshold, set, remove or round.",
      .object = &post_step_spec(),
      .example = "post:\n  - parse_json: {}\n  - map: {field: status, to: severity, values: {ok: 0, watch: 1, alarm: 2}}",
  };
  return spec;
}

std::unique_ptr<Stage> build_post_stage(const BuildContext& ctx) {
  std::vector<std::unique_ptr<PostStep>> steps;
  bool ok = true;
  const size_t n = ctx.values().size();
  for (size_t i = 0; i < n; ++i) {
    auto step = build_post_step(ctx.at(std::to_string(i)));
    if (step) steps.push_back(std::move(step));
    else ok = false;
  }
  if (!ok) return nullptr;
  return std::make_unique<PostStage>(std::move(steps), ctx.node_values());
}

}  // namespace edgenode::pipeline
