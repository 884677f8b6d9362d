// Topic matching against every example in MQTT 5.0 section 4.7 (and 4.8.2 for shared
// subscriptions).
#include <gtest/gtest.h>

#include "bus/topic.h"

namespace edgenode::bus {
namespace {

bool valid_filter(std::string_view f) { return parse_topic_filter(f).ok(); }
bool valid_topic(std::string_view t) { return validate_topic_name(t).ok(); }

// 4.7.1.2 multi-level wildcard
TEST(TopicMatching, MultiLevelWildcard) {
  EXPECT_TRUE(topic_matches("sport/tennis/player1/#", "sport/tennis/player1"));
  EXPECT_TRUE(topic_matches("sport/tennis/player1/#", "sport/tennis/player1/ranking"));
  EXPECT_TRUE(topic_matches("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon"));
  EXPECT_TRUE(topic_matches("sport/#", "sport"));
  EXPECT_TRUE(valid_filter("#"));
  EXPECT_TRUE(topic_matches("#", "sport/tennis"));
  EXPECT_TRUE(topic_matches("#", "/"));
  EXPECT_TRUE(valid_filter("sport/tennis/#"));
  EXPECT_FALSE(valid_filter("sport/tennis#"));
  EXPECT_FALSE(valid_filter("sport/tennis/#/ranking"));
  EXPECT_FALSE(topic_matches("sport/tennis/player1/#", "sport/tennis/player2"));
}

// 4.7.1.3 single-level wildcard
TEST(TopicMatching, SingleLevelWildcard) {
  EXPECT_TRUE(topic_matches("sport/tennis/+", "sport/tennis/player1"));
  EXPECT_TRUE(topic_matches("sport/tennis/+", "sport/tennis/player2"));
  EXPECT_FALSE(topic_matches("sport/tennis/+", "sport/tennis/player1/ranking"));
  EXPECT_FALSE(topic_matches("sport/+", "sport"));
  EXPECT_TRUE(topic_matches("sport/+", "sport/"));
  EXPECT_TRUE(valid_filter("+"));
  EXPECT_TRUE(valid_filter("+/tennis/#"));
  EXPECT_FALSE(valid_filter("sport+"));
  EXPECT_TRUE(valid_filter("sport/+/player1"));
  EXPECT_TRUE(topic_matches("sport/+/player1", "sport/tennis/player1"));
  EXPECT_TRUE(topic_matches("+/+", "/finance"));
  EXPECT_TRUE(topic_matches("/+", "/finance"));
  EXPECT_FALSE(topic_matches("+", "/finance"));
  EXPECT_TRUE(topic_matches("+/tennis/#", "sport/tennis"));
  EXPECT_TRUE(topic_matches("+/tennis/#", "sport/tennis/a/b"));
}

// 4.7.2 topics beginning with $
TEST(TopicMatching, DollarTopics) {
  EXPECT_FALSE(topic_matches("#", "$SYS/broker/clients"));
  EXPECT_FALSE(topic_matches("+/monitor/Clients", "$SYS/monitor/Clients"));
  EXPECT_TRUE(topic_matches("$SYS/#", "$SYS/monitor/Clients"));
  EXPECT_TRUE(topic_matches("$SYS/monitor/+", "$SYS/monitor/Clients"));
  EXPECT_FALSE(topic_matches("+", "$SYS"));
  EXPECT_TRUE(topic_matches("a/#", "a/$b"));  // '$' only matters in the first level
}

// 4.7.3 topic semantics and usage
TEST(TopicMatching, NamesAndCase) {
  EXPECT_FALSE(valid_topic(""));
  EXPECT_FALSE(valid_filter(""));
  EXPECT_FALSE(topic_matches("ACCOUNTS", "Accounts"));
  EXPECT_TRUE(topic_matches("Accounts payable", "Accounts payable"));
  EXPECT_TRUE(valid_topic("Accounts payable"));
  EXPECT_FALSE(topic_matches("/finance", "finance"));
  EXPECT_FALSE(topic_matches("finance", "/finance"));
  EXPECT_TRUE(valid_topic("/"));
  EXPECT_TRUE(topic_matches("+/+", "/"));
  EXPECT_FALSE(valid_topic(std::string("a\0b", 3)));
  EXPECT_FALSE(valid_filter(std::string("a\0b", 3)));
  EXPECT_FALSE(valid_topic(std::string(65536, 'a')));
  EXPECT_TRUE(valid_topic(std::string(65535, 'a')));
  EXPECT_FALSE(valid_topic("sport/+"));
  EXPECT_FALSE(valid_topic("sport/#"));
  EXPECT_FALSE(valid_topic("bad\xff"));
  auto error = validate_topic_name("a/#");
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.error().message, "topic 'a/#' contains a wildcard");
}

// 4.8.2 shared subscriptions
TEST(TopicMatching, SharedSubscriptions) {
  auto shared = parse_topic_filter("$share/consumer1/sport/tennis/+");
  ASSERT_TRUE(shared.ok());
  EXPECT_EQ(shared->share_group, "consumer1");
  EXPECT_EQ(shared->filter, "sport/tennis/+");
  auto leading_slash = parse_topic_filter("$share/consumer1//finance");
  ASSERT_TRUE(leading_slash.ok());
  EXPECT_EQ(leading_slash->filter, "/finance");
  EXPECT_FALSE(valid_filter("$share/consumer1"));
  EXPECT_FALSE(valid_filter("$share/consumer1/"));
  EXPECT_FALSE(valid_filter("$share//sport"));
  EXPECT_FALSE(valid_filter("$share/grp+/sport"));
  EXPECT_FALSE(valid_filter("$share/grp/sport#"));
  auto plain = parse_topic_filter("factory/+/vibration");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->share_group, "");
  auto error = parse_topic_filter("a/#/b");
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.error().message, "topic filter 'a/#/b': '#' must be the last level");
}

TEST(TopicMatching, LiteralPrefix) {
  EXPECT_EQ(topic_filter_literal_prefix("a/b/+/c"), "a/b");
  EXPECT_EQ(topic_filter_literal_prefix("a/#"), "a");
  EXPECT_EQ(topic_filter_literal_prefix("a/b"), "a/b");
  EXPECT_EQ(topic_filter_literal_prefix("#"), "");
  EXPECT_EQ(topic_filter_literal_prefix("+/x"), "");
}

}  // namespace
}  // namespace edgenode::bus
