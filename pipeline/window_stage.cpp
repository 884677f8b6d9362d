#include "pipeline/window_stage.h"

#include <chrono>
#include <deque>
#include <unordered_map>

#include "pipeline/compile_field.h"

namespace edgenode::pipeline {

using nlohmann::json;

namespace {

struct WindowEntry {
  int64_t at_ms;
  json payload;
};

struct KeyWindow {
  std::deque<WindowEntry> entries;
  int64_t last_used_ms = 0;
};

class WindowStage final : public Stage {
 public:
  WindowStage(Expression key, int64_t count, int64_t duration_ms, bool tumbling, size_t max_keys, json node)
      : key_(std::move(key)), count_(count), duration_ms_(duration_ms), tumbling_(tumbling), max_keys_(max_keys),
        node_(std::move(node)) {}

  std::string_view kind() const override { return "window"; }

  StageResult process(Envelope& envelope) override {
    auto key_value = key_.evaluate(expression_scope(envelope, node_));
    if (!key_value) return StageResult::failed("window key: " + key_value.error().message);
    const std::string key = key_value->is_string() ? key_value->get<std::string>() : key_value->dump();
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
    if (windows_.find(key) == windows_.end() && windows_.size() >= max_keys_) evict_least_recent();
    KeyWindow& window = windows_[key];
    window.last_used_ms = now;
    window.entries.push_back({now, envelope.payload});
    if (duration_ms_ > 0) {
      while (!window.entries.empty() && now - window.entries.front().at_ms > duration_ms_) window.entries.pop_front();
    }
    if (count_ > 0 && static_cast<int64_t>(window.entries.size()) > count_) window.entries.pop_front();
    if (tumbling_ && static_cast<int64_t>(window.entries.size()) < count_) return StageResult::held();

    envelope.window = json::array();
    for (const auto& entry : window.entries) envelope.window.push_back(entry.payload);
    if (tumbling_) windows_.erase(key);
    return StageResult::next();
  }

 private:
  void evict_least_recent() {
    auto oldest = windows_.begin();
    for (auto it = windows_.begin(); it != windows_.end(); ++it) {
      if (it->second.last_used_ms < oldest->second.last_used_ms) oldest = it;
    }
    if (oldest != windows_.end()) windows_.erase(oldest);
  }

  Expression key_;
  int64_t count_;
  int64_t duration_ms_;
  bool tumbling_;
  size_t max_keys_;
  json node_;
  std::unordered_map<std::string, KeyWindow> windows_;
};

}  // namespace

const ObjectSpec& window_spec() {
  static const ObjectSpec spec{
      .name = "window",
      .doc = "Groups recent messages per key; the prompt sees them as `window` (a list of payloads, oldest "
             "first). Give `count`, `duration` or both.",
      .fields =
          {
              {.name = "count", .type = FieldType::integer, .doc = "Messages per window.", .minimum = 1, .maximum = 10000},
              {.name = "duration",
               .type = FieldType::duration,
               .doc = "Only messages younger than this stay in the window."},
              {.name = "key",
               .type = FieldType::expression,
               .doc = "Expression whose value separates windows (one window per machine, say).",
               .default_value = "topic"},
              {.name = "mode",
               .type = FieldType::string,
               .doc = "sliding: every message goes on with the recent ones; tumbling: messages are held until "
                      "`count` have arrived, then go on together and the window restarts.",
               .default_value = "sliding",
               .enum_values = {"sliding", "tumbling"}},
              {.name = "max_keys",
               .type = FieldType::integer,
               .doc = "Most keys kept at once; the least recently used key is forgotten beyond it.",
               .default_value = 1000,
               .minimum = 1},
          },
  };
  return spec;
}

std::unique_ptr<Stage> build_window_stage(const BuildContext& ctx) {
  const json& v = ctx.values();
  const int64_t count = v.value("count", int64_t{0});
  const int64_t duration = v.value("duration", int64_t{0});
  const bool tumbling = v.value("mode", std::string("sliding")) == "tumbling";
  bool ok = true;
  if (count == 0 && duration == 0) {
    ctx.error("", "window needs count, duration or both");
    ok = false;
  }
  if (tumbling && count == 0) {
    ctx.error("mode", "a tumbling window needs a count");
    ok = false;
  }
  auto key = compile_expression_field(ctx, "key");
  if (!key || !ok) return nullptr;
  return std::make_unique<WindowStage>(std::move(*key), count, duration, tumbling,
                                       static_cast<size_t>(v.value("max_keys", int64_t{1000})), ctx.node_values());
}

}  // namespace edgenode::pipeline
