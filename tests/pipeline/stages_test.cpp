#include <gtest/gtest.h>

#include "bus/codec.h"
#include "pipeline_fixture.h"

namespace edgenode::pipeline {
namespace {

using nlohmann::json;
using testing::build;
using testing::run;

TEST(Stages, DecodeWhenOutput) {
  auto b = build(R"y(  - name: hot
    input: {topics: ["site/+/temp"]}
    when: "payload.c > 30"
    post:
      - set: {field: machine, expr: "topic_levels[1]"}
      - set: {field: celsius, expr: "payload.c"}
    output: {topic: "alerts/{{ topic_levels[1] }}", qos: 1})y");
  ASSERT_EQ(b.pipelines.size(), 1u);
  Pipeline& p = *b.pipelines[0];

  auto hot = run(p, "site/m1/temp", R"({"c": 41.5, "secret": "raw"})");
  ASSERT_EQ(hot.outcome.status, StageStatus::next) << hot.outcome.reason;
  ASSERT_EQ(hot.envelope.outputs.size(), 1u);
  const auto& out = hot.envelope.outputs[0];
  EXPECT_EQ(out.topic, "alerts/m1");
  EXPECT_EQ(out.qos, 1);
  EXPECT_EQ(out.bus, "default");
  EXPECT_EQ(json::parse(out.payload), (json{{"machine", "m1"}, {"celsius", 41.5}}));  // no raw field
  bool has_trace = false, has_latency = false;
  for (const auto& [k, v] : out.user_properties) {
    has_trace = has_trace || (k == "trace_id" && v == "t-1");
    has_latency = has_latency || k == "latency_ms";
  }
  EXPECT_TRUE(has_trace && has_latency);

  EXPECT_EQ(run(p, "site/m1/temp", R"({"c": 20})").outcome.status, StageStatus::filtered);
  auto bad = run(p, "site/m1/temp", R"({"c": )");
  EXPECT_EQ(bad.outcome.status, StageStatus::failed);
  EXPECT_EQ(bad.outcome.stage, "decode");
  auto missing = run(p, "site/m1/temp", R"({"d": 1})");
  EXPECT_EQ(missing.outcome.status, StageStatus::failed);
  EXPECT_EQ(missing.outcome.stage, "when");
  EXPECT_NE(missing.outcome.reason.find("cannot compare null"), std::string::npos);
}

TEST(Stages, AllowRawPassesThePayloadAndFieldsSelect) {
  auto b = build(R"y(  - name: raw
    input: {topics: ["a/#"]}
    allow_raw: true
    output: {topic: "copy", fields: [x, y.z]})y");
  auto r = run(*b.pipelines[0], "a/b", R"({"x": 1, "y": {"z": 2, "w": 3}, "q": 4})");
  ASSERT_EQ(r.outcome.status, StageStatus::next) << r.outcome.reason;
  EXPECT_EQ(json::parse(r.envelope.outputs[0].payload), (json{{"x", 1}, {"y", {{"z", 2}}}}));
}

TEST(Stages, OutputFormats) {
  auto b = build(R"y(  - name: m
    input: {topics: ["in"], format: text}
    post: [{set: {field: text, expr: "payload + '!'"}}]
    output: {topic: "out/msgpack", format: msgpack}
  - name: t
    input: {topics: ["in"], format: text}
    post: [{set: {field: text, expr: "payload"}}]
    output: {topic: "out/text", format: text, fields: [text]})y");
  auto m = run(*b.pipelines[0], "in", "hello");
  ASSERT_EQ(m.outcome.status, StageStatus::next) << m.outcome.reason;
  EXPECT_EQ(json::from_msgpack(m.envelope.outputs[0].payload), (json{{"text", "hello!"}}));
  EXPECT_EQ(m.envelope.outputs[0].content_type, bus::content_type_for(bus::PayloadFormat::msgpack));
  auto t = run(*b.pipelines[1], "in", "plain words");
  ASSERT_EQ(t.outcome.status, StageStatus::next) << t.outcome.reason;
  EXPECT_EQ(t.envelope.outputs[0].payload, "plain words");
}

TEST(Stages, SlidingAndTumblingWindows) {
  auto b = build(R"y(  - name: slide
    input: {topics: ["m/+"]}
    window: {count: 3, key: "topic_levels[1]"}
    post: [{set: {field: n, expr: "len(window)"}}, {set: {field: first, expr: "window[0].v"}}]
    output: {topic: out}
  - name: tumble
    input: {topics: ["m/+"]}
    window: {count: 2, mode: tumbling}
    post: [{set: {field: sum, expr: "window[0].v + window[1].v"}}]
    output: {topic: out})y");
  Pipeline& slide = *b.pipelines[0];
  Pipeline& tumble = *b.pipelines[1];
  for (int i = 1; i <= 4; ++i) {
    auto r = run(slide, "m/a", "{\"v\": " + std::to_string(i) + "}");
    ASSERT_EQ(r.outcome.status, StageStatus::next) << r.outcome.reason;
    EXPECT_EQ(r.envelope.result().at("n"), std::min(i, 3));
    EXPECT_EQ(r.envelope.result().at("first"), std::max(1, i - 2));
  }
  // Another key has its own window.
  EXPECT_EQ(run(slide, "m/b", R"({"v": 9})").envelope.result().at("n"), 1);

  EXPECT_EQ(run(tumble, "m/a", R"({"v": 1})").outcome.status, StageStatus::held);
  auto second = run(tumble, "m/a", R"({"v": 2})");
  ASSERT_EQ(second.outcome.status, StageStatus::next);
  EXPECT_EQ(second.envelope.result().at("sum"), 3);
  EXPECT_EQ(run(tumble, "m/a", R"({"v": 5})").outcome.status, StageStatus::held);
}

TEST(Stages, PostSteps) {
  auto b = build(R"y(  - name: post
    input: {topics: [in], format: text}
    post:
      - set: {field: text, expr: "payload"}
      - parse_json: {}
      - map: {field: status, to: severity, values: {ok: 0, watch: 1, alarm: 2}}
      - threshold: {field: rms, to: level, levels: [{above: 2, label: high}, {above: 0.5, label: raised}]}
      - round: {field: rms, digits: 1}
      - set: {field: source, value: model}
      - remove: {fields: [reason]}
    output: {topic: out})y");
  auto r = run(*b.pipelines[0], "in", R"(Sure! {"status": "watch", "rms": 1.26, "reason": "x"} hope that helps)");
  ASSERT_EQ(r.outcome.status, StageStatus::next) << r.outcome.reason;
  EXPECT_EQ(r.envelope.result(),
            (json{{"status", "watch"}, {"severity", 1}, {"rms", 1.3}, {"level", "raised"}, {"source", "model"}}));

  auto unknown = run(*b.pipelines[0], "in", R"({"status": "exploded", "rms": 0})");
  EXPECT_EQ(unknown.outcome.status, StageStatus::failed);
  EXPECT_EQ(unknown.outcome.stage, "post");
  EXPECT_NE(unknown.outcome.reason.find("map: no entry"), std::string::npos);
  auto no_json = run(*b.pipelines[0], "in", "no json here");
  EXPECT_NE(no_json.outcome.reason.find("parse_json: no JSON object"), std::string::npos);
}

TEST(Stages, ExtractByRegex) {
  auto b = build(R"y(  - name: ex
    input: {topics: [in], format: text}
    post:
      - set: {field: text, expr: "payload"}
      - extract: {regex: "status: (\\w+)", into: status}
      - extract: {regex: "score=([0-9.]+)", into: score, as: number}
    output: {topic: out})y");
  auto r = run(*b.pipelines[0], "in", "status: alarm, score=0.93");
  ASSERT_EQ(r.outcome.status, StageStatus::next) << r.outcome.reason;
  EXPECT_EQ(r.envelope.result().at("status"), "alarm");
  EXPECT_EQ(r.envelope.result().at("score"), 0.93);
  EXPECT_EQ(run(*b.pipelines[0], "in", "nothing").outcome.status, StageStatus::failed);
}

TEST(Stages, BuildErrorsPointAtTheField) {
  auto config = load_config_text(testing::with_node(R"y(  - name: bad
    input: {topics: [in]}
    window: {key: "topic"}
    post:
      - extract: {regex: "(unclosed", into: x}
      - set: {field: y}
      - frobnicate: {}
    output: {topic: "out/{{ topic_levels[1] "})y"),
                                 "t.yaml", [](const std::string&) { return std::nullopt; });
  build_pipelines(config, nullptr);
  const std::string all = config.diagnostics.format_all();
  EXPECT_NE(all.find("t.yaml:7:13: window needs count, duration or both"), std::string::npos) << all;
  EXPECT_NE(all.find("t.yaml:9:36: in regex: missing closing parenthesis"), std::string::npos) << all;
  EXPECT_NE(all.find("t.yaml:10:14: set needs either value or expr"), std::string::npos) << all;
  EXPECT_NE(all.find("t.yaml:11:9: unknown key 'frobnicate' in post step"), std::string::npos) << all;
  EXPECT_NE(all.find("t.yaml:12:21: in template:"), std::string::npos) << all;
}

}  // namespace
}  // namespace edgenode::pipeline
