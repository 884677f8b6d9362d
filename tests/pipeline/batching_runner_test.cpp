// One infer pipeline fed by many topics fills its model's batch: the runner runs messages
// of different topics at once (up to the model's max_sequences), keeps each topic's
// messages in arrival order, and the greedy results are those of a serial run.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "model_generator.h"
#include "pipeline/runner.h"
#include "pipeline_fixture.h"

namespace edgenode::pipeline {
namespace {

namespace fs = std::filesystem;

constexpr int kTopics = 8;
constexpr int kPerTopic = 6;

// Outputs by the trace id of their input, and each topic's trace ids in publish order.
class CollectingPublisher final : public Publisher {
 public:
  void publish(bus::Message&& m, OutboundKind kind) override {
    std::lock_guard lock(mutex_);
    if (kind == OutboundKind::deadletter) {
      deadletters.push_back(m.payload);
      return;
    }
    by_topic[m.topic].push_back(m.trace_id);
    payload_of[m.trace_id] = m.payload;
  }
  std::map<std::string, std::vector<std::string>> by_topic;
  std::map<std::string, std::string> payload_of;
  std::vector<std::string> deadletters;

 private:
  std::mutex mutex_;
};

// Holds every output until `width` outputs wait in it at once (or 30 s pass), so the
// messages that publish them are running at the same time; notes a topic held twice.
class GatePublisher final : public Publisher {
 public:
  explicit GatePublisher(size_t width) : width_(width) {}
  void publish(bus::Message&& m, OutboundKind) override {
    std::unique_lock lock(mutex_);
    if (std::find(held_.begin(), held_.end(), m.topic) != held_.end()) topic_held_twice = true;
    held_.push_back(m.topic);
    most_held = std::max(most_held, held_.size());
    if (held_.size() >= width_) {
      opened = true;
      open_.notify_all();
    }
    open_.wait_for(lock, std::chrono::seconds(30), [&] { return opened; });
    held_.erase(std::find(held_.begin(), held_.end(), m.topic));
    ++published;
  }
  bool opened = false;  // by `width` outputs at once, not by the timeout
  bool topic_held_twice = false;
  size_t most_held = 0;
  int published = 0;

 private:
  size_t width_;
  std::mutex mutex_;
  std::condition_variable open_;
  std::vector<std::string> held_;
};

class BatchingRunner : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = fs::temp_directory_path() / ("edgenode-batching-" + std::to_string(::getpid()) + ".gguf");
    tools::ModelShape shape;
    shape.n_embd = 128;
    shape.n_ff = 256;
    shape.vocab = 300;
    shape.ctx = 256;
    shape.type = "q8_0";
    ASSERT_TRUE(tools::write_model(shape, path_.string()).ok());
  }
  void TearDown() override { fs::remove(path_); }

  std::shared_ptr<ModelWorker> worker(int sequences) const {
    engine::LoadOptions options;
    options.path = path_.string();
    options.threads = 1;
    options.sequences = sequences;
    auto model = engine::Model::load(options);
    EXPECT_TRUE(model.ok()) << model.error().message;
    if (!model.ok()) return nullptr;
    return std::make_shared<ModelWorker>("tiny", std::move(*model), sequences, 0, 0);
  }

  std::string config(const std::string& extra_stage = "") const {
    return testing::with_node("  - name: triage\n"
                              "    input: {topics: [\"factory/+/reading\"]}\n" +
                              extra_stage +
                              "    prompt: {user: \"machine {{ topic_levels[1] }} reading {{ payload.n }}\"}\n"
                              "    infer: {model: tiny, max_tokens: 12, temperature: 0}\n"
                              "    output: {topic: \"out/{{ topic_levels[1] }}\"}\n"
                              "    queue: {max: 256, on_full: block}\n") +
           "models:\n  tiny: {path: \"" + path_.string() + "\"}\n";
  }

  struct Built {
    LoadedConfig config;
    std::vector<std::unique_ptr<Pipeline>> pipelines;
  };
  Built build(const std::shared_ptr<ModelWorker>& model, const std::string& extra_stage = "") const {
    Built b{load_config_text(config(extra_stage), "test.yaml", [](const std::string&) { return std::nullopt; }), {}};
    EXPECT_TRUE(b.config.ok()) << b.config.diagnostics.format_all();
    const ModelSet models{{"tiny", model}};
    if (b.config.ok()) b.pipelines = build_pipelines(b.config, &models);
    EXPECT_EQ(b.pipelines.size(), 1u) << b.config.diagnostics.format_all();
    return b;
  }

  // Every topic's messages, interleaved as 8 machines reporting together would send them.
  static void send_all(Runner& runner) {
    for (int i = 0; i < kPerTopic; ++i) {
      for (int t = 0; t < kTopics; ++t) {
        const std::string machine = "m" + std::to_string(t);
        bus::Message m = testing::message("factory/" + machine + "/reading", "{\"n\": " + std::to_string(i) + "}");
        m.trace_id = machine + "-" + std::to_string(i);
        runner.submit(std::move(m));
      }
    }
    runner.wait_idle();
  }

