#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "pipeline/runner.h"
#include "pipeline_fixture.h"

namespace edgenode::pipeline {
namespace {

using nlohmann::json;
using testing::build;
using testing::message;

// Records what the runner publishes; can hold the runner's thread in an output publish
// so that the queue fills.
class RecordingPublisher final : public Publisher {
 public:
  void publish(bus::Message&& m, OutboundKind kind) override {
    std::unique_lock lock(mutex_);
    if (kind == OutboundKind::output && holding_) {
      ++held;
      released_.wait(lock, [&] { return !holding_; });
    }
    (kind == OutboundKind::output ? outputs : deadletters).push_back(std::move(m));
    threads.push_back(std::this_thread::get_id());
  }
  void hold() {
    std::lock_guard lock(mutex_);
    holding_ = true;
  }
  void release() {
    {
      std::lock_guard lock(mutex_);
      holding_ = false;
    }
    released_.notify_all();
  }
  std::vector<bus::Message> outputs, deadletters;
  std::vector<std::thread::id> threads;  // where each publish ran
  std::atomic<int> held{0};              // publishes that waited for release()

 private:
  std::mutex mutex_;
  std::condition_variable released_;
  bool holding_ = false;
};

RunnerOptions options() {
  RunnerOptions o;
  o.deadletters = {"edgenode/test-node", "default"};
  return o;
}

TEST(Runner, RoutesByTopicAndKeepsOrder) {
  auto b = build(R"y(  - name: all
    input: {topics: ["s/#"]}
    post: [{set: {field: i, expr: "payload.i"}}]
    output: {topic: "all"}
  - name: only-a
    input: {topics: ["s/a", "$share/g/s/c"]}
    post: [{set: {field: i, expr: "payload.i"}}]
    output: {topic: "a"})y");
  RecordingPublisher publisher;
  Runner runner(std::move(b.pipelines), publisher, options());
  for (int i = 0; i < 200; ++i) {
    const std::string topic = i % 3 == 0 ? "s/a" : (i % 3 == 1 ? "s/b" : "s/c");
    runner.submit(message(topic, "{\"i\": " + std::to_string(i) + "}"));
  }
  EXPECT_EQ(runner.submit(message("x/y", "{}")), 0u);
  runner.wait_idle();
  std::vector<int> all, only_a;
  for (const auto& m : publisher.outputs) {
    (m.topic == "all" ? all : only_a).push_back(json::parse(m.payload)["i"].get<int>());
  }
  ASSERT_EQ(all.size(), 200u);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(all[static_cast<size_t>(i)], i);
  EXPECT_EQ(only_a.size(), 133u);  // s/a (67) and the shared s/c (66)
  EXPECT_TRUE(std::is_sorted(only_a.begin(), only_a.end()));
  const auto counters = runner.counters();
  EXPECT_EQ(counters[0].in, 200u);
  EXPECT_EQ(counters[0].out, 200u);
  EXPECT_GT(LatencyHistogram::percentile(counters[0].latency, 99), 0.0);
}

TEST(Runner, FailuresAreDeadLetteredAndCounted) {
  auto b = build(R"y(  - name: strict
    input: {topics: ["in"], max_size: 64}
    when: "payload.v > 0"
    output: {topic: "out"})y");
  RecordingPublisher publisher;
  Runner runner(std::move(b.pipelines), publisher, options());
  runner.submit(message("in", R"({"v": 1})"));
  runner.submit(message("in", R"({"v": )"));
  runner.submit(message("in", std::string(100, ' ')));
  runner.submit(message("in", R"({"w": 1})"));
  runner.submit(message("in", R"({"v": -1})"));
  runner.wait_idle();
  ASSERT_EQ(publisher.outputs.size(), 1u);
  ASSERT_EQ(publisher.deadletters.size(), 3u);
  const json first = json::parse(publisher.deadletters[0].payload);
  EXPECT_EQ(publisher.deadletters[0].topic, "edgenode/test-node/deadletter/strict");
  EXPECT_EQ(first["stage"], "decode");
  EXPECT_EQ(first["pipeline"], "strict");
  EXPECT_EQ(first["topic"], "in");
  EXPECT_EQ(first["size"], 6);
  EXPECT_EQ(first["payload_sha256"].get<std::string>().size(), 64u);
  EXPECT_FALSE(first.contains("payload"));  // raw bytes stay on site
  EXPECT_NE(json::parse(publisher.deadletters[1].payload)["reason"].get<std::string>().find("too large"),
            std::string::npos);
  EXPECT_EQ(json::parse(publisher.deadletters[2].payload)["stage"], "when");
  const auto c = runner.counters()[0];
  EXPECT_EQ(c.in, 5u);
  EXPECT_EQ(c.out, 1u);
  EXPECT_EQ(c.deadlettered, 3u);
  EXPECT_EQ(c.filtered, 1u);
}

// Holds the runner inside publish() so the queue fills, then applies each policy.
struct PolicyRun {
  std::vector<int> published;
  PipelineCounters counters;
  size_t deadletters = 0;
};

PolicyRun run_policy(const std::string& on_full, int messages) {
  auto b = build(R"y(  - name: q
    input: {topics: [in]}
    post: [{set: {field: i, expr: "payload.i"}}]
    output: {topic: out}
    queue: {max: 4, on_full: )y" + on_full + "}");
  RecordingPublisher publisher;
  Runner runner(std::move(b.pipelines), publisher, options());
  publisher.hold();
  runner.submit(message("in", R"({"i": 0})"));
  // Wait until message 0 is running (blocked in publish), so the queue is empty.
  while (runner.counters()[0].queue_depth != 0) std::this_thread::yield();
  std::thread producer([&] {
    for (int i = 1; i < messages; ++i) runner.submit(message("in", "{\"i\": " + std::to_string(i) + "}"));
  });
  if (on_full != "block") producer.join();
  publisher.release();
  if (on_full == "block") producer.join();
  runner.wait_idle();
  PolicyRun r;
  for (const auto& m : publisher.outputs) r.published.push_back(json::parse(m.payload)["i"].get<int>());
  r.counters = runner.counters()[0];
  r.deadletters = publisher.deadletters.size();
  return r;
}

TEST(Runner, DropOldestKeepsTheNewest) {
  auto r = run_policy("drop_oldest", 10);
  // 0 was running; 1..9 arrived at a queue of 4: 1..5 dropped, 6..9 kept.
  EXPECT_EQ(r.published, (std::vector<int>{0, 6, 7, 8, 9}));
  EXPECT_EQ(r.counters.dropped, 5u);
}

TEST(Runner, DeadletterPolicyRefusesTheNew) {
  auto r = run_policy("deadletter", 10);
  EXPECT_EQ(r.published, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(r.deadletters, 5u);
  EXPECT_EQ(r.counters.deadlettered, 5u);
}

TEST(Runner, BlockLosesNothing) {
  auto r = run_policy("block", 50);
  ASSERT_EQ(r.published.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(r.published[static_cast<size_t>(i)], i);
  EXPECT_EQ(r.counters.dropped, 0u);
}

TEST(Runner, DrainStopsIntakeAndFinishesTheQueue) {
  auto b = build(R"y(  - name: d
    input: {topics: [in]}
    output: {topic: out})y");
  RecordingPublisher publisher;
  Runner runner(std::move(b.pipelines), publisher, options());
  for (int i = 0; i < 100; ++i) runner.submit(message("in", "{}"));
  EXPECT_EQ(runner.drain(std::chrono::seconds(10)), 0u);
  EXPECT_EQ(publisher.outputs.size(), 100u);
}

RunnerOptions inline_options() {
  RunnerOptions o = options();
  o.inline_light_pipelines = true;
  return o;
}

TEST(Runner, LightPipelineRunsOnTheSubmittingThread) {
  auto b = build(R"y(  - name: light
    input: {topics: [in]}
    when: "payload.v > 0"
    output: {topic: out})y");
  RecordingPublisher publisher;
  Runner runner(std::move(b.pipelines), publisher, inline_options());
  runner.submit(message("in", R"({"v": 1})"));
  // Published before submit() returned, without waiting for the runner.
  ASSERT_EQ(publisher.outputs.size(), 1u);
  EXPECT_EQ(publisher.threads[0], std::this_thread::get_id());
  runner.submit(message("in", R"({"v": )"));
  ASSERT_EQ(publisher.deadletters.size(), 1u);
  EXPECT_EQ(runner.counters()[0].in, 2u);
  EXPECT_EQ(runner.counters()[0].out, 1u);
}

TEST(Runner, MessagesSubmittedWhileOneRunsInlineQueueBehindIt) {
  auto b = build(R"y(  - name: light
    input: {topics: [in]}
    post: [{set: {field: i, expr: "payload.i"}}]
    output: {topic: out})y");
  RecordingPublisher publisher;
  Runner runner(std::move(b.pipelines), publisher, inline_options());
  publisher.hold();
  std::thread first([&] { runner.submit(message("in", R"({"i": 0})")); });  // held in its publish
  while (publisher.held == 0) std::this_thread::yield();
  for (int i = 1; i < 20; ++i) runner.submit(message("in", "{\"i\": " + std::to_string(i) + "}"));
  EXPECT_EQ(runner.counters()[0].queue_depth, 19u);  // none of them overtook message 0
  publisher.release();
  first.join();
  runner.wait_idle();
  ASSERT_EQ(publisher.outputs.size(), 20u);
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(json::parse(publisher.outputs[static_cast<size_t>(i)].payload)["i"].get<int>(), i);
  // Once the lane is idle again, the next message runs inline once more.
  runner.submit(message("in", R"({"i": 20})"));
  ASSERT_EQ(publisher.outputs.size(), 21u);
  EXPECT_EQ(publisher.threads.back(), std::this_thread::get_id());
}

TEST(Runner, WindowPipelineStaysOnThePool) {
  auto b = build(R"y(  - name: windowed
    input: {topics: [in]}
    window: {count: 1}
    output: {topic: out})y");
  RecordingPublisher publisher;
  Runner runner(std::move(b.pipelines), publisher, inline_options());
  runner.submit(message("in", R"({"v": 1})"));
  runner.wait_idle();
  ASSERT_EQ(publisher.outputs.size(), 1u);
  EXPECT_NE(publisher.threads[0], std::this_thread::get_id());
}

}  // namespace
}  // namespace edgenode::pipeline
