// Codecs: valid payloads decode to the expected JSON; a malformed corpus gives clean
// errors with a reason, never a crash.
#include <gtest/gtest.h>

#include <string>

#include "bus/codec.h"

namespace edgenode::bus {
namespace {

using nlohmann::json;

std::string msgpack_of(const json& value) {
  auto bytes = json::to_msgpack(value);
  return std::string(bytes.begin(), bytes.end());
}

// The error message of a failed decode, or "" when it unexpectedly succeeded.
std::string reason(const Result<json>& r) { return r.ok() ? "" : r.error().message; }

TEST(JsonCodec, DecodesValidJson) {
  auto r = decode_json(R"({"rms": 0.7, "tags": ["a", "b"], "ok": true, "n": null})");
  ASSERT_TRUE(r.ok()) << reason(r);
  EXPECT_DOUBLE_EQ((*r)["rms"].get<double>(), 0.7);
  EXPECT_EQ((*r)["tags"][1], "b");
  EXPECT_TRUE((*r)["n"].is_null());
  EXPECT_EQ(*decode_json("42"), json(42));
}

TEST(JsonCodec, DepthLimitIsExact) {
  DecodeLimits limits;
  limits.max_depth = 8;
  EXPECT_TRUE(decode_json(std::string(8, '[') + std::string(8, ']'), limits).ok());
  auto r = decode_json(std::string(9, '[') + std::string(9, ']'), limits);
  EXPECT_NE(reason(r).find("nesting deeper than 8"), std::string::npos) << reason(r);
}

TEST(JsonCodec, BracketsInsideStringsDoNotCountTowardsTheDepth) {
  DecodeLimits limits;
  limits.max_depth = 2;
  auto r = decode_json(R"({"s": "[[[{{{", "e": "\"[[[", "a": [1]})", limits);
  ASSERT_TRUE(r.ok()) << reason(r);
  EXPECT_EQ((*r)["s"], "[[[{{{");
  EXPECT_EQ((*r)["e"], "\"[[[");
  auto deep = decode_json(R"({"s": "]]]", "a": [[1]]})", limits);
  EXPECT_NE(reason(deep).find("nesting deeper than 2"), std::string::npos) << reason(deep);
}

TEST(JsonCodec, MalformedCorpusGivesReasons) {
  struct Case {
    std::string payload;
    std::string expected;  // part of the reason
  };
  const std::vector<Case> corpus = {
      {R"({"a": 1, "b": )", "invalid JSON"},
      {R"({"a": 1,})", "invalid JSON"},
      {"{'a': 1}", "invalid JSON"},
      {"[1, 2] trailing", "invalid JSON"},
      {"", "invalid JSON"},
      {"// comment\n{}", "invalid JSON"},
      {std::string(10000, '[') + std::string(10000, ']'), "nesting deeper than 64"},
      {std::string(10000, '['), "nesting deeper than 64"},
      {std::string(5000, '{') , "invalid JSON"},  // '{' needs a key: a syntax error first
      {"[\"" + std::string("\xff\xfe") + "\"]", "invalid JSON"},
      {"\"\xc0\xaf\"", "invalid JSON"},  // overlong '/'
      {"1e999999", "invalid JSON"},
      {"\"" + std::string(2 << 20, 'x') + "\"", "payload too large"},
  };
  for (const auto& c : corpus) {
    auto r = decode_json(c.payload);
    EXPECT_NE(reason(r).find(c.expected), std::string::npos)
        << "payload prefix: " << c.payload.substr(0, 40) << " reason: " << reason(r);
  }
}

TEST(MsgpackCodec, RoundTripsThroughJson) {
  json value = {{"rms", 0.5}, {"id", -3}, {"big", 18446744073709551615ull}, {"s", "héllo"}, {"l", {1, 2, 3}}};
  auto r = decode_msgpack(msgpack_of(value));
  ASSERT_TRUE(r.ok()) << reason(r);
  EXPECT_EQ(*r, value);
  EXPECT_EQ(encode_payload(*r, PayloadFormat::msgpack), msgpack_of(value));
}

TEST(MsgpackCodec, IntegerKeysBecomeTextAndBinIsKept) {
  // {1: "a", -2: bin(0x00 0xff)}
  const std::string payload("\x82\x01\xa1" "a" "\xfe\xc4\x02\x00\xff", 9);
  auto r = decode_msgpack(payload);
  ASSERT_TRUE(r.ok()) << reason(r);
  EXPECT_EQ((*r)["1"], "a");
  ASSERT_TRUE((*r)["-2"].is_binary());
  EXPECT_EQ((*r)["-2"].get_binary(), std::vector<uint8_t>({0x00, 0xff}));
}

TEST(MsgpackCodec, DepthLimitIsExact) {
  DecodeLimits limits;
  limits.max_depth = 8;
  auto nested = [](int depth) { return std::string(depth, '\x91') + std::string(1, '\xc0'); };
  EXPECT_TRUE(decode_msgpack(nested(8), limits).ok()) << reason(decode_msgpack(nested(8), limits));
  EXPECT_NE(reason(decode_msgpack(nested(9), limits)).find("nesting deeper than 8"), std::string::npos);
}

TEST(MsgpackCodec, MalformedCorpusGivesReasons) {
  struct Case {
    std::string payload;
    std::string expected;
  };
  const std::vector<Case> corpus = {
      {"", "empty payload"},
      {"\x82\xa1" "a\x01\xa1" "b", "truncated"},                   // map of 2, one value missing
      {"\xdd\xff\xff\xff\xff", "exceeds the payload size"},      // array32 claiming 4G items
      {"\xdb\xff\xff\xff\xff" "abc", "invalid msgpack"},  // str32 claiming 4 GB
      {"\xc1", "invalid msgpack"},                               // never-used marker
      {"\x81\x91\x01\x02", "map key must be a string or an integer"},
      {"\x81\xc0\x01", "map key must be a string or an integer"},
      {"\xd4\x05\x01", "ext type 5"},
      {"\xa2\xff\xfe", "not valid UTF-8"},
      {"\x01\x02", "trailing bytes"},
      {std::string(10000, '\x91') + "\xc0", "nesting deeper than 64"},
  };
  for (const auto& c : corpus) {
    auto r = decode_msgpack(c.payload);
    EXPECT_NE(reason(r).find(c.expected), std::string::npos)
        << "case " << (&c - corpus.data()) << " reason: " << reason(r);
  }
}

TEST(TextCodec, ValidatesUtf8) {
  EXPECT_EQ(*decode_text("temp 21.5 °C"), json("temp 21.5 °C"));
  for (std::string bad : {"\xff", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "abc\xe2\x82", "\x80"}) {
    EXPECT_NE(reason(decode_text(bad)).find("not valid UTF-8"), std::string::npos);
  }
  EXPECT_TRUE(is_valid_utf8("\xf0\x9f\x98\x80"));  // U+1F600
  EXPECT_TRUE(is_valid_utf8("\xef\xbf\xbf"));      // U+FFFF
}

TEST(AutoCodec, ContentTypeDecidesThenFirstByte) {
  EXPECT_EQ(detect_payload_format("{}", "text/plain"), PayloadFormat::text);
  EXPECT_EQ(detect_payload_format("abc", "application/json; charset=utf-8"), PayloadFormat::json);
  EXPECT_EQ(detect_payload_format("x", "Application/X-Msgpack"), PayloadFormat::msgpack);
  EXPECT_EQ(detect_payload_format("x", "application/msgpack"), PayloadFormat::msgpack);
  EXPECT_EQ(detect_payload_format("{\"a\":1}", ""), PayloadFormat::json);
  EXPECT_EQ(detect_payload_format("[1]", ""), PayloadFormat::json);
  EXPECT_EQ(detect_payload_format("23.5", ""), PayloadFormat::json);
  EXPECT_EQ(detect_payload_format("\x81\xa1" "a\x01", ""), PayloadFormat::msgpack);
  EXPECT_EQ(detect_payload_format("\x93\x01\x02\x03", ""), PayloadFormat::msgpack);
  EXPECT_EQ(detect_payload_format("hello", ""), PayloadFormat::text);
  EXPECT_EQ(detect_payload_format("\n  {\"a\":1}", ""), PayloadFormat::json);
  EXPECT_EQ(detect_payload_format("  12 apples", ""), PayloadFormat::text);
  EXPECT_EQ(detect_payload_format("   ", ""), PayloadFormat::text);

  auto r = decode_payload(msgpack_of({{"a", 1}}), PayloadFormat::automatic);
  ASSERT_TRUE(r.ok()) << reason(r);
  EXPECT_EQ(*r, json({{"a", 1}}));
  EXPECT_EQ(*decode_payload("23.5", PayloadFormat::automatic), json(23.5));
  EXPECT_EQ(*decode_payload("on", PayloadFormat::automatic), json("on"));
}

TEST(Codec, FormatNamesAndEncoding) {
  EXPECT_EQ(*parse_payload_format("auto"), PayloadFormat::automatic);
  auto bad = parse_payload_format("xml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("unknown payload format 'xml'"), std::string::npos);
  EXPECT_EQ(encode_payload(json({{"a", 1}}), PayloadFormat::json), R"({"a":1})");
  EXPECT_EQ(encode_payload(json("plain"), PayloadFormat::text), "plain");
  EXPECT_EQ(encode_payload(json({1, 2}), PayloadFormat::text), "[1,2]");
  EXPECT_EQ(content_type_for(PayloadFormat::msgpack), "application/msgpack");
  EXPECT_EQ(content_type_for(PayloadFormat::json), "application/json");
}

}  // namespace
}  // namespace edgenode::bus