  fs::path path_;
};

TEST_F(BatchingRunner, OnlyAnInferPipelineWithoutWindowRunsSeveralMessagesAtOnce) {
  auto model = worker(4);
  ASSERT_TRUE(model);
  EXPECT_EQ(build(model).pipelines.at(0)->settings().concurrency, 4);
  EXPECT_EQ(build(model, "    window: {count: 2}\n").pipelines.at(0)->settings().concurrency, 1);
  EXPECT_EQ(testing::build("  - name: p\n    input: {topics: [\"a\"]}\n    output: {topic: \"b\"}\n")
                .pipelines.at(0)
                ->settings()
                .concurrency,
            1);
}

TEST_F(BatchingRunner, MessagesOfManyTopicsShareTheBatchInOrderPerTopicWithSerialResults) {
  auto serial_model = worker(1);
  auto batched_model = worker(4);
  ASSERT_TRUE(serial_model && batched_model);

  CollectingPublisher serial;
  {
    auto b = build(serial_model);
    ASSERT_EQ(b.pipelines.at(0)->settings().concurrency, 1);
    Runner runner(std::move(b.pipelines), serial, RunnerOptions{});
    send_all(runner);
  }
  CollectingPublisher batched;
  auto b = build(batched_model);
  Runner runner(std::move(b.pipelines), batched, RunnerOptions{});
  send_all(runner);

  EXPECT_TRUE(batched.deadletters.empty()) << batched.deadletters.front();
  ASSERT_EQ(batched.by_topic.size(), static_cast<size_t>(kTopics));
  for (int t = 0; t < kTopics; ++t) {
    const std::string machine = "m" + std::to_string(t);
    std::vector<std::string> in_order;
    for (int i = 0; i < kPerTopic; ++i) in_order.push_back(machine + "-" + std::to_string(i));
    EXPECT_EQ(batched.by_topic["out/" + machine], in_order) << machine;
  }
  // Greedy decoding: the batch changes nothing in what each message gets.
  ASSERT_EQ(serial.payload_of.size(), static_cast<size_t>(kTopics * kPerTopic));
  EXPECT_EQ(batched.payload_of, serial.payload_of);

  const ModelWorkerStats alone = serial_model->stats();
  EXPECT_EQ(alone.max_batch, 1u);
  EXPECT_EQ(alone.batched_requests, 0u);
  EXPECT_EQ(batched_model->stats().requests, static_cast<uint64_t>(kTopics * kPerTopic));

  // Four messages run at once reach the model together unless the machine is so busy that
  // each generation (under a millisecond) ends within one time slice of its thread; more
  // rounds then give the threads their chance.
  for (int round = 0; round < 20 && batched_model->stats().max_batch < 2; ++round) send_all(runner);
  const ModelWorkerStats shared = batched_model->stats();
  EXPECT_GE(shared.max_batch, 2u) << "one pipeline never had two messages in the model";
  EXPECT_LE(shared.max_batch, 4u);
  EXPECT_GT(shared.batched_requests, 0u);
}

TEST_F(BatchingRunner, RunsAsManyMessagesOfDifferentTopicsAtOnceAsTheModelServes) {
  auto model = worker(4);
  ASSERT_TRUE(model);
  GatePublisher gate(4);
  {
    auto b = build(model);
    Runner runner(std::move(b.pipelines), gate, RunnerOptions{});
    for (int i = 0; i < 3; ++i) {
      for (int t = 0; t < 4; ++t) runner.submit(testing::message("factory/m" + std::to_string(t) + "/reading", "{\"n\": 1}"));
    }
    runner.wait_idle();
  }
  EXPECT_TRUE(gate.opened) << "four messages of different topics never ran at once";
  EXPECT_EQ(gate.most_held, 4u);
  EXPECT_FALSE(gate.topic_held_twice);
  EXPECT_EQ(gate.published, 12);
}

TEST_F(BatchingRunner, OneTopicRunsOneMessageAtATime) {
  auto model = worker(4);
  ASSERT_TRUE(model);
  CollectingPublisher published;
  {
    auto b = build(model);
    Runner runner(std::move(b.pipelines), published, RunnerOptions{});
    for (int i = 0; i < 12; ++i) {
      bus::Message m = testing::message("factory/m0/reading", "{\"n\": " + std::to_string(i) + "}");
      m.trace_id = "m0-" + std::to_string(i);
      runner.submit(std::move(m));
    }
    runner.wait_idle();
  }
  std::vector<std::string> in_order;
  for (int i = 0; i < 12; ++i) in_order.push_back("m0-" + std::to_string(i));
  EXPECT_EQ(published.by_topic["out/m0"], in_order);
  EXPECT_EQ(model->stats().max_batch, 1u) << "two messages of one topic ran at once";
}

}  // namespace
}  // namespace edgenode::pipeline
