#include "pipeline/decode_stage.h"

#include "bus/codec.h"
#include "bus/topic.h"
#include "pipeline/suggest.h"

namespace edgenode::pipeline {

namespace {

class DecodeStage final : public Stage {
 public:
  DecodeStage(bus::PayloadFormat format, bus::DecodeLimits limits) : format_(format), limits_(limits) {}
  std::string_view kind() const override { return "decode"; }

  StageResult process(Envelope& envelope) override {
    auto payload = bus::decode_payload(envelope.input.payload, format_, envelope.input.content_type, limits_);
    if (!payload) return StageResult::failed(payload.error().message);
    envelope.payload = std::move(payload).value();
    return StageResult::next();
  }

 private:
  bus::PayloadFormat format_;
  bus::DecodeLimits limits_;
};

}  // namespace

const ObjectSpec& input_spec() {
  static const ObjectSpec spec{
      .name = "input",
      .doc = "Where messages come from and how their payload is decoded.",
      .fields =
          {
              {.name = "bus", .type = FieldType::string,
               .doc = "Name of a bus under node.buses; empty: the default bus (node.bus).", .default_value = ""},
              {.name = "topics", .type = FieldType::string_list,
               .doc = "MQTT topic filters (+ and # wildcards; \"$share/<group>/<filter>\" shares the stream "
                      "between nodes). For a ZeroMQ bus, the same filters are matched against the topic frame.",
               .required = true},
              {.name = "qos", .type = FieldType::integer, .doc = "Subscription QoS (0, 1 or 2).", .default_value = 0,
               .minimum = 0, .maximum = 2},
              {.name = "format", .type = FieldType::string,
               .doc = "Payload format. auto: the MQTT 5 content type, else the first byte.",
               .default_value = "json", .enum_values = {"json", "msgpack", "text", "auto"}},
              {.name = "max_size", .type = FieldType::size, .doc = "Larger payloads are dead-lettered.",
               .default_value = 1048576},
              {.name = "max_depth", .type = FieldType::integer, .doc = "Deeper nesting is dead-lettered.",
               .default_value = 64, .minimum = 1, .maximum = 512},
          },
  };
  return spec;
}

std::unique_ptr<Stage> build_decode_stage(const BuildContext& ctx) {
  const nlohmann::json& v = ctx.values();
  bool ok = true;
  const std::string bus_name = v.value("bus", std::string());
  if (ctx.names.buses.count(bus_name) == 0) {
    std::vector<std::string> known(ctx.names.buses.begin(), ctx.names.buses.end());
    ctx.error("bus", bus_name.empty() ? std::string("no default bus: set node.bus or name a bus here")
                                      : "unknown bus '" + bus_name + "'" + did_you_mean(bus_name, known));
    ok = false;
  }
  if (v.contains("topics")) {
    const auto& topics = v.at("topics");
    if (topics.empty()) {
      ctx.error("topics", "input needs at least one topic");
      ok = false;
    }
    for (size_t i = 0; i < topics.size(); ++i) {
      auto filter = bus::parse_topic_filter(topics[i].get<std::string>());
      if (!filter) {
        ctx.error("topics/" + std::to_string(i), filter.error().message);
        ok = false;
      }
    }
  }
  auto format = bus::parse_payload_format(v.value("format", std::string("json")));
  if (!ok || !format || !v.contains("topics")) return nullptr;
  bus::DecodeLimits limits;
  limits.max_bytes = v.value("max_size", size_t{1048576});
  limits.max_depth = v.value("max_depth", 64);
  return std::make_unique<DecodeStage>(*format, limits);
}

}  // namespace edgenode::pipeline
