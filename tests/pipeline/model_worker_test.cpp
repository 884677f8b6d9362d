// The model worker under concurrent callers: requests from several pipelines at once are
// served together (one batch) and each caller gets exactly what it would get alone.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "model_generator.h"
#include "pipeline/model_worker.h"

namespace edgenode::pipeline {
namespace {

namespace fs = std::filesystem;

fs::path small_model() {
  const fs::path path =
      fs::temp_directory_path() / ("edgenode-model-worker-" + std::to_string(::getpid()) + ".gguf");
  tools::ModelShape shape;
  shape.n_embd = 128;
  shape.n_ff = 256;
  shape.vocab = 300;
  shape.ctx = 128;
  shape.type = "q8_0";
  EXPECT_TRUE(tools::write_model(shape, path.string()).ok());
  return path;
}

std::unique_ptr<engine::Model> load(const fs::path& path, int sequences) {
  engine::LoadOptions options;
  options.path = path.string();
  options.threads = 1;
  options.sequences = sequences;
  auto model = engine::Model::load(options);
  EXPECT_TRUE(model.ok()) << model.error().message;
  return model.ok() ? std::move(*model) : nullptr;
}

TEST(ModelWorker, ConcurrentCallersEachGetTheirOwnGeneration) {
  const fs::path path = small_model();
  constexpr int kCallers = 6;
  std::vector<engine::GenerateRequest> requests(kCallers);
  for (int i = 0; i < kCallers; ++i) {
    requests[i].tokens = {1, 20, 30, 40 + i, 50 + 2 * i};
    requests[i].max_tokens = 8 + i;
    requests[i].stop_at_eog = false;
  }
  auto alone = load(path, 1);
  ASSERT_TRUE(alone);
  std::vector<std::vector<int32_t>> expected;
  for (const auto& r : requests) expected.push_back(alone->generate(r)->tokens);

  ModelWorker worker("tiny", load(path, 4), 4, 0, 0);
  std::vector<std::vector<int32_t>> got(kCallers);
  std::vector<std::string> errors(kCallers);
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] {
      auto result = worker.generate(requests[i]);
      if (result)
        got[i] = result->tokens;
      else
        errors[i] = result.error().message;
    });
  }
  for (auto& t : callers) t.join();
  for (int i = 0; i < kCallers; ++i) {
    EXPECT_EQ(errors[i], "") << "caller " << i;
    EXPECT_EQ(got[i], expected[i]) << "caller " << i;
  }
  const ModelWorkerStats stats = worker.stats();
  EXPECT_EQ(stats.requests, static_cast<uint64_t>(kCallers));
  fs::remove(path);
}

}  // namespace
}  // namespace edgenode::pipeline
