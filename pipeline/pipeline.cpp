#include "pipeline/pipeline.h"

#include "pipeline/decode_stage.h"
#include "pipeline/infer_stage.h"
#include "pipeline/model_worker.h"
#include "pipeline/output_stage.h"
#include "pipeline/post_stage.h"
#include "pipeline/prompt_stage.h"
#include "pipeline/when_stage.h"
#include "pipeline/window_stage.h"

namespace edgenode::pipeline {

using nlohmann::json;

Pipeline::Pipeline(PipelineSettings settings, std::vector<std::unique_ptr<Stage>> stages)
    : settings_(std::move(settings)), stages_(std::move(stages)) {}

bool Pipeline::has_stage(std::string_view kind) const {
  for (const auto& stage : stages_)
    if (stage->kind() == kind) return true;
  return false;
}

PipelineOutcome Pipeline::run(Envelope& envelope) {
  envelope.topic_levels = split_topic_levels(envelope.input.topic);
  for (const auto& stage : stages_) {
    StageResult r = stage->process(envelope);
    if (r.status != StageStatus::next) return {r.status, std::string(stage->kind()), std::move(r.reason)};
    // With allow_raw the result starts as the decoded input, so it can be passed on.
    if (settings_.allow_raw && stage->kind() == "decode") {
      envelope.start_result_from_payload();
    }
  }
  return {};
}

namespace {

const ObjectSpec& queue_spec() {
  static const ObjectSpec spec{
      .name = "queue",
      .doc = "The pipeline's bounded queue of messages waiting to run.",
      .fields =
          {
              {.name = "max", .type = FieldType::integer, .doc = "Most messages waiting.", .default_value = 256,
               .minimum = 1, .maximum = 1000000},
              {.name = "on_full", .type = FieldType::string,
               .doc = "When full: block (stop reading the input bus until there is room), drop_oldest (drop "
                      "the oldest waiting message, counted), deadletter (dead-letter the new message).",
               .default_value = "deadletter", .enum_values = {"block", "drop_oldest", "deadletter"}},
          },
  };
  return spec;
}

const ObjectSpec& pipeline_spec() {
  static const ObjectSpec spec{
      .name = "pipeline",
      .doc = "A chain of stages a message runs through: decode → when → window → prompt → infer → post → "
             "output. Only input and output are required.",
      .fields =
          {
              {.name = "name", .type = FieldType::string,
               .doc = "Unique name; used in topics, telemetry and provenance.", .required = true},
              {.name = "input", .type = FieldType::object, .doc = input_spec().doc, .required = true,
               .object = &input_spec()},
              when_field_spec(),
              {.name = "window", .type = FieldType::object, .doc = window_spec().doc, .object = &window_spec(),
               .example = "window: {count: 10, key: \"topic\"}"},
              {.name = "prompt", .type = FieldType::object, .doc = prompt_spec().doc, .object = &prompt_spec()},
              {.name = "infer", .type = FieldType::object, .doc = infer_spec().doc, .object = &infer_spec()},
              post_field_spec(),
              {.name = "output", .type = FieldType::object, .doc = output_spec().doc, .required = true,
               .object = &output_spec()},
              {.name = "queue", .type = FieldType::object, .doc = queue_spec().doc, .default_value = json::object(),
               .object = &queue_spec()},
              {.name = "allow_raw", .type = FieldType::boolean,
               .doc = "Lets the input payload leave the node: the result starts as the decoded payload, and "
                      "dead-letters carry the raw payload. `check` warns about it.",
               .default_value = false},
              {.name = "archive", .type = FieldType::string,
               .doc = "What of this pipeline's inputs node.archive keeps on the node's disk: the payloads of "
                      "dead-lettered inputs, every input (e.g. to collect training data on site), or none. "
                      "Nothing without node.archive.",
               .default_value = "deadletters", .enum_values = {"deadletters", "inputs", "none"}},
          },
  };
  return spec;
}

ArchiveMode archive_mode_from(const std::string& name) {
  if (name == "inputs") return ArchiveMode::inputs;
  if (name == "none") return ArchiveMode::none;
  return ArchiveMode::deadletters;
}

OnFull on_full_from(const std::string& name) {
  if (name == "block") return OnFull::block;
  if (name == "drop_oldest") return OnFull::drop_oldest;
  return OnFull::deadletter;
}

}  // namespace

const FieldSpec& pipelines_field_spec() {
  static const FieldSpec spec{
      .name = "pipelines",
      .type = FieldType::object_list,
      .doc = "The pipelines. A message can feed several: each whose input matches its bus and topic.",
      .required = true,
      .object = &pipeline_spec(),
  };
  return spec;
}

std::unique_ptr<Pipeline> build_pipeline(const BuildContext& pipeline_ctx) {
  const json& v = pipeline_ctx.values();
  if (!v.contains("name") || !v.contains("input") || !v.contains("output")) return nullptr;  // reported
  BuildContext ctx = pipeline_ctx;
  ctx.pipeline = v.at("name").get<std::string>();

  PipelineSettings settings;
  settings.name = ctx.pipeline;
  const json& input = v.at("input");
  const std::string bus_name = input.value("bus", std::string());
  settings.bus = bus_name.empty() ? kDefaultBusName : bus_name;
  settings.qos = input.value("qos", 0);
  if (input.contains("topics")) {
    for (const auto& t : input.at("topics")) {
      auto filter = bus::parse_topic_filter(t.get<std::string>());
      if (filter) {
        settings.subscriptions.push_back(t.get<std::string>());
        settings.filters.push_back(std::move(filter).value());
      }
    }
  }
  const json queue = v.value("queue", json::object());
  settings.queue_max = queue.value("max", size_t{256});
  settings.on_full = on_full_from(queue.value("on_full", std::string("deadletter")));
  settings.allow_raw = v.value("allow_raw", false);
  settings.archive = archive_mode_from(v.value("archive", std::string("deadletters")));

  std::vector<std::unique_ptr<Stage>> stages;
  bool ok = true;
  auto add = [&](std::unique_ptr<Stage> stage) {
    if (stage) stages.push_back(std::move(stage));
    else ok = false;
  };
  add(build_decode_stage(ctx.at("input")));
  if (v.contains("when")) add(build_when_stage(ctx.at("when")));
  if (v.contains("window")) add(build_window_stage(ctx.at("window")));
  if (v.contains("prompt")) add(build_prompt_stage(ctx.at("prompt")));
  if (v.contains("infer")) add(build_infer_stage(ctx.at("infer")));
  if (v.contains("post")) add(build_post_stage(ctx.at("post")));
  add(build_output_stage(ctx.at("output")));
  if (v.contains("infer") && !v.contains("prompt")) {
    ctx.error("infer", "infer needs a prompt stage to say what to ask the model");
    ok = false;
  }
  if (v.contains("prompt") && !v.contains("infer")) {
    ctx.error("prompt", "prompt has no effect without an infer stage");
    ok = false;
  }
  const json& root = ctx.tree.values;
  const bool node_has_archive = root.contains("node") && root.at("node").contains("archive");
  if (settings.archive == ArchiveMode::inputs && !node_has_archive) {
    ctx.error("archive", "archive: inputs needs node.archive (the file to keep them in)");
    ok = false;
  }
  if (!ok) return nullptr;
  if (v.contains("infer") && !v.contains("window") && ctx.models != nullptr) {
    const auto model = ctx.models->find(v.at("infer").value("model", std::string()));
    if (model != ctx.models->end()) settings.concurrency = model->second->sequences();
  }
  return std::make_unique<Pipeline>(std::move(settings), std::move(stages));
}

}  // namespace edgenode::pipeline
