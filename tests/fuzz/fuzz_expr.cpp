// libFuzzer target: the `when` language. The first line is the expression, the rest the
// payload (JSON, or text when it does not parse); compiling and evaluating against every
// name the language reads must end in a value or an error, never a crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "pipeline/envelope.h"
#include "pipeline/expression.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const std::string source = input.substr(0, newline);
  auto expression = edgenode::pipeline::Expression::compile(source);
  if (!expression) return 0;

  const std::string body = newline == std::string::npos ? "{}" : input.substr(newline + 1);
  nlohmann::json payload = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  // A payload that is not JSON reaches expressions as text, as in the decode stage.
  if (payload.is_discarded()) payload = body;
  const std::string topic = "factory/m1/vibration";
  const nlohmann::json levels = edgenode::pipeline::split_topic_levels(topic);
  const nlohmann::json window = nlohmann::json::array({payload, payload});
  const nlohmann::json node = {{"name", "fuzz"}, {"site", "plant-1"}};

  edgenode::pipeline::ExprScope scope;
  scope.payload = &payload;
  scope.topic = &topic;
  scope.topic_levels = &levels;
  scope.window = &window;
  scope.result = &payload;
  scope.node = &node;
  (void)expression->evaluate(scope);
  (void)expression->test(scope);

  // Names missing from the scope (a filter before any window or inference) must be errors
  // or nulls too.
  const edgenode::pipeline::ExprScope bare;
  (void)expression->evaluate(bare);
  return 0;
}
