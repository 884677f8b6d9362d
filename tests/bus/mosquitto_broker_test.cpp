// The test broker itself: starts on a free port, accepts MQTT clients (plain, password,
// TLS), and comes back on the same port after kill -9.
#include <gtest/gtest.h>
#include <mosquitto.h>

#include "support/mosquitto_broker.h"

namespace edgenode::testing {
namespace {

// A blocking MQTT 3.1.1 CONNECT; returns the CONNACK reason (0: accepted), or -1 when
// the broker could not be reached or did not answer.
int connect_once(const MosquittoBroker& broker, bool tls = false) {
  mosquitto_lib_init();
  int connack = -1;
  mosquitto* client = mosquitto_new(nullptr, true, &connack);
  mosquitto_connect_callback_set(client, [](mosquitto*, void* out, int rc) { *static_cast<int*>(out) = rc; });
  if (tls) mosquitto_tls_set(client, broker.ca_file().c_str(), nullptr, nullptr, nullptr, nullptr);
  if (mosquitto_connect(client, "127.0.0.1", broker.port(), 10) == MOSQ_ERR_SUCCESS) {
    for (int i = 0; i < 50 && connack < 0; ++i)
      if (mosquitto_loop(client, 100, 1) != MOSQ_ERR_SUCCESS) break;
  }
  mosquitto_disconnect(client);
  mosquitto_destroy(client);
  return connack;
}

TEST(MosquittoBroker, StartsOnFreePortAndRestartsOnSamePort) {
  auto broker = MosquittoBroker::start();
  ASSERT_TRUE(broker.ok()) << broker.error().message;
  auto& b = **broker;
  EXPECT_GT(b.port(), 0);
  EXPECT_EQ(b.url(), "mqtt://127.0.0.1:" + std::to_string(b.port()));
  EXPECT_EQ(connect_once(b), 0);
  const int port = b.port();
  b.kill9();
  EXPECT_FALSE(b.running());
  EXPECT_EQ(connect_once(b), -1);
  auto restarted = b.restart();
  ASSERT_TRUE(restarted.ok()) << restarted.error().message;
  EXPECT_EQ(b.port(), port);
  EXPECT_EQ(connect_once(b), 0);
}

TEST(MosquittoBroker, TlsListenerWithGeneratedCertificates) {
  MosquittoBrokerOptions options;
  options.tls = true;
  auto broker = MosquittoBroker::start(options);
  ASSERT_TRUE(broker.ok()) << broker.error().message;
  auto& b = **broker;
  EXPECT_EQ(b.url().rfind("mqtts://", 0), 0u);
  EXPECT_TRUE(std::filesystem::exists(b.client_cert_file()));
  EXPECT_EQ(connect_once(b, /*tls=*/true), 0);
}

}  // namespace
}  // namespace edgenode::testing
