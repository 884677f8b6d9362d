#include "pipeline/deadletter.h"

#include <nlohmann/json.hpp>

#include "bus/codec.h"
#include "pipeline/base64.h"

namespace edgenode::pipeline {

bus::Message make_deadletter(const PipelineSettings& pipeline, const bus::Message& input,
                             std::string_view payload_sha256, std::string_view stage, std::string_view reason,
                             const DeadLetterTarget& target) {
  nlohmann::json record{{"reason", reason},
                        {"stage", stage},
                        {"pipeline", pipeline.name},
                        {"topic", input.topic},
                        {"received_at", input.received_at_ms},
                        {"size", input.payload.size()},
                        {"payload_sha256", payload_sha256},
                        {"trace_id", input.trace_id}};
  if (pipeline.allow_raw) {
    if (bus::is_valid_utf8(input.payload)) record["payload"] = input.payload;
    else record["payload_base64"] = base64_encode(input.payload);
  }
  bus::Message out;
  out.topic = target.topic_prefix + "/deadletter/" + pipeline.name;
  out.payload = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out.content_type = "application/json";
  out.qos = 1;
  out.bus = target.bus;
  out.trace_id = input.trace_id;
  out.user_properties.emplace_back("trace_id", input.trace_id);
  out.user_properties.emplace_back("pipeline", pipeline.name);
  return out;
}

}  // namespace edgenode::pipeline
