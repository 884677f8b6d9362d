#include "pipeline/envelope.h"

#include <algorithm>

namespace edgenode::pipeline {

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
