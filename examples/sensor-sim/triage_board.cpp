#include "examples/sensor-sim/triage_board.h"

#include <fmt/format.h>

#include <ctime>

namespace edgenode::examples {
namespace {

constexpr size_t kMaxPending = 256;  // readings kept per machine while results lag

const char* colour_of(const std::string& status) {
  if (status == "ok") return "\x1b[32m";
  if (status == "watch") return "\x1b[33m";
  if (status == "alarm") return "\x1b[1;31m";
  return "\x1b[35m";
}
constexpr const char* kReset = "\x1b[0m";
constexpr const char* kDim = "\x1b[2m";
constexpr const char* kBold = "\x1b[1m";

std::string number(const nlohmann::json& reading, const char* key) {
  if (!reading.is_object() || !reading.contains(key) || !reading[key].is_number()) return "-";
  return fmt::format("{:.1f}", reading[key].get<double>());
}

std::string text(const nlohmann::json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_string()) return "";
  return object[key].get<std::string>();
}

std::string reading_summary(const nlohmann::json& r) {
  return fmt::format("vib {:>4} temp {:>5} cur {:>4} pres {:>4} {:<7}", number(r, "vibration"),
                     number(r, "temperature"), number(r, "current"), number(r, "pressure"), text(r, "trend"));
}

std::string clock_time(int64_t ms) {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&seconds, &tm);
  return fmt::format("{:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string latency(const TriageRow& row) {
  return row.latency_ms ? fmt::format("{:.0f}", *row.latency_ms) : "-";
}

}  // namespace

void TriageBoard::add_reading(const std::string& machine, const nlohmann::json& reading) {
  auto& state = machines_[machine];
  state.pending.push_back(reading);
  if (state.pending.size() > kMaxPending) state.pending.pop_front();
}

nlohmann::json TriageBoard::take_reading(MachineState& state, const nlohmann::json& result) {
  // A result that names its reading's seq is matched exactly; otherwise results arrive in
  // order per machine, so the oldest pending reading is the one answered.
  if (result.is_object() && result.contains("seq") && result["seq"].is_number_integer()) {
    auto seq = result["seq"].get<long>();
    // Readings older than the answered one got no result (dropped or dead-lettered).
    while (!state.pending.empty() && state.pending.front().value("seq", -1L) < seq) state.pending.pop_front();
    if (state.pending.empty() || state.pending.front().value("seq", -1L) != seq) return nullptr;
    auto reading = std::move(state.pending.front());
    state.pending.pop_front();
    return reading;
  }
  if (state.pending.empty()) return nullptr;
  auto reading = std::move(state.pending.front());
  state.pending.pop_front();
  return reading;
}

TriageRow TriageBoard::add_result(const std::string& machine, const nlohmann::json& result,
                                  std::optional<double> node_latency_ms, int64_t now_ms) {
  auto& state = machines_[machine];
  TriageRow row;
  row.machine = machine;
  row.reading = take_reading(state, result);
  auto status = text(result, "status");
  row.status = status.empty() ? std::string("?") : std::move(status);
  row.reason = text(result, "reason");
  row.received_at_ms = now_ms;
  row.latency_ms = node_latency_ms;
  if (!row.latency_ms && row.reading.is_object() && row.reading.contains("sent_at_ms"))
    row.latency_ms = static_cast<double>(now_ms - row.reading["sent_at_ms"].get<int64_t>());
  state.last = row;
  ++state.counts[row.status];
  ++total_;
  if (row.status != "ok") {
    events_.push_front(row);
    if (events_.size() > history_) events_.pop_back();
  }
  return row;
}

std::string TriageBoard::plain_line(const TriageRow& row) {
  const auto& r = row.reading;
  std::string line = fmt::format("{} machine={} seq={} vibration={} temperature={} current={} pressure={} trend={} "
                                 "status={} reason=\"{}\" latency_ms={}",
                                 clock_time(row.received_at_ms), row.machine,
                                 r.is_object() && r.contains("seq") ? r["seq"].dump() : "-", number(r, "vibration"),
                                 number(r, "temperature"), number(r, "current"), number(r, "pressure"),
                                 text(r, "trend").empty() ? "-" : text(r, "trend"), row.status, row.reason,
                                 latency(row));
  if (auto fault = text(r, "injected_fault"); !fault.empty()) line += fmt::format(" injected_fault=\"{}\"", fault);
  return line;
}

std::string TriageBoard::render(bool colour) const {
  auto paint = [colour](const char* code, const std::string& s) {
    return colour ? std::string(code) + s + kReset : s;
  };
  std::string out;
  out += paint(kBold, fmt::format("edgenode demo - machine triage by a local language model   results {}   (Ctrl-C stops)", total_));
  out += "\n\n";
  out += paint(kDim, fmt::format("{:<12} {:<44} {:<7} {:<26} {:>7}  {}", "machine", "reading", "verdict", "reason",
                                 "latency", "ok/watch/alarm"));
  out += "\n";
  for (const auto& [machine, state] : machines_) {
    if (!state.last) continue;
    const auto& row = *state.last;
    auto count = [&](const char* s) {
      auto it = state.counts.find(s);
      return it == state.counts.end() ? 0L : it->second;
    };
    out += fmt::format("{:<12} {:<44} ", machine, reading_summary(row.reading));
    out += paint(colour_of(row.status), fmt::format("{:<7}", row.status));
    out += fmt::format(" {:<26} {:>4} ms  {}/{}/{}\n", row.reason, latency(row), count("ok"), count("watch"),
                       count("alarm"));
  }
  out += "\n";
  out += paint(kDim, "latest watch and alarm verdicts");
  out += "\n";
  for (const auto& row : events_) {
    out += fmt::format("  {} {:<12} ", clock_time(row.received_at_ms), row.machine);
    out += paint(colour_of(row.status), fmt::format("{:<7}", row.status));
    out += fmt::format(" {:<26} {}", row.reason, reading_summary(row.reading));
    if (auto fault = text(row.reading, "injected_fault"); !fault.empty())
      out += paint(kDim, fmt::format("  (injected: {})", fault));
    out += "\n";
  }
  return out;
}

}  // namespace edgenode::examples
