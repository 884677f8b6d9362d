#include "engine/model/stop_strings.h"

#include <algorithm>

namespace edgenode::engine {

StopStringMatcher::StopStringMatcher(std::vector<std::string> stops) {
  for (std::string& s : stops)
    if (!s.empty()) stops_.push_back(std::move(s));
}

size_t StopStringMatcher::find_stop(std::string_view text) const {
  size_t first = std::string_view::npos;
  for (const std::string& s : stops_) first = std::min(first, text.find(s));
  return first;
}

size_t StopStringMatcher::held_back(std::string_view text) const {
  size_t held = 0;
  for (const std::string& s : stops_) {
    // The longest proper prefix of s that text ends with.
    for (size_t len = std::min(s.size() - 1, text.size()); len > held; --len) {
      if (text.substr(text.size() - len) == std::string_view(s).substr(0, len)) {
        held = len;
        break;
      }
    }
  }
  return held;
}

}  // namespace edgenode::engine
