// One message on its way through one pipeline: what came in, what the stages made of
// it so far, and what goes out.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bus/message.h"

namespace edgenode::pipeline {

struct Envelope {
  bus::Message input;                 // as received (raw bytes stay here)
  std::chrono::steady_clock::time_point started;
  nlohmann::json payload;             // decoded input
  nlohmann::json topic_levels;       // set by Pipeline::run
  nlohmann::json window;              // the window's messages when a window stage ran
  nlohmann::json prompt;              // [{role, content}] from the prompt stage
  // Provenance filled by the prompt and infer stages.
  std::string prompt_sha256;
  std::string model_sha256;
  int64_t tokens_in = 0;
  int64_t tokens_out = 0;
  double generate_ms = 0;
  std::vector<bus::Message> outputs;  // filled by the output stage

  // What the output publishes; an empty object until a stage fills it.
  const nlohmann::json& result() const { return result_is_payload_ ? payload : result_; }
  nlohmann::json& mutable_result();
  // With allow_raw the result starts as the decoded payload (a payload that is not an
  // object as {"payload": ...}). An object payload is shared, not copied, until a stage
  // asks for mutable_result(): most pipelines that pass readings on never change them,
  // and the copy was a tenth of a passthrough's instructions. Call after decoding.
  void start_result_from_payload();

 private:
  nlohmann::json result_ = nlohmann::json::object();
  bool result_is_payload_ = false;  // result() is `payload` (decoded once, never changed after)
};

// Splits "a/b/c" into ["a","b","c"] (empty levels kept, as MQTT does).
nlohmann::json split_topic_levels(const std::string& topic);

}  // namespace edgenode::pipeline
