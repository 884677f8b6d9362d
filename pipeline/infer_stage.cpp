#include "pipeline/infer_stage.h"

#include "pipeline/suggest.h"

namespace edgenode::pipeline {

using nlohmann::json;

namespace {

class InferStage final : public Stage {
 public:
  InferStage(std::shared_ptr<ModelWorker> model, engine::GenerateRequest request)
      : model_(std::move(model)), request_(std::move(request)) {}

  std::string_view kind() const override { return "infer"; }

  StageResult process(Envelope& envelope) override {
    std::vector<engine::ChatMessage> messages;
    for (const auto& m : envelope.prompt) {
      messages.push_back({m.at("role").get<std::string>(), m.at("content").get<std::string>()});
    }
    auto prompt = model_->render_chat(messages);
    if (!prompt) return StageResult::failed("chat template: " + prompt.error().message);
    engine::GenerateRequest request = request_;
    request.prompt = std::move(prompt).value();
    auto generated = model_->generate(request);
    if (!generated) return StageResult::failed("model '" + model_->name() + "': " + generated.error().message);
    envelope.mutable_result()["text"] = generated->text;
    envelope.model_sha256 = model_->file_sha256();
    envelope.tokens_in += static_cast<int64_t>(generated->prompt_tokens.size());
    envelope.tokens_out += static_cast<int64_t>(generated->tokens.size());
    envelope.generate_ms += generated->prompt_ms + generated->generate_ms;
    return StageResult::next();
  }

 private:
  std::shared_ptr<ModelWorker> model_;
  engine::GenerateRequest request_;
};

std::vector<std::string> names_of(const std::set<std::string>& names) { return {names.begin(), names.end()}; }

}  // namespace

const ObjectSpec& infer_spec() {
  static const ObjectSpec spec{
      .name = "infer",
      .doc = "Generates text with a model declared under `models`, from the messages of `prompt`. The "
             "generated text becomes result.text.",
      .fields =
          {
              {.name = "model", .type = FieldType::string, .doc = "Name of a model under `models`.", .required = true},
              {.name = "max_tokens",
               .type = FieldType::integer,
               .doc = "Most tokens to generate.",
               .default_value = 64,
               .minimum = 1,
               .maximum = 8192},
              {.name = "temperature",
               .type = FieldType::number,
               .doc = "Sampling temperature; 0 is greedy (deterministic).",
               .default_value = 0.0,
               .minimum = 0,
               .maximum = 5},
              {.name = "top_p", .type = FieldType::number, .doc = "Nucleus sampling; 1 is off.", .default_value = 1.0,
               .minimum = 0, .maximum = 1},
              {.name = "top_k", .type = FieldType::integer, .doc = "Keep the k most likely tokens; 0 is off.",
               .default_value = 0, .minimum = 0},
              {.name = "seed", .type = FieldType::integer, .doc = "Random seed for sampling.", .default_value = 0,
               .minimum = 0},
              {.name = "stop", .type = FieldType::string_list, .doc = "Generation stops at any of these strings."},
              {.name = "json_schema",
               .type = FieldType::mapping,
               .doc = "Constrains the output to JSON matching this schema (constrained decoding)."},
          },
  };
  return spec;
}

std::unique_ptr<Stage> build_infer_stage(const BuildContext& ctx) {
  const json& v = ctx.values();
  if (!v.contains("model")) return nullptr;  // reported as a missing field
  const std::string model = v.at("model").get<std::string>();
  if (ctx.names.models.count(model) == 0) {
    ctx.error("model", "unknown model '" + model + "'" + did_you_mean(model, names_of(ctx.names.models)) +
                           " (declare it under models:)");
    return nullptr;
  }
  engine::GenerateRequest request;
  request.max_tokens = static_cast<int>(v.value("max_tokens", 64));
  request.sampling.temperature = v.value("temperature", 0.0f);
  request.sampling.top_p = v.value("top_p", 1.0f);
  request.sampling.top_k = static_cast<int>(v.value("top_k", 0));
  request.sampling.seed = v.value("seed", uint64_t{0});
  if (v.contains("stop")) request.stop = v.at("stop").get<std::vector<std::string>>();
  if (v.contains("json_schema")) request.json_schema = v.at("json_schema").dump();
  // When only checking, models are not loaded: the name was validated, nothing runs.
  if (ctx.models == nullptr) return std::make_unique<InferStage>(nullptr, std::move(request));
  auto it = ctx.models->find(model);
  if (it == ctx.models->end()) {
    ctx.error("model", "model '" + model + "' is not loaded");
    return nullptr;
  }
  return std::make_unique<InferStage>(it->second, std::move(request));
}

}  // namespace edgenode::pipeline
