#include <gtest/gtest.h>

#include "pipeline/base64.h"
#include "engine/model/sha256.h"
#include "pipeline/suggest.h"
#include "pipeline/units.h"

namespace edgenode::pipeline {

TEST(Units, DurationsNeedAUnit) {
  EXPECT_EQ(*parse_duration_ms("500ms"), 500);
  EXPECT_EQ(*parse_duration_ms("10s"), 10000);
  EXPECT_EQ(*parse_duration_ms("2m"), 120000);
  EXPECT_EQ(*parse_duration_ms("1.5h"), 5400000);
  EXPECT_EQ(*parse_duration_ms("7d"), 604800000);
  EXPECT_FALSE(parse_duration_ms("10").ok());
  EXPECT_FALSE(parse_duration_ms("10 parsecs").ok());
  EXPECT_FALSE(parse_duration_ms("-1s").ok());
  EXPECT_NE(parse_duration_ms("10").error().message.find("needs a unit"), std::string::npos);
}

TEST(Units, SizesInDecimalAndBinaryUnits) {
  EXPECT_EQ(*parse_size_bytes("1MB"), 1000000);
  EXPECT_EQ(*parse_size_bytes("512KiB"), 524288);
  EXPECT_EQ(*parse_size_bytes("2048"), 2048);
  EXPECT_EQ(*parse_size_bytes("1 GiB"), 1073741824);
  EXPECT_FALSE(parse_size_bytes("1 MQ").ok());
  EXPECT_FALSE(parse_size_bytes("MB").ok());
}

TEST(Suggest, FindsTheClosestNameOnly) {
  const std::vector<std::string> names = {"topics", "qos", "format", "bus"};
  EXPECT_EQ(closest_match("qso", names), "qos");
  EXPECT_EQ(closest_match("topic", names), "topics");
  EXPECT_EQ(closest_match("completely_different", names), "");
  EXPECT_EQ(did_you_mean("fromat", names), "; did you mean 'format'?");
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(engine::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(engine::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(engine::sha256_hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(engine::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Base64, RoundTripsAndRejectsGarbage) {
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\x00\xff\x80", 3)}) {
    EXPECT_EQ(*base64_decode(base64_encode(s)), s);
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_FALSE(base64_decode("Zm9").has_value());
  EXPECT_FALSE(base64_decode("Zm9!").has_value());
}

}  // namespace edgenode::pipeline
