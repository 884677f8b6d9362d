// libFuzzer target for the payload codecs. The first byte picks the format (json,
// msgpack, text, auto with or without a content type); the rest is the payload. Decoding
// must never crash, hang or overflow the stack, whatever the bytes; and what decodes
// must encode back to JSON that parses and to msgpack that decodes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bus/codec.h"

using edgenode::bus::DecodeLimits;
using edgenode::bus::PayloadFormat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr PayloadFormat kFormats[] = {PayloadFormat::json, PayloadFormat::msgpack, PayloadFormat::text,
                                               PayloadFormat::automatic};
  static constexpr std::string_view kContentTypes[] = {"", "application/json", "application/x-msgpack",
                                                       "text/plain; charset=utf-8"};
  const PayloadFormat format = kFormats[data[0] % 4];
  const std::string_view content_type = kContentTypes[(data[0] / 4) % 4];
  const std::string_view payload(reinterpret_cast<const char*>(data + 1), size - 1);

  DecodeLimits limits;
  limits.max_bytes = 64 * 1024;
  limits.max_depth = 32;
  auto decoded = edgenode::bus::decode_payload(payload, format, content_type, limits);
  if (!decoded.ok()) {
    if (decoded.error().message.empty()) __builtin_trap();  // every refusal has a reason
    return 0;
  }
  const std::string json = edgenode::bus::encode_payload(*decoded, PayloadFormat::json);
  if (!nlohmann::json::accept(json)) __builtin_trap();
  const std::string msgpack = edgenode::bus::encode_payload(*decoded, PayloadFormat::msgpack);
  DecodeLimits wide;
  wide.max_bytes = msgpack.size() + 1;
  wide.max_depth = limits.max_depth;
  if (!edgenode::bus::decode_msgpack(msgpack, wide).ok()) __builtin_trap();
  (void)edgenode::bus::encode_payload(*decoded, PayloadFormat::text);
  return 0;
}
