// Cuts generated text at the first stop string and decides how much of it is safe to
// stream: text that could still turn out to be the start of a stop string is held back.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace edgenode::engine {

class StopStringMatcher {
 public:
  explicit StopStringMatcher(std::vector<std::string> stops);

  // Position of the first complete stop string in text, or npos.
  size_t find_stop(std::string_view text) const;
  // How many bytes at the end of text might begin a stop string (and must not be shown yet).
  size_t held_back(std::string_view text) const;

 private:
  std::vector<std::string> stops_;
};

}  // namespace edgenode::engine
