#include "node/node_models.h"

#include <chrono>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "engine/engine.h"

namespace edgenode::node {

Result<pipeline::ModelSet> load_models(const std::vector<pipeline::ModelSettings>& models) {
  pipeline::ModelSet loaded;
  for (const auto& m : models) {
    engine::LoadOptions options;
    options.path = m.path;
    options.threads = m.threads;
    options.context = m.context;
    options.sequences = m.max_sequences;
    options.weights = m.weights == "f32" ? engine::WeightMode::f32 : engine::WeightMode::q8_0;
    const auto start = std::chrono::steady_clock::now();
    auto model = engine::Model::load(options);
    if (!model) return bad_input("model '" + m.name + "' (" + m.path + "): " + model.error().message);
    const double load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(m.path, ec);
    spdlog::info("model_loaded name={} path={} load_ms={:.0f} bytes={}", m.name, m.path, load_ms, ec ? 0 : bytes);
    loaded[m.name] = std::make_shared<pipeline::ModelWorker>(m.name, std::move(model).value(), m.max_sequences, load_ms,
                                                             ec ? 0 : static_cast<uint64_t>(bytes));
  }
  return loaded;
}

}  // namespace edgenode::node
