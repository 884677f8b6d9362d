// libFuzzer target: the `when` language. The first line is the expression, the rest a
// JSON payload; compiling and evaluating must end in a value or an error, never a crash.
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
  nlohmann::json payload = nlohmann::json::parse(newline == std::string::npos ? "{}" : input.substr(newline + 1),
                                                 nullptr, /*allow_exceptions=*/false);
  const std::string topic = "factory/m1/vibration";
  const nlohmann::json levels = edgenode::pipeline::split_topic_levels(topic);
  edgenode::pipeline::ExprScope scope;
  scope.payload = &payload;
  scope.topic = &topic;
  scope.topic_levels = &levels;
  (void)expression->evaluate(scope);
  (void)expression->test(scope);
  return 0;
}
