// The one interface every pipeline stage implements. A stage is built once from its
// config (validation happens then, in its factory) and then only processes envelopes.
// Metrics are taken around stages by the pipeline; a stage does not count itself.
#pragma once

#include <string>
#include <string_view>

#include "pipeline/envelope.h"

namespace edgenode::pipeline {

enum class StageStatus {
  next,      // go on with the next stage
  filtered,  // a normal outcome: drop the message, count it as filtered
  held,      // the stage kept the message (a window filling up): nothing more to do now
  failed,    // dead-letter the message with `reason`
};

struct StageResult {
  StageStatus status = StageStatus::next;
  std::string reason;  // set when failed; names the problem, never carries payload bytes

  static StageResult next() { return {}; }
  static StageResult filtered() { return {StageStatus::filtered, {}}; }
  static StageResult held() { return {StageStatus::held, {}}; }
  static StageResult failed(std::string reason) { return {StageStatus::failed, std::move(reason)}; }
};

class Stage {
 public:
  virtual ~Stage() = default;
  // The config key of the stage ("when", "window", ...), used in dead-letter records.
  virtual std::string_view kind() const = 0;
  virtual StageResult process(Envelope& envelope) = 0;
};

}  // namespace edgenode::pipeline
