// The state behind edgenode-demo-view: readings published by the simulator, matched to the
// triage results the node publishes, rendered as a live table (TTY) or as one key=value
// line per result (anything else, e.g. a log file or a test).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

namespace edgenode::examples {

struct TriageRow {
  std::string machine;
  nlohmann::json reading;  // the simulator's payload, or null when it was not seen
  std::string status;      // ok | watch | alarm, or "?" when the result had none
  std::string reason;
  std::optional<double> latency_ms;
  int64_t received_at_ms = 0;
};

class TriageBoard {
 public:
  explicit TriageBoard(size_t history = 10) : history_(history) {}

  // A reading from <prefix>/<machine>/reading.
  void add_reading(const std::string& machine, const nlohmann::json& reading);
  // A result for `machine`; `node_latency_ms` from the result's user properties when present.
  // Returns the row it produced.
  TriageRow add_result(const std::string& machine, const nlohmann::json& result,
                       std::optional<double> node_latency_ms, int64_t now_ms);

  // One line per result, key=value, for logs and tests.
  static std::string plain_line(const TriageRow& row);
  // The whole screen: one row per machine, counts, and the latest non-ok events.
  std::string render(bool colour) const;

 private:
  struct MachineState {
    std::deque<nlohmann::json> pending;  // readings waiting for their result, oldest first
    std::optional<TriageRow> last;
    std::map<std::string, long> counts;  // status -> results
  };

  nlohmann::json take_reading(MachineState& state, const nlohmann::json& result);

  size_t history_;
  std::map<std::string, MachineState> machines_;
  std::deque<TriageRow> events_;  // latest watch/alarm rows, newest first
  long total_ = 0;
};

}  // namespace edgenode::examples
