#include "bus/codec.h"

#include <algorithm>
#include <cctype>

#include "bus/payload_limits.h"

namespace edgenode::bus {
namespace {

std::string lowercase_media_type(std::string_view content_type) {
  // "application/json; charset=utf-8" → "application/json"
  auto end = content_type.find(';');
  std::string_view type = content_type.substr(0, end);
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.back()))) type.remove_suffix(1);
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.front()))) type.remove_prefix(1);
  std::string lower(type);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

// Bytes reserved for an encoded JSON payload before encoding.
constexpr std::size_t kEncodeReserve = 256;

bool is_msgpack_container_marker(uint8_t b) {
  return (b >= 0x80 && b <= 0x9f)  // fixmap, fixarray
         || (b >= 0xdc && b <= 0xdf);  // array16/32, map16/32
}

}  // namespace

Result<PayloadFormat> parse_payload_format(std::string_view name) {
  if (name == "json") return PayloadFormat::json;
  if (name == "msgpack") return PayloadFormat::msgpack;
  if (name == "text") return PayloadFormat::text;
  if (name == "auto") return PayloadFormat::automatic;
  return bad_input("unknown payload format '" + std::string(name) + "' (expected json, msgpack, text or auto)");
}

std::string_view payload_format_name(PayloadFormat format) {
  switch (format) {
    case PayloadFormat::json: return "json";
    case PayloadFormat::msgpack: return "msgpack";
    case PayloadFormat::text: return "text";
    case PayloadFormat::automatic: return "auto";
  }
  return "json";
}

PayloadFormat detect_payload_format(std::string_view payload, std::string_view content_type) {
  if (!content_type.empty()) {
    const std::string type = lowercase_media_type(content_type);
    if (type == "application/json" || type.ends_with("+json")) return PayloadFormat::json;
    if (type == "application/msgpack" || type == "application/x-msgpack" || type == "application/vnd.msgpack")
      return PayloadFormat::msgpack;
    if (type.starts_with("text/")) return PayloadFormat::text;
  }
  // JSON may start with whitespace; msgpack markers and text are judged as they are.
  std::size_t start = 0;
  while (start < payload.size() && (payload[start] == ' ' || payload[start] == '\t' || payload[start] == '\n' ||
                                    payload[start] == '\r'))
    ++start;
  if (start == payload.size()) return PayloadFormat::text;
  const auto first = static_cast<uint8_t>(payload[start]);
  if (start > 0) return (first == '{' || first == '[') ? PayloadFormat::json : PayloadFormat::text;
  if (first == '{' || first == '[' || first == '-' || std::isdigit(first)) return PayloadFormat::json;
  if (is_msgpack_container_marker(first)) return PayloadFormat::msgpack;
  return PayloadFormat::text;
}

Result<nlohmann::json> decode_text(std::string_view payload, const DecodeLimits& limits) {
  if (payload.size() > limits.max_bytes) return bad_input(payload_too_large(payload.size(), limits.max_bytes));
  if (!is_valid_utf8(payload)) return bad_input("invalid text: payload is not valid UTF-8");
  return nlohmann::json(std::string(payload));
}

Result<nlohmann::json> decode_payload(std::string_view payload, PayloadFormat format,
                                      std::string_view content_type, const DecodeLimits& limits) {
  if (format == PayloadFormat::automatic) format = detect_payload_format(payload, content_type);
  switch (format) {
    case PayloadFormat::json: return decode_json(payload, limits);
    case PayloadFormat::msgpack: return decode_msgpack(payload, limits);
    case PayloadFormat::text:
    case PayloadFormat::automatic: break;
  }
  return decode_text(payload, limits);
}

std::string encode_payload(const nlohmann::json& value, PayloadFormat format) {
  switch (format) {
    case PayloadFormat::msgpack: {
      std::vector<uint8_t> bytes = nlohmann::json::to_msgpack(value);
      return std::string(bytes.begin(), bytes.end());
    }
    case PayloadFormat::text:
      if (value.is_string()) return value.get<std::string>();
      break;
    case PayloadFormat::json:
    case PayloadFormat::automatic: break;
  }
  // What value.dump() does, into a string sized for a typical reading up front rather
  // than grown from empty (three or four reallocations for a 100-byte payload).
  std::string text;
  text.reserve(kEncodeReserve);
  nlohmann::detail::serializer<nlohmann::json> serializer(nlohmann::detail::output_adapter<char, std::string>(text),
                                                          ' ', nlohmann::json::error_handler_t::replace);
  serializer.dump(value, false, false, 0);
  return text;
}

std::string_view content_type_for(PayloadFormat format) {
  switch (format) {
    case PayloadFormat::msgpack: return "application/msgpack";
    case PayloadFormat::text: return "text/plain; charset=utf-8";
    case PayloadFormat::json:
    case PayloadFormat::automatic: break;
  }
  return "application/json";
}

}  // namespace edgenode::bus
