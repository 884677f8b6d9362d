// The runner's side of the journal protocol, without processes: every output names its
// input and pipeline, an input is finished once every pipeline it fed is through with
// it (whatever the outcome), an output that could not be kept leaves the input pending,
// a replayed input waits for room instead of taking the queue-full policy, and a
// journaled input that finds a blocking queue full is parked and fed back in order.
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <vector>

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

// Holds every output until released, so a pipeline's queue stays full.
class HeldPublisher final : public Publisher {
 public:
  void publish(bus::Message&&, OutboundKind) override { ADD_FAILURE() << "every runner output has an origin"; }
  bool publish_output(bus::Message&&, OutboundKind, const OutputOrigin& origin) override {
    std::unique_lock lock(mutex_);
    released_.wait(lock, [&] { return !held_; });
    order.push_back(origin.input_id);
    return true;
  }
  void input_finished(int64_t input_id) override {
    std::lock_guard lock(mutex_);
    finished.insert(input_id);
  }
  void release() {
    {
      std::lock_guard lock(mutex_);
      held_ = false;
    }
    released_.notify_all();
  }
  std::mutex mutex_;
  std::condition_variable released_;
  bool held_ = true;
  std::vector<int64_t> order;
  std::set<int64_t> finished;
};

TEST(RunnerJournal, JournaledInputsFindingABlockingQueueFullAreParkedAndFedInOrder) {
  auto b = build(R"y(  - name: small
    input: {topics: ["s/#"]}
    post: [{set: {field: v, expr: "payload.v"}}]
    output: {topic: "out"}
    queue: {max: 1, on_full: block})y");
  constexpr int64_t kInputs = 40;
  std::map<int64_t, bus::Message> journal;  // stands for the node's journal: inputs by id
  for (int64_t id = 1; id <= kInputs; ++id) journal[id] = journaled("s/a", R"({"v": 1})", id);
  HeldPublisher publisher;
  std::mutex calls_mutex;
  std::vector<std::string> parked_changes;
  RunnerOptions o = options();
  o.load_input = [&](int64_t id) -> std::optional<bus::Message> {
    auto it = journal.find(id);
    if (it == journal.end()) return std::nullopt;
    return it->second;
  };
  o.on_parked_changed = [&](const std::string& bus) {
    std::lock_guard lock(calls_mutex);
    parked_changes.push_back(bus);
  };
  Runner runner(std::move(b.pipelines), publisher, o);
  // With the first input held in its stage and the queue (1) full, submit() would wait
  // here for good; every call returns instead.
  for (int64_t id = 1; id <= kInputs; ++id) EXPECT_EQ(runner.submit(journal[id]), 1u);
  EXPECT_TRUE(runner.has_parked("default"));
  EXPECT_FALSE(runner.has_parked("other"));
  size_t changes_while_held = 0;
  {
    // The lane may have parked, fed and parked again before the first input was held, and
    // the calls come outside the runner's locks, in any order: the listener asks
    // has_parked() for the truth. Only the bus's name is told.
    std::lock_guard lock(calls_mutex);
    changes_while_held = parked_changes.size();
    EXPECT_GE(changes_while_held, 1u);
    EXPECT_EQ(std::set<std::string>(parked_changes.begin(), parked_changes.end()), std::set<std::string>{"default"});
  }
  publisher.release();
  runner.wait_idle();
  EXPECT_FALSE(runner.has_parked("default"));
  std::vector<int64_t> expected;
  for (int64_t id = 1; id <= kInputs; ++id) expected.push_back(id);
  EXPECT_EQ(publisher.order, expected) << "parked inputs run in arrival order";
  EXPECT_EQ(publisher.finished.size(), static_cast<size_t>(kInputs));
  std::lock_guard lock(calls_mutex);
  EXPECT_GT(parked_changes.size(), changes_while_held) << "told again, when none was left";
}

TEST(RunnerJournal, AParkedInputThatIsGoneIsReportedFinished) {
  auto b = build(R"y(  - name: small
    input: {topics: ["s/#"]}
    output: {topic: "out"}
    queue: {max: 1, on_full: block})y");
  HeldPublisher publisher;
  RunnerOptions o = options();
  // Odd ids from 3 on are gone from the journal when read back (2 may have been queued
  // or parked, depending on when the first input started running).
  o.load_input = [](int64_t id) -> std::optional<bus::Message> {
    if (id % 2 == 1) return std::nullopt;
    return journaled("s/a", R"({"v": 1})", id);
  };
  Runner runner(std::move(b.pipelines), publisher, o);
  for (int64_t id = 1; id <= 5; ++id) runner.submit(journaled("s/a", R"({"v": 1})", id));
  publisher.release();
  runner.wait_idle();
  EXPECT_EQ(publisher.order, (std::vector<int64_t>{1, 2, 4}));
  EXPECT_EQ(publisher.finished, (std::set<int64_t>{1, 2, 3, 4, 5}));
}

}  // namespace
}  // namespace edgenode::pipeline
