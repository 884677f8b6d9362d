// Payload codecs: decode the bytes of a Message into JSON and encode JSON back to bytes.
// Every input is hostile: size and nesting depth are limited before or while parsing,
// so a deep or huge payload is a clean error, never a stack overflow. Errors are values
// whose message is the reason a dead-letter record carries.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace edgenode::bus {

enum class PayloadFormat { json, msgpack, text, automatic };

// "json" | "msgpack" | "text" | "auto".
Result<PayloadFormat> parse_payload_format(std::string_view name);
std::string_view payload_format_name(PayloadFormat format);

struct DecodeLimits {
  std::size_t max_bytes = 1 << 20;  // whole payload
  int max_depth = 64;               // nested arrays/maps
};

// For PayloadFormat::automatic the MQTT 5 content type decides (application/json,
// application/msgpack or application/x-msgpack, text/*); without one, the first byte:
// '{', '[', '-' or a digit is JSON (also '{' or '[' after leading whitespace), a
// msgpack map or array marker is msgpack, anything else is text.
Result<nlohmann::json> decode_payload(std::string_view payload, PayloadFormat format,
                                      std::string_view content_type = {},
                                      const DecodeLimits& limits = {});

// The concrete format `automatic` picks for this payload.
PayloadFormat detect_payload_format(std::string_view payload, std::string_view content_type);

Result<nlohmann::json> decode_json(std::string_view payload, const DecodeLimits& limits = {});
// Map keys must be strings or integers (integers become their decimal text); bin values
// become JSON binary values (re-encoded as msgpack bin); ext values are refused.
Result<nlohmann::json> decode_msgpack(std::string_view payload, const DecodeLimits& limits = {});
// The payload as one JSON string, after checking it is valid UTF-8.
Result<nlohmann::json> decode_text(std::string_view payload, const DecodeLimits& limits = {});

// json: compact JSON text (invalid UTF-8 in strings replaced by U+FFFD); msgpack: the
// msgpack encoding; text: a string value as its raw text, any other value as JSON text.
// `automatic` encodes as json.
std::string encode_payload(const nlohmann::json& value, PayloadFormat format);
// The MQTT 5 content type to publish with an encoded payload.
std::string_view content_type_for(PayloadFormat format);

// Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view bytes);

}  // namespace edgenode::bus
