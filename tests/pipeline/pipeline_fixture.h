// Builds pipelines from YAML text for tests and runs single messages through them.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pipeline/config.h"

namespace edgenode::pipeline::testing {

inline std::string with_node(const std::string& pipelines_yaml) {
  return "node:\n  id: test-node\n  bus: {mqtt: {url: \"mqtt://127.0.0.1:1\"}}\npipelines:\n" + pipelines_yaml;
}

struct Built {
  LoadedConfig config;
  std::vector<std::unique_ptr<Pipeline>> pipelines;
};

inline Built build(const std::string& pipelines_yaml) {
  Built b{load_config_text(with_node(pipelines_yaml), "test.yaml", [](const std::string&) { return std::nullopt; }), {}};
  if (b.config.ok()) b.pipelines = build_pipelines(b.config, nullptr);
  EXPECT_TRUE(b.config.ok()) << b.config.diagnostics.format_all();
  return b;
}

inline bus::Message message(const std::string& topic, const std::string& payload) {
  bus::Message m;
  m.topic = topic;
  m.payload = payload;
  m.bus = "default";
  m.trace_id = "t-1";
  return m;
}

struct Ran {
  PipelineOutcome outcome;
  Envelope envelope;
};

inline Ran run(Pipeline& p, const std::string& topic, const std::string& payload) {
  Ran r;
  r.envelope.input = message(topic, payload);
  r.envelope.started = std::chrono::steady_clock::now();
  r.outcome = p.run(r.envelope);
  return r;
}

}  // namespace edgenode::pipeline::testing
