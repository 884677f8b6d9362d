// The runner's side of the journal protocol, without processes: every output names its
// input and pipeline, an input is finished once every pipeline it fed is through with
// it (whatever the outcome), an output that could not be kept leaves the input pending,
// and a replayed input waits for room instead of taking the queue-full policy.
#include <map>
#include <mutex>
#include <set>

#include <gtest/gtest.h>

#include "pipeline/runner.h"
#include "pipeline/pipeline_fixture.h"

namespace edgenode::pipeline {
namespace {

using testing::build;
using testing::message;

class JournalRecorder final : public Publisher {
 public:
  void publish(bus::Message&&, OutboundKind) override { ADD_FAILURE() << "every runner output has an origin"; }
  bool publish_output(bus::Message&& m, OutboundKind kind, const OutputOrigin& origin) override {
    std::lock_guard lock(mutex_);
    ids.insert(std::to_string(origin.input_id) + "/" + std::string(origin.pipeline) + "/" + std::to_string(origin.seq));
    if (kind == OutboundKind::deadletter) ++deadletters;
    return keep;
  }
  void input_finished(int64_t input_id) override {
    std::lock_guard lock(mutex_);
    ++finished[input_id];
  }
  std::mutex mutex_;
  std::set<std::string> ids;
  std::map<int64_t, int> finished;
  int deadletters = 0;
  bool keep = true;
};

RunnerOptions options() {
  RunnerOptions o;
  o.deadletters = {"edgenode/test-node", "default"};
  return o;
}

bus::Message journaled(const std::string& topic, const std::string& payload, int64_t id) {
  bus::Message m = message(topic, payload);
  m.journal_id = id;
  return m;
}

constexpr const char* kTwoPipelines = R"y(  - name: all
    input: {topics: ["s/#"]}
    when: "payload.v > 0"
    post: [{set: {field: v, expr: "payload.v"}}]
    output: {topic: "all"}
  - name: strict
    input: {topics: ["s/a"]}
    post: [{set: {field: w, expr: "payload.missing.field + 1"}}]
    output: {topic: "strict"})y";

TEST(RunnerJournal, InputFinishesOnceAfterEveryPipelineWhateverTheOutcome) {
  auto b = build(kTwoPipelines);
  JournalRecorder recorder;
  Runner runner(std::move(b.pipelines), recorder, options());
  EXPECT_EQ(runner.submit(journaled("s/a", R"({"v": 1})", 7)), 2u);   // output + dead-letter
  EXPECT_EQ(runner.submit(journaled("s/b", R"({"v": 0})", 8)), 1u);   // filtered
  EXPECT_EQ(runner.submit(journaled("x/y", R"({"v": 1})", 9)), 0u);   // no pipeline
  runner.wait_idle();
  EXPECT_EQ(recorder.finished, (std::map<int64_t, int>{{7, 1}, {8, 1}, {9, 1}}));
  EXPECT_EQ(recorder.ids, (std::set<std::string>{"7/all/0", "7/strict/-1"}));
  EXPECT_EQ(recorder.deadletters, 1);
}

TEST(RunnerJournal, AnOutputNotKeptLeavesTheInputPending) {
  auto b = build(kTwoPipelines);
  JournalRecorder recorder;
  recorder.keep = false;
  Runner runner(std::move(b.pipelines), recorder, options());
  runner.submit(journaled("s/b", R"({"v": 3})", 11));
  runner.submit(journaled("s/b", R"({"v": 0})", 12));  // filtered: nothing to keep
  runner.wait_idle();
  EXPECT_EQ(recorder.finished.count(11), 0u);
  EXPECT_EQ(recorder.finished.count(12), 1u);
}

TEST(RunnerJournal, UnjournaledInputsAreNeverReportedFinished) {
  auto b = build(kTwoPipelines);
  JournalRecorder recorder;
  Runner runner(std::move(b.pipelines), recorder, options());
  runner.submit(message("s/b", R"({"v": 3})"));
  runner.wait_idle();
  EXPECT_TRUE(recorder.finished.empty());
  EXPECT_EQ(recorder.ids, (std::set<std::string>{"0/all/0"}));
}

TEST(RunnerJournal, ReplayWaitsForRoomWhereSubmitDeadLetters) {
  auto b = build(R"y(  - name: small
    input: {topics: ["s/#"]}
    post: [{set: {field: v, expr: "payload.v"}}]
    output: {topic: "out"}
    queue: {max: 1, on_full: deadletter})y");
  JournalRecorder recorder;
  Runner runner(std::move(b.pipelines), recorder, options());
  for (int64_t id = 1; id <= 50; ++id) runner.replay(journaled("s/a", R"({"v": 1})", id));
  runner.wait_idle();
  EXPECT_EQ(recorder.deadletters, 0);
  EXPECT_EQ(recorder.ids.size(), 50u);
  EXPECT_EQ(recorder.finished.size(), 50u);
}

}  // namespace
}  // namespace edgenode::pipeline
