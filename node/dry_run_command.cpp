// `edgenode dry-run CONFIG --input FILE|- [--topic T]`: feeds messages through the
// pipelines with no broker and prints every output and dead-letter as a JSON line
//   {"kind":"output"|"deadletter","topic":...,"payload":...}
// Input lines are {"topic":...,"payload":<any JSON>} (a string payload is sent as its
// text, anything else as JSON text) or {"topic":...,"payload_base64":"..."}; with
// --topic each line is one raw payload for that topic.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "bus/codec.h"
#include "bus/trace_id.h"
#include "node/command.h"
#include "node/node_models.h"
#include "pipeline/base64.h"
#include "pipeline/config.h"
#include "pipeline/output_stage.h"
#include "pipeline/runner.h"

namespace edgenode::node {
namespace {

using nlohmann::json;

class StdoutPublisher final : public pipeline::Publisher {
 public:
  void publish(bus::Message&& message, pipeline::OutboundKind kind) override {
    json line{{"kind", kind == pipeline::OutboundKind::output ? "output" : "deadletter"},
              {"topic", message.topic},
              {"payload", readable(message)}};
    std::lock_guard lock(mutex_);
    std::fputs((line.dump(-1, ' ', false, json::error_handler_t::replace) + "\n").c_str(), stdout);
    std::fflush(stdout);
  }

 private:
  static json readable(const bus::Message& message) {
    const auto format = bus::detect_payload_format(message.payload, message.content_type);
    if (format != bus::PayloadFormat::text) {
      auto decoded = bus::decode_payload(message.payload, format, message.content_type);
      if (decoded) return std::move(decoded).value();
    }
    return message.payload;
  }
  std::mutex mutex_;
};

// Parses one input line into a message; an error names what is wrong with it.
Result<bus::Message> message_from_line(const std::string& line, const std::string& topic) {
  bus::Message message;
  if (!topic.empty()) {
    message.topic = topic;
    message.payload = line;
    return message;
  }
  json parsed = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return bad_input("expected {\"topic\":...,\"payload\":...} (or use --topic for raw payloads)");
  }
  if (!parsed.contains("topic") || !parsed.at("topic").is_string()) return bad_input("missing \"topic\" string");
  message.topic = parsed.at("topic").get<std::string>();
  if (parsed.contains("payload_base64")) {
    const json& b64 = parsed.at("payload_base64");
    auto bytes = b64.is_string() ? pipeline::base64_decode(b64.get<std::string>()) : std::nullopt;
    if (!bytes) return bad_input("\"payload_base64\" is not valid base64");
    message.payload = std::move(*bytes);
  } else if (parsed.contains("payload")) {
    const json& payload = parsed.at("payload");
    message.payload = payload.is_string() ? payload.get<std::string>() : payload.dump();
  } else {
    return bad_input("missing \"payload\" or \"payload_base64\"");
  }
  if (parsed.contains("content_type") && parsed.at("content_type").is_string()) {
    message.content_type = parsed.at("content_type").get<std::string>();
  }
  return message;
}

int dry_run(const std::string& config_path, const std::string& input_path, const std::string& topic) {
  auto config = pipeline::check_config_file(config_path);
  if (!config.ok()) {
    std::fputs(config.diagnostics.format_all().c_str(), stderr);
    return kExitBadInput;
  }
  // Built again below, now with the models loaded.
  config = pipeline::load_config_file(config_path);
  auto models = load_models(config.node.models);
  if (!models) {
    std::fprintf(stderr, "edgenode: %s\n", models.error().message.c_str());
    return kExitBadInput;
  }
  const pipeline::ModelSet workers = model_set(*models);
  auto pipelines = pipeline::build_pipelines(config, &workers);
  if (!config.ok()) {
    std::fputs(config.diagnostics.format_all().c_str(), stderr);
    return kExitBadInput;
  }
  std::ifstream file;
  if (input_path != "-") {
    file.open(input_path, std::ios::binary);
    if (!file) {
      std::fprintf(stderr, "edgenode: cannot read input file '%s'\n", input_path.c_str());
      return kExitBadInput;
    }
  }
  std::istream& in = input_path == "-" ? std::cin : file;

  StdoutPublisher publisher;
  pipeline::RunnerOptions options;
  options.workers = 1;
  options.any_bus = true;
  options.deadletters = {config.node.topic_prefix, pipeline::kDefaultBusName};
  pipeline::Runner runner(std::move(pipelines), publisher, options);

  int bad_lines = 0;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    auto message = message_from_line(line, topic);
    if (!message) {
      std::fprintf(stderr, "%s:%d: %s\n", input_path.c_str(), number, message.error().message.c_str());
      ++bad_lines;
      continue;
    }
    message->received_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
    message->trace_id = bus::random_trace_id();
    if (runner.submit(*message) == 0) {
      std::fprintf(stderr, "%s:%d: no pipeline takes topic '%s'\n", input_path.c_str(), number,
                   message->topic.c_str());
    }
    // One message at a time, so the printed lines follow the input order.
    runner.wait_idle();
  }
  return bad_lines > 0 ? kExitBadInput : kExitOk;
}

void add_dry_run_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("dry-run", "Run messages from a file through the pipelines, no broker");
  static std::string config_path, input_path, topic;
  cmd->add_option("config", config_path, "Config file (YAML)")->required();
  cmd->add_option("--input", input_path, "JSON lines {\"topic\":..,\"payload\":..}, or raw payloads with --topic; - for stdin")
      ->required();
  cmd->add_option("--topic", topic, "Treat each input line as a raw payload on this topic");
  cmd->callback([&exit_code] { exit_code = dry_run(config_path, input_path, topic); });
}

const CommandRegistrar reg{add_dry_run_command};

}  // namespace
}  // namespace edgenode::node
