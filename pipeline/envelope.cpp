#include "pipeline/envelope.h"

#include <algorithm>

namespace edgenode::pipeline {

nlohmann::json& Envelope::mutable_result() {
  if (result_is_payload_) {
    result_ = payload;
    result_is_payload_ = false;
  }
  return result_;
}

void Envelope::start_result_from_payload() {
  if (payload.is_object()) {
    result_is_payload_ = true;
  } else {
    result_ = nlohmann::json{{"payload", payload}};
    result_is_payload_ = false;
  }
}

nlohmann::json split_topic_levels(const std::string& topic) {
  nlohmann::json levels = nlohmann::json::array();
  levels.get_ref<nlohmann::json::array_t&>().reserve(
      static_cast<size_t>(std::count(topic.begin(), topic.end(), '/')) + 1);
  size_t start = 0;
  while (true) {
    const size_t slash = topic.find('/', start);
    levels.push_back(topic.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return levels;
}

}  // namespace edgenode::pipeline
