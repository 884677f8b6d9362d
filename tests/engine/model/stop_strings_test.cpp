#include "engine/model/stop_strings.h"

#include <gtest/gtest.h>

#include "engine/model/sha256.h"

namespace edgenode::engine {
namespace {

TEST(StopStrings, FindsTheEarliestStop) {
  StopStringMatcher m({"\n\n", "END"});
  EXPECT_EQ(m.find_stop("abc END x\n\n"), 4u);
  EXPECT_EQ(m.find_stop("no stop here"), std::string::npos);
}

TEST(StopStrings, HoldsBackAPossibleStart) {
  StopStringMatcher m({"END", "\n\n"});
  EXPECT_EQ(m.held_back("hello E"), 1u);
  EXPECT_EQ(m.held_back("hello EN"), 2u);
  EXPECT_EQ(m.held_back("hello\n"), 1u);
  EXPECT_EQ(m.held_back("hello"), 0u);
  EXPECT_EQ(StopStringMatcher({}).held_back("anything"), 0u);
}

TEST(Sha256, KnownDigests) {
  auto digest = [](const std::string& s) {
    Sha256 sha;
    sha.update(reinterpret_cast<const uint8_t*>(s.data()), s.size());
    return sha.hex_digest();
  };
  EXPECT_EQ(digest(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // Two blocks of padding (56..63 bytes of message in the last block).
  EXPECT_EQ(digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  std::string million(1000000, 'a');
  EXPECT_EQ(digest(million), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

}  // namespace
}  // namespace edgenode::engine
