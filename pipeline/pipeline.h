// One configured pipeline: its input (bus, topic filters), its queue policy, and the
// chain of stages a message runs through: decode → when → window → prompt → infer →
// post → output.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bus/topic.h"
#include "pipeline/build_context.h"
#include "pipeline/spec.h"
#include "pipeline/stage.h"

namespace edgenode::pipeline {

enum class OnFull { block, drop_oldest, deadletter };
// What of a pipeline's inputs the node's raw archive keeps.
enum class ArchiveMode { deadletters, inputs, none };

struct PipelineSettings {
  std::string name;
  std::string bus;                         // resolved: "default" for the default bus
  std::vector<std::string> subscriptions;  // as written, $share prefix included
  std::vector<bus::TopicFilter> filters;
  int qos = 0;
  size_t queue_max = 256;
  OnFull on_full = OnFull::deadletter;
  bool allow_raw = false;
  ArchiveMode archive = ArchiveMode::deadletters;
  // Messages of different topics the runner may run at once (never two of one topic):
  // the model's max_sequences for an infer pipeline without a window, so its messages fill
  // the model's batch; 1 otherwise (a window's state is per pipeline and not thread-safe).
  int concurrency = 1;
};

// How one message left the pipeline.
struct PipelineOutcome {
  StageStatus status = StageStatus::next;  // next: published (envelope.outputs)
  std::string stage;                       // the stage that filtered, held or failed it
  std::string reason;
};

class Pipeline {
 public:
  Pipeline(PipelineSettings settings, std::vector<std::unique_ptr<Stage>> stages);
  const PipelineSettings& settings() const { return settings_; }
  const std::string& name() const { return settings_.name; }
  // Whether one of its stages is of this kind ("infer", "window", ...).
  bool has_stage(std::string_view kind) const;
  // Safe to call from several threads at once when settings().concurrency > 1: the stages
  // other than window keep no state between messages (compiled templates, expressions and
  // regexes are only read; regex match data is made per call).
  PipelineOutcome run(Envelope& envelope);

 private:
  PipelineSettings settings_;
  std::vector<std::unique_ptr<Stage>> stages_;
};

const FieldSpec& pipelines_field_spec();
// Builds the pipeline at ctx.pointer ("/pipelines/<i>"); nullptr after reporting errors.
std::unique_ptr<Pipeline> build_pipeline(const BuildContext& ctx);

}  // namespace edgenode::pipeline
