// Base64 (RFC 4648, with padding): raw payloads in dead-letters and dry-run input lines.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace edgenode::pipeline {

std::string base64_encode(std::string_view bytes);
// nullopt when `text` is not valid base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace edgenode::pipeline
