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
  nlohmann::json result = nlohmann::json::object();  // what the output publishes
  // Provenance filled by the prompt and infer stages.
  std::string prompt_sha256;
  std::string model_sha256;
  int64_t tokens_in = 0;
  int64_t tokens_out = 0;
  double generate_ms = 0;
  std::vector<bus::Message> outputs;  // filled by the output stage
};

// Splits "a/b/c" into ["a","b","c"] (empty levels kept, as MQTT does).
nlohmann::json split_topic_levels(const std::string& topic);

}  // namespace edgenode::pipeline
