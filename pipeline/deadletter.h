// The dead-letter record of a message a pipeline could not handle, published to
// <topic_prefix>/deadletter/<pipeline>:
//   {reason, stage, pipeline, topic, received_at, size, payload_sha256, trace_id}
// plus `payload` (UTF-8) or `payload_base64` only when the pipeline sets allow_raw.
#pragma once

#include <string>
#include <string_view>

#include "bus/message.h"
#include "pipeline/pipeline.h"

namespace edgenode::pipeline {

struct DeadLetterTarget {
  std::string topic_prefix;
  std::string bus;  // where node-level topics go
};

// `payload_sha256`: the input payload's SHA-256 in hex.
bus::Message make_deadletter(const PipelineSettings& pipeline, const bus::Message& input,
                             std::string_view payload_sha256, std::string_view stage, std::string_view reason,
                             const DeadLetterTarget& target);

}  // namespace edgenode::pipeline
