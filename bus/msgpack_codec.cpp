#include <msgpack.hpp>

#include <string>

#include "bus/codec.h"
#include "bus/payload_limits.h"

namespace edgenode::bus {

namespace {

// A refusal while converting an unpacked object; caught in decode_msgpack.
struct Refused {
  std::string reason;
};

// Recursion is bounded: unpack_limit already refused anything deeper than max_depth.
nlohmann::json to_json(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::NIL: return nullptr;
    case msgpack::type::BOOLEAN: return o.via.boolean;
    case msgpack::type::POSITIVE_INTEGER: return o.via.u64;
    case msgpack::type::NEGATIVE_INTEGER: return o.via.i64;
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: return o.via.f64;
    case msgpack::type::STR: {
      std::string_view s(o.via.str.ptr, o.via.str.size);
      if (!is_valid_utf8(s)) throw Refused{"invalid msgpack: string is not valid UTF-8"};
      return std::string(s);
    }
    case msgpack::type::BIN: {
      const auto* p = reinterpret_cast<const uint8_t*>(o.via.bin.ptr);
      return nlohmann::json::binary(std::vector<uint8_t>(p, p + o.via.bin.size));
    }
    case msgpack::type::ARRAY: {
      auto array = nlohmann::json::array();
      for (uint32_t i = 0; i < o.via.array.size; ++i) array.push_back(to_json(o.via.array.ptr[i]));
      return array;
    }
    case msgpack::type::MAP: {
      auto object = nlohmann::json::object();
      for (uint32_t i = 0; i < o.via.map.size; ++i) {
        const auto& kv = o.via.map.ptr[i];
        std::string key;
        switch (kv.key.type) {
          case msgpack::type::STR:
            key.assign(kv.key.via.str.ptr, kv.key.via.str.size);
            if (!is_valid_utf8(key)) throw Refused{"invalid msgpack: map key is not valid UTF-8"};
            break;
          case msgpack::type::POSITIVE_INTEGER: key = std::to_string(kv.key.via.u64); break;
          case msgpack::type::NEGATIVE_INTEGER: key = std::to_string(kv.key.via.i64); break;
          default: throw Refused{"invalid msgpack: map key must be a string or an integer"};
        }
        object[key] = to_json(kv.val);
      }
      return object;
    }
    case msgpack::type::EXT:
      throw Refused{"unsupported msgpack: ext type " + std::to_string(o.via.ext.type())};
  }
  throw Refused{"invalid msgpack: unknown object type"};
}

}  // namespace

Result<nlohmann::json> decode_msgpack(std::string_view payload, const DecodeLimits& limits) {
  if (payload.size() > limits.max_bytes) return bad_input(payload_too_large(payload.size(), limits.max_bytes));
  if (payload.empty()) return bad_input("invalid msgpack: empty payload");
  // Every element takes at least one byte, so no honest count exceeds the payload size;
  // bounding the counts stops a forged header from allocating gigabytes up front.
  const std::size_t n = payload.size();
  const msgpack::unpack_limit limit(/*array=*/n, /*map=*/n / 2, /*str=*/n, /*bin=*/n, /*ext=*/n,
                                    /*depth=*/static_cast<std::size_t>(limits.max_depth));
  std::size_t offset = 0;
  try {
    msgpack::object_handle handle =
        msgpack::unpack(payload.data(), n, offset, [](msgpack::type::object_type, std::size_t, void*) { return true; },
                        nullptr, limit);
    if (offset != n)
      return bad_input("invalid msgpack: " + std::to_string(n - offset) + " trailing bytes after the value");
    return to_json(handle.get());
  } catch (const msgpack::depth_size_overflow&) {
    return bad_input("invalid msgpack: nesting deeper than " + std::to_string(limits.max_depth) + " levels");
  } catch (const msgpack::size_overflow&) {
    return bad_input("invalid msgpack: a length exceeds the payload size");
  } catch (const msgpack::insufficient_bytes&) {
    return bad_input("invalid msgpack: truncated payload");
  } catch (const msgpack::unpack_error& e) {
    return bad_input(std::string("invalid msgpack: ") + e.what());
  } catch (const Refused& r) {
    return bad_input(r.reason);
  } catch (const std::bad_alloc&) {
    return bad_input("invalid msgpack: payload needs too much memory");
  }
}

}  // namespace edgenode::bus
