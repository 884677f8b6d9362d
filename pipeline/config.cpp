#include "pipeline/config.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "bus/codec.h"
#include "bus/mqtt_options.h"
#include "pipeline/output_stage.h"

namespace edgenode::pipeline {

using nlohmann::json;

const ObjectSpec& config_spec() {
  static const ObjectSpec spec{
      .name = "config",
      .doc = "An edgenode config file.",
      .fields =
          {
              {.name = "node", .type = FieldType::object, .doc = node_spec().doc, .required = true,
               .object = &node_spec()},
              models_field_spec(),
              pipelines_field_spec(),
          },
  };
  return spec;
}

namespace {

void check_names(LoadedConfig& config) {
  const json& values = config.tree.values;
  if (values.contains("node") && values.at("node").contains("buses")) {
    for (const auto& [name, bus] : values.at("node").at("buses").items()) {
      if (name == kDefaultBusName) {
        config.diagnostics.error(config.tree.pos("/node/buses/" + name),
                                 "a bus cannot be named 'default': that name means node.bus");
      }
    }
  }
  if (!values.contains("pipelines")) return;
  std::set<std::string> seen;
  for (size_t i = 0; i < values.at("pipelines").size(); ++i) {
    const json& p = values.at("pipelines")[i];
    if (!p.contains("name")) continue;
    const std::string name = p.at("name").get<std::string>();
    const std::string pointer = "/pipelines/" + std::to_string(i) + "/name";
    if (!seen.insert(name).second) config.diagnostics.error(config.tree.pos(pointer), "duplicate pipeline name '" + name + "'");
    const bool safe = !name.empty() && name.find_first_of("/+#") == std::string::npos;
    if (!safe) config.diagnostics.error(config.tree.pos(pointer), "pipeline name '" + name + "' must be non-empty and without / + #");
  }
}

void fill_names(LoadedConfig& config) {
  const json& values = config.tree.values;
  const json node = values.value("node", json::object());
  const json models = values.value("models", json::object());
  config.node = node_settings_from(node, models);
  config.names.node_id = config.node.id;
  config.names.topic_prefix = config.node.topic_prefix;
  if (node.contains("bus")) config.names.buses.insert("");
  if (node.contains("buses")) {
    for (const auto& [name, bus] : node.at("buses").items()) config.names.buses.insert(name);
  }
  for (const auto& m : config.node.models) config.names.models.insert(m.name);
}

// The JSON pointer of a field of an MQTT bus's settings.
std::string mqtt_pointer(const BusSettings& bus, const std::string& field) {
  return (bus.name == kDefaultBusName ? "/node/bus/mqtt/" : "/node/buses/" + bus.name + "/mqtt/") + field;
}

// What the MQTT bus would refuse at start, reported with its position instead: a url that
// is not mqtt:// or mqtts://, TLS files with a plain url, a client certificate without its
// key or the reverse, a reconnect_min above reconnect_max.
void check_mqtt_buses(LoadedConfig& config) {
  for (const auto& bus : config.node.buses) {
    if (!bus.mqtt || bus.mqtt->url.empty()) continue;  // no url: reported already
    const MqttSettings& m = *bus.mqtt;
    auto at = [&](const std::string& field) { return config.tree.pos(mqtt_pointer(bus, field)); };
    const auto address = bus::parse_mqtt_url(m.url);
    if (!address) {
      config.diagnostics.error(at("url"), address.error().message);
    } else if (!address->tls) {
      for (const auto& [field, file] : {std::pair{"ca_file", &m.ca_file}, std::pair{"cert_file", &m.cert_file},
                                        std::pair{"key_file", &m.key_file}}) {
        if (!file->empty())
          config.diagnostics.error(at(field), std::string(field) + " is for TLS, but the url is not mqtts://");
      }
    }
    if (m.cert_file.empty() != m.key_file.empty()) {
      config.diagnostics.error(at(m.cert_file.empty() ? "key_file" : "cert_file"),
                               "mutual TLS needs both cert_file and key_file");
    }
    if (m.reconnect_min_ms > m.reconnect_max_ms) {
      config.diagnostics.error(at("reconnect_min"), "reconnect_min is above reconnect_max");
    }
  }
}

// The first line holding bytes that are not UTF-8, or 0. yaml-cpp passes such bytes
// through, but config strings end up in JSON (schemas, names), which must be UTF-8.
int first_line_not_utf8(const std::string& text) {
  if (bus::is_valid_utf8(text)) return 0;
  int line = 1;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (!bus::is_valid_utf8(std::string_view(text).substr(start, end - start))) return line;
    start = end + 1;
    ++line;
  }
  return 1;
}

}  // namespace

LoadedConfig load_config_text(const std::string& text, const std::string& name, const EnvLookup& env) {
  LoadedConfig config{Diagnostics(name), {}, {}, {}};
  if (const int line = first_line_not_utf8(text); line != 0) {
    config.diagnostics.error({line, 1}, "this line is not valid UTF-8");
    return config;
  }
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    config.diagnostics.error({e.mark.line + 1, e.mark.column + 1}, e.msg);
    return config;
  }
  if (!root.IsMap()) {
    config.diagnostics.error({1, 1}, "a config is a mapping with node, models and pipelines");
    return config;
  }
  SpecReader reader(config.diagnostics, env);
  reader.read(root, config_spec(), "", config.tree);
  check_names(config);
  fill_names(config);
  check_mqtt_buses(config);
  return config;
}

