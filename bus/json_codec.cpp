#include <algorithm>
#include <string>

#include "bus/codec.h"
#include "bus/payload_limits.h"

namespace edgenode::bus {
namespace {

// Thrown from the parser callback to abort a parse as soon as the depth limit is
// crossed; caught in decode_json, never escapes it.
struct TooDeep {};

std::string without_exception_prefix(const std::string& what) {
  // nlohmann prefixes "[json.exception.parse_error.101] "; the rest names the problem.
  auto end = what.find("] ");
  return end == std::string::npos ? what : what.substr(end + 2);
}

// The deepest nesting of arrays and objects in `payload` read as JSON: brackets inside
// strings do not count. On any prefix a JSON parser accepts it agrees with the parser's
// own depth, so a payload within the limit here never reaches the limit while parsing.
int deepest_nesting(std::string_view payload) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < payload.size(); ++i) {
    const char c = payload[i];
    if (in_string) {
      if (c == '\\') ++i;  // the escaped character cannot end the string
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

Result<nlohmann::json> decode_json(std::string_view payload, const DecodeLimits& limits) {
  if (payload.size() > limits.max_bytes) return bad_input(payload_too_large(payload.size(), limits.max_bytes));
  const int max_depth = limits.max_depth;
  auto depth_check = [max_depth](int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
    // depth counts the containers around the one starting; the top level is 0.
    if ((event == nlohmann::json::parse_event_t::object_start ||
         event == nlohmann::json::parse_event_t::array_start) &&
        depth >= max_depth)
      throw TooDeep{};
    return true;
  };
  try {
    // Parsing with a callback costs about twice as much as without (it runs for every
    // value), so a payload a scan shows to be shallow enough is parsed without one. Only
    // a payload the scan finds too deep is parsed with the check, which then reports a
    // syntax error met before the depth as before.
    if (deepest_nesting(payload) <= max_depth) return nlohmann::json::parse(payload.begin(), payload.end());
    return nlohmann::json::parse(payload.begin(), payload.end(), depth_check);
  } catch (const TooDeep&) {
    return bad_input("invalid JSON: nesting deeper than " + std::to_string(max_depth) + " levels");
  } catch (const nlohmann::json::exception& e) {
    return bad_input("invalid JSON: " + without_exception_prefix(e.what()));
  }
}

}  // namespace edgenode::bus
