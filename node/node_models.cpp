#include "node/node_models.h"

#include <chrono>

#include <spdlog/spdlog.h>

#include "engine/engine.h"

namespace edgenode::node {

namespace {

Result<LoadedModel> load_model(const pipeline::ModelSettings& m, uintmax_t file_bytes,
                               std::filesystem::file_time_type file_time) {
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
  spdlog::info("model_loaded name={} path={} load_ms={:.0f} bytes={}", m.name, m.path, load_ms, file_bytes);
  auto worker = std::make_shared<pipeline::ModelWorker>(m.name, std::move(model).value(), m.max_sequences, load_ms,
                                                        static_cast<uint64_t>(file_bytes));
  // The status names the file's sha256, computed on first use (half a second for 150 MB):
  // here, a reload's running node still serves meanwhile.
  worker->file_sha256();
  return LoadedModel{m, file_bytes, file_time, std::move(worker)};
}

}  // namespace

Result<LoadedModels> load_models(const std::vector<pipeline::ModelSettings>& models, const LoadedModels& reusable) {
  LoadedModels loaded;
  for (const auto& m : models) {
    // A file that cannot be examined is left to the loader, whose error names the problem.
    std::error_code ec;
    const uintmax_t bytes = std::filesystem::file_size(m.path, ec);
    const auto time = ec ? std::filesystem::file_time_type{} : std::filesystem::last_write_time(m.path, ec);
    const bool examined = !ec;
    const LoadedModel* kept = nullptr;
    for (const auto& r : reusable) {
      if (examined && r.settings == m && r.file_bytes == bytes && r.file_time == time) kept = &r;
    }
    if (kept) {
      spdlog::debug("model_kept name={} path={}", m.name, m.path);
      loaded.push_back(*kept);
      continue;
    }
    auto model = load_model(m, examined ? bytes : 0, time);
    if (!model) return model.error();
    loaded.push_back(std::move(model).value());
  }
  return loaded;
}

pipeline::ModelSet model_set(const LoadedModels& models) {
  pipeline::ModelSet set;
  for (const auto& m : models) set[m.settings.name] = m.worker;
  return set;
}

}  // namespace edgenode::node