LoadedConfig load_config_file(const std::string& path, const EnvLookup& env) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadedConfig config{Diagnostics(path), {}, {}, {}};
    config.diagnostics.error({0, 0}, "cannot read config file");
    return config;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return load_config_text(text.str(), path, env);
}

std::vector<std::unique_ptr<Pipeline>> build_pipelines(LoadedConfig& config, const ModelSet* models) {
  std::vector<std::unique_ptr<Pipeline>> pipelines;
  const json& values = config.tree.values;
  if (!values.contains("pipelines")) return pipelines;
  BuildContext ctx{config.tree, config.diagnostics, config.names, models, "", ""};
  for (size_t i = 0; i < values.at("pipelines").size(); ++i) {
    auto pipeline = build_pipeline(ctx.at("pipelines/" + std::to_string(i)));
    if (pipeline) pipelines.push_back(std::move(pipeline));
  }
  return pipelines;
}

namespace {

// With the journal's outbox blocking when full, a pipeline whose queue blocks, whose
// outputs go out on the bus it reads from and whose inputs are QoS 0 can stall that bus: a
// QoS 0 input is not journaled, so it waits for queue room on the bus's thread, which then
// cannot read the acks the full outbox waits for. A journaled (QoS >= 1) input is parked
// in the journal instead and never waits there.
void warn_if_block_can_stall(LoadedConfig& config, const json& pipeline, size_t index) {
  if (config.node.journal.empty() || config.node.outbox_on_full != "block") return;
  const json queue = pipeline.value("queue", json::object());
  if (queue.value("on_full", std::string()) != "block") return;
  const json input = pipeline.value("input", json::object());
  if (input.is_object() && input.value("qos", 0) >= 1) return;
  const auto bus_of = [&](const char* stage) {
    const json settings = pipeline.value(stage, json::object());
    const std::string bus = settings.is_object() ? settings.value("bus", std::string()) : std::string();
    return bus.empty() ? std::string(kDefaultBusName) : bus;
  };
  if (bus_of("input") != bus_of("output")) return;
  config.diagnostics.warning(config.tree.pos("/pipelines/" + std::to_string(index) + "/queue/on_full"),
                             "pipeline '" + pipeline.value("name", std::string()) +
                                 "' blocks when full, reads QoS 0 and publishes on the bus it reads, while the "
                                 "outbox also blocks: QoS 0 inputs are not journaled and wait for queue room on "
                                 "that bus's thread, so a full outbox can stall the bus; use input qos 1 (journaled "
                                 "inputs wait on disk), drop_oldest or deadletter here, or outbox on_full: "
                                 "drop_oldest");
}

}  // namespace

void add_config_warnings(LoadedConfig& config) {
  const json& values = config.tree.values;
  if (values.contains("pipelines")) {
    for (size_t i = 0; i < values.at("pipelines").size(); ++i) {
      const json& p = values.at("pipelines")[i];
      if (p.value("allow_raw", false)) {
        config.diagnostics.warning(config.tree.pos("/pipelines/" + std::to_string(i) + "/allow_raw"),
                                   "pipeline '" + p.value("name", std::string()) +
                                       "' sets allow_raw: input payloads may leave the site");
      }
      warn_if_block_can_stall(config, p, i);
    }
  }
  for (const auto& bus : config.node.buses) {
    if (!bus.mqtt) continue;
    const MqttSettings& m = *bus.mqtt;
    if (m.insecure) {
      config.diagnostics.warning(config.tree.pos(mqtt_pointer(bus, "insecure")),
                                 "bus '" + bus.name + "' does not verify the broker's certificate");
    }
    // Missing certificate files warn, as missing model files do: a config is often
    // checked on another machine than the one it runs on.
    for (const auto& [field, file] :
         {std::pair{"ca_file", &m.ca_file}, std::pair{"cert_file", &m.cert_file}, std::pair{"key_file", &m.key_file}}) {
      std::error_code ec;
      if (!file->empty() && !std::filesystem::is_regular_file(*file, ec)) {
        config.diagnostics.warning(config.tree.pos(mqtt_pointer(bus, field)),
                                   std::string(field) + " '" + *file +
                                       "' not found (run will refuse to start without it)");
      }
    }
  }
  for (const auto& model : config.node.models) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(model.path, ec)) {
      config.diagnostics.warning(config.tree.pos("/models/" + model.name + "/path"),
                                 "model file '" + model.path + "' not found (run will refuse to start without it)");
    }
  }
}

LoadedConfig check_config_file(const std::string& path, const EnvLookup& env) {
  LoadedConfig config = load_config_file(path, env);
  build_pipelines(config, nullptr);
  if (config.ok()) add_config_warnings(config);
  return config;
}

}  // namespace edgenode::pipeline
