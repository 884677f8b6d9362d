// libFuzzer target: any bytes as a config file. Loading and building must report
// problems as diagnostics, never crash, hang or read the environment.
#include <cstddef>
#include <cstdint>
#include <string>

#include "pipeline/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto no_environment = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  auto config = edgenode::pipeline::load_config_text(text, "fuzz.yaml", no_environment);
  edgenode::pipeline::build_pipelines(config, nullptr);
  (void)config.diagnostics.format_all();
  return 0;
}
