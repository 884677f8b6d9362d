// What a pipeline's `archive:` setting keeps in the node's raw archive, and the config rules.
#include <mutex>

#include <gtest/gtest.h>

#include "bus/raw_archive.h"
#include "engine/model/sha256.h"
#include "pipeline/runner.h"
#include "pipeline_fixture.h"
#include "support/temp_dir.h"

namespace edgenode::pipeline {
namespace {

class CountingPublisher final : public Publisher {
 public:
  void publish(bus::Message&&, OutboundKind kind) override {
    std::lock_guard lock(mutex_);
    ++(kind == OutboundKind::output ? outputs : deadletters);
  }
  int outputs = 0, deadletters = 0;

 private:
  std::mutex mutex_;
};

// Runs a valid, a malformed and a filtered message through one pipeline whose archive
// setting is `mode`; returns what the archive then holds, newest first.
std::vector<bus::ArchiveEntry> archived_with(const std::string& mode) {
  edgenode::testing::TempDir dir;
  const std::string path = (dir.path / "archive.db").string();
  const std::string yaml = "node:\n  id: n\n  bus: {mqtt: {url: \"mqtt://127.0.0.1:1\"}}\n  archive: {path: " + path +
                           "}\npipelines:\n  - name: p\n    input: {topics: [\"in/#\"]}\n    when: \"payload.v > 0\"\n"
                           "    output: {topic: out}\n    archive: " + mode + "\n";
  LoadedConfig config = load_config_text(yaml, "test.yaml", [](const std::string&) { return std::nullopt; });
  auto pipelines = build_pipelines(config, nullptr);
  EXPECT_TRUE(config.ok()) << config.diagnostics.format_all();
  auto archive = bus::RawArchive::open({.path = path});
  EXPECT_TRUE(archive) << archive.error().message;
  CountingPublisher publisher;
  {
    RunnerOptions options;
    options.deadletters = {"edgenode/n", "default"};
    options.archive = archive->get();
    Runner runner(std::move(pipelines), publisher, options);
    runner.submit(testing::message("in/a", R"({"v": 1})"));
    runner.submit(testing::message("in/b", std::string("{\"v\": \xff", 7)));
    runner.submit(testing::message("in/c", R"({"v": -1})"));
    runner.wait_idle();
  }
  EXPECT_EQ(publisher.outputs, 1);
  EXPECT_EQ(publisher.deadletters, 1);
  (*archive)->flush();
  auto entries = bus::read_archive(path, {.with_payload = true});
  EXPECT_TRUE(entries) << entries.error().message;
  return entries ? *entries : std::vector<bus::ArchiveEntry>{};
}

TEST(RunnerArchive, DeadlettersKeepsOnlyTheFailedPayloadWithItsReason) {
  const auto entries = archived_with("deadletters");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].topic, "in/b");
  EXPECT_EQ(entries[0].payload, std::string("{\"v\": \xff", 7));
  EXPECT_EQ(entries[0].sha256, engine::sha256_hex(entries[0].payload));  // the dead-letter's payload_sha256
  EXPECT_EQ(entries[0].stage, "decode");
  EXPECT_FALSE(entries[0].reason.empty());
  EXPECT_EQ(entries[0].pipeline, "p");
}

TEST(RunnerArchive, InputsKeepsEveryInputOnce) {
  const auto entries = archived_with("inputs");
  ASSERT_EQ(entries.size(), 3u);
  std::vector<std::string> topics;
  for (const auto& e : entries) topics.push_back(e.topic);
  std::sort(topics.begin(), topics.end());
  EXPECT_EQ(topics, (std::vector<std::string>{"in/a", "in/b", "in/c"}));
  for (const auto& e : entries) EXPECT_EQ(e.stage.empty(), e.topic != "in/b") << e.topic;
}

TEST(RunnerArchive, NoneKeepsNothing) { EXPECT_TRUE(archived_with("none").empty()); }

TEST(ArchiveConfig, InputsWithoutANodeArchiveIsRefusedWhereItIsWritten) {
  LoadedConfig config = load_config_text(testing::with_node(R"y(  - name: p
    input: {topics: [in]}
    output: {topic: out}
    archive: inputs)y"),
                                         "test.yaml", [](const std::string&) { return std::nullopt; });
  build_pipelines(config, nullptr);
  ASSERT_EQ(config.diagnostics.error_count(), 1u);
  EXPECT_EQ(config.diagnostics.format(config.diagnostics.all()[0]),
            "test.yaml:8:14: archive: inputs needs node.archive (the file to keep them in)");
}

}  // namespace
}  // namespace edgenode::pipeline
