// A pipeline with a real model: stories260K from the shared fixtures through `dry-run`.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

TEST(NodeModel, InferPipelineProducesText) {
  const fs::path model = fs::path(EDGENODE_SHARED_FIXTURES) / "models" / "stories260K.gguf";
  if (!fs::exists(model)) GTEST_SKIP() << "shared fixture " << model << " is absent";
  const fs::path dir = fs::temp_directory_path() / ("edgenode_model_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "node.yaml") << "node: {id: m, bus: {mqtt: {url: \"mqtt://127.0.0.1:1\"}}}\n"
                                   << "models:\n  story: {path: \"" << model.string() << "\", threads: 1}\n"
                                   << R"y(pipelines:
  - name: story
    input: {topics: ["tell/+"]}
    prompt:
      user: "Once upon a time, {{ payload.hero }} found a"
    infer: {model: story, max_tokens: 12, temperature: 0}
    post: [{set: {field: hero, expr: "payload.hero"}}]
    output: {topic: "stories/{{ topic_levels[1] }}"}
)y";
  std::ofstream(dir / "in.jsonl") << R"({"topic":"tell/1","payload":{"hero":"Lily"}})" << "\n";
  const std::string command = std::string("'") + EDGENODE_BIN + "' dry-run '" + (dir / "node.yaml").string() +
                              "' --input '" + (dir / "in.jsonl").string() + "' >'" + (dir / "out").string() +
                              "' 2>'" + (dir / "err").string() + "'";
  const int status = std::system(command.c_str());
  std::ifstream out(dir / "out"), err(dir / "err");
  std::stringstream out_text, err_text;
  out_text << out.rdbuf();
  err_text << err.rdbuf();
  ASSERT_EQ(status, 0) << err_text.str();
  std::string line;
  ASSERT_TRUE(std::getline(out_text, line)) << err_text.str();
  const json result = json::parse(line);
  EXPECT_EQ(result["kind"], "output") << line;
  EXPECT_EQ(result["topic"], "stories/1");
  EXPECT_EQ(result["payload"]["hero"], "Lily");
  EXPECT_FALSE(result["payload"]["text"].get<std::string>().empty()) << line;
  fs::remove_all(dir);
}

}  // namespace
