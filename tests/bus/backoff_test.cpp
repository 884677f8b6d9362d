#include <gtest/gtest.h>

#include <set>

#include "bus/backoff.h"
#include "bus/mqtt_options.h"

namespace edgenode::bus {
namespace {

using std::chrono::milliseconds;

TEST(ReconnectBackoff, GrowsWithJitterUpToTheCap) {
  ReconnectBackoff backoff(milliseconds(100), milliseconds(2000), 42);
  int64_t ceiling = 100;
  for (int attempt = 0; attempt < 10; ++attempt) {
    auto d = backoff.next().count();
    EXPECT_GE(d, ceiling / 2) << "attempt " << attempt;
    EXPECT_LE(d, ceiling) << "attempt " << attempt;
    ceiling = std::min<int64_t>(ceiling * 2, 2000);
  }
  backoff.reset();
  EXPECT_LE(backoff.next().count(), 100);
}

TEST(ReconnectBackoff, JitterSpreadsNodesApart) {
  std::set<int64_t> firsts_at_cap;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    ReconnectBackoff backoff(milliseconds(1000), milliseconds(1000), seed);
    firsts_at_cap.insert(backoff.next().count());
  }
  EXPECT_GT(firsts_at_cap.size(), 10u);
}

TEST(MqttUrl, Parses) {
  auto plain = parse_mqtt_url("mqtt://broker.local");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->host, "broker.local");
  EXPECT_EQ(plain->port, 1883);
  EXPECT_FALSE(plain->tls);
  auto tls = parse_mqtt_url("mqtts://10.0.0.5:9883");
  ASSERT_TRUE(tls.ok());
  EXPECT_EQ(tls->port, 9883);
  EXPECT_TRUE(tls->tls);
  EXPECT_EQ(parse_mqtt_url("mqtts://broker")->port, 8883);
  auto v6 = parse_mqtt_url("mqtt://[::1]:1884");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 1884);
  for (const char* bad : {"tcp://x", "mqtt://", "mqtt://host:0", "mqtt://host:99999", "mqtt://host:abc",
                          "mqtt://host:", "mqtt://[::1", "mqtt://host/path"})
    EXPECT_FALSE(parse_mqtt_url(bad).ok()) << bad;
  EXPECT_EQ(parse_mqtt_url("mqtt://host:abc").error().message, "MQTT url 'mqtt://host:abc' has an invalid port 'abc'");
}

}  // namespace
}  // namespace edgenode::bus
