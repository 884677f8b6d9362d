#include "pipeline/output_stage.h"

#include <chrono>

#include "bus/codec.h"
#include "bus/topic.h"
#include "pipeline/compile_field.h"
#include "pipeline/field_path.h"
#include "pipeline/suggest.h"

namespace edgenode::pipeline {

using nlohmann::json;

namespace {

struct OutputSettings {
  std::string pipeline;
  std::string bus;
  int qos = 0;
  bool retain = false;
  bus::PayloadFormat format = bus::PayloadFormat::json;
  std::vector<std::string> fields;
};

class OutputStage final : public Stage {
 public:
  OutputStage(engine::jinja::Template topic, std::optional<std::string> literal_topic, OutputSettings settings,
              json node)
      : topic_(std::move(topic)), literal_topic_(std::move(literal_topic)), settings_(std::move(settings)),
        node_(std::move(node)) {}

  std::string_view kind() const override { return "output"; }

  StageResult process(Envelope& envelope) override {
    bus::Message out;
    if (literal_topic_) {
      out.topic = *literal_topic_;
    } else {
      auto topic = topic_.render(template_context(envelope, node_));
      if (!topic) return StageResult::failed("topic template: " + topic.error().message);
      out.topic = std::move(topic).value();
      auto valid = bus::validate_topic_name(out.topic);
      if (!valid) return StageResult::failed("output topic: " + valid.error().message);
    }
    // The whole result is encoded where it is; only a selection of fields is built anew.
    const json* body = &envelope.result();
    json selected;
    if (!settings_.fields.empty()) {
      selected = json::object();
      for (const auto& field : settings_.fields) {
        if (const json* value = find_field(envelope.result(), field)) set_field(selected, field, *value);
      }
      body = &selected;
    }
    // Text output of a single string field is that string, not a JSON object around it.
    if (settings_.format == bus::PayloadFormat::text && body->is_object() && body->size() == 1 &&
        body->begin()->is_string()) {
      body = &*body->begin();
    }
    out.payload = bus::encode_payload(*body, settings_.format);
    out.content_type = std::string(bus::content_type_for(settings_.format));
    out.qos = settings_.qos;
    out.retain = settings_.retain;
    out.bus = settings_.bus;
    out.trace_id = envelope.input.trace_id;
    const auto latency = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - envelope.started);
    out.user_properties.reserve(5);
    out.user_properties.emplace_back("trace_id", envelope.input.trace_id);
    out.user_properties.emplace_back("pipeline", settings_.pipeline);
    if (!envelope.model_sha256.empty()) out.user_properties.emplace_back("model_sha256", envelope.model_sha256);
    if (!envelope.prompt_sha256.empty()) out.user_properties.emplace_back("prompt_sha256", envelope.prompt_sha256);
    out.user_properties.emplace_back("latency_ms", std::to_string(static_cast<int64_t>(latency.count())));
    envelope.outputs.push_back(std::move(out));
    return StageResult::next();
  }

 private:
  engine::jinja::Template topic_;
  std::optional<std::string> literal_topic_;  // a topic without template syntax skips rendering
  OutputSettings settings_;
  json node_;
};

}  // namespace

const ObjectSpec& output_spec() {
  static const ObjectSpec spec{
      .name = "output",
      .doc = "Where the result goes. The payload is the result object (or the listed fields of it); the "
             "input payload is never included unless the pipeline sets allow_raw. Each message carries MQTT 5 "
             "user properties trace_id, pipeline, model_sha256, prompt_sha256 and latency_ms.",
      .fields =
          {
              {.name = "topic", .type = FieldType::template_,
               .doc = "Topic to publish to; a Jinja template over payload, topic, topic_levels, result, node.",
               .required = true},
              {.name = "bus", .type = FieldType::string,
               .doc = "Name of a bus under node.buses; empty: the default bus.", .default_value = ""},
              {.name = "qos", .type = FieldType::integer, .doc = "Publish QoS (0, 1 or 2).", .default_value = 0,
               .minimum = 0, .maximum = 2},
              {.name = "retain", .type = FieldType::boolean, .doc = "Publish retained.", .default_value = false},
              {.name = "format", .type = FieldType::string,
               .doc = "Payload encoding. text: a result (or `fields` selection) of one string field is published "
                      "as that string; anything else as JSON text.",
               .default_value = "json", .enum_values = {"json", "msgpack", "text"}},
              {.name = "fields", .type = FieldType::string_list,
               .doc = "Result fields to publish (dotted paths); empty: the whole result."},
          },
  };
  return spec;
}

std::unique_ptr<Stage> build_output_stage(const BuildContext& ctx) {
  const json& v = ctx.values();
  bool ok = true;
  OutputSettings settings;
  settings.pipeline = ctx.pipeline;
  const std::string bus_name = v.value("bus", std::string());
  if (ctx.names.buses.count(bus_name) == 0) {
    std::vector<std::string> known(ctx.names.buses.begin(), ctx.names.buses.end());
    ctx.error("bus", bus_name.empty() ? std::string("no default bus: set node.bus or name a bus here")
                                      : "unknown bus '" + bus_name + "'" + did_you_mean(bus_name, known));
    ok = false;
  }
  settings.bus = bus_name.empty() ? kDefaultBusName : bus_name;
  settings.qos = v.value("qos", 0);
  settings.retain = v.value("retain", false);
  settings.format = *bus::parse_payload_format(v.value("format", std::string("json")));
  if (v.contains("fields")) settings.fields = v.at("fields").get<std::vector<std::string>>();
  if (!v.contains("topic")) return nullptr;
  auto topic = compile_template_field(ctx, "topic");
  if (!topic || !ok) return nullptr;
  const std::string source = v.at("topic").get<std::string>();
  std::optional<std::string> literal;
  if (source.find("{{") == std::string::npos && source.find("{%") == std::string::npos) {
    auto valid = bus::validate_topic_name(source);
    if (!valid) {
      ctx.error("topic", "output topic: " + valid.error().message);
      return nullptr;
    }
    literal = source;
  }
  return std::make_unique<OutputStage>(std::move(*topic), std::move(literal), std::move(settings), ctx.node_values());
}

}  // namespace edgenode::pipeline
