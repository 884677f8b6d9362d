#include "pipeline/prompt_stage.h"

#include "pipeline/compile_field.h"
#include "engine/model/sha256.h"

namespace edgenode::pipeline {

using nlohmann::json;

namespace {

class PromptStage final : public Stage {
 public:
  PromptStage(std::optional<engine::jinja::Template> system, engine::jinja::Template user, std::string hash,
              json node)
      : system_(std::move(system)), user_(std::move(user)), hash_(std::move(hash)), node_(std::move(node)) {}

  std::string_view kind() const override { return "prompt"; }

  StageResult process(Envelope& envelope) override {
    const json context = template_context(envelope, node_);
    envelope.prompt = json::array();
    if (system_) {
      auto text = system_->render(context);
      if (!text) return StageResult::failed("system template: " + text.error().message);
      envelope.prompt.push_back({{"role", "system"}, {"content", std::move(text).value()}});
    }
    auto text = user_.render(context);
    if (!text) return StageResult::failed("user template: " + text.error().message);
    envelope.prompt.push_back({{"role", "user"}, {"content", std::move(text).value()}});
    envelope.prompt_sha256 = hash_;
    return StageResult::next();
  }

 private:
  std::optional<engine::jinja::Template> system_;
  engine::jinja::Template user_;
  std::string hash_;
  json node_;
};

}  // namespace

const ObjectSpec& prompt_spec() {
  static const ObjectSpec spec{
      .name = "prompt",
      .doc = "Jinja templates for the chat messages sent to the model. They read payload, topic, "
             "topic_levels, window (list of payloads) and node ({id, topic_prefix}). Payload text is "
             "inserted as text, never evaluated as a template.",
      .fields =
          {
              {.name = "system", .type = FieldType::template_, .doc = "The system message (optional)."},
              {.name = "user", .type = FieldType::template_, .doc = "The user message.", .required = true},
          },
  };
  return spec;
}

std::unique_ptr<Stage> build_prompt_stage(const BuildContext& ctx) {
  const json& v = ctx.values();
  std::optional<engine::jinja::Template> system;
  bool ok = true;
  if (v.contains("system")) {
    system = compile_template_field(ctx, "system");
    ok = system.has_value();
  }
  if (!v.contains("user")) return nullptr;  // reported as a missing field
  auto user = compile_template_field(ctx, "user");
  if (!user || !ok) return nullptr;
  // The hash names the template sources, so a result says which prompt produced it.
  const std::string hash = engine::sha256_hex(v.value("system", std::string()) + '\0' + v.at("user").get<std::string>());
  return std::make_unique<PromptStage>(std::move(system), std::move(*user), hash, ctx.node_values());
}

}  // namespace edgenode::pipeline
