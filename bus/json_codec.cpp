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
    return nlohmann::json::parse(payload.begin(), payload.end(), depth_check);
  } catch (const TooDeep&) {
    return bad_input("invalid JSON: nesting deeper than " + std::to_string(max_depth) + " levels");
  } catch (const nlohmann::json::exception& e) {
    return bad_input("invalid JSON: " + without_exception_prefix(e.what()));
  }
}

}  // namespace edgenode::bus
