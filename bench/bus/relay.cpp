// The cheapest passthrough the benchmark knows, as its ceiling: one thread, one
// libmosquitto client, and every reading received on <root>bench/qos<N>/+/vibration is
// published again, bytes unchanged, on <root>bench-out/qos<N>/vibration at the same QoS.
// No decode, no filter, no pipeline, no queue between threads. What it reaches through
// the benchmark's mosquitto is what any node can reach on the machine; bench_passthrough
// starts it beside edgenode and Node-RED and measures it in the same rounds.
//
//   bench_relay HOST PORT TOPIC_ROOT
//
// Runs until SIGTERM or SIGINT. The network loop is the one MqttBus uses (poll, read a
// batch of packets, write), without MqttBus's queue, locks and message copies.
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <poll.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

// As in MqttBus: packets read before writing, so the PUBACKs of QoS 1 input and the
// relayed readings go out while input keeps coming.
constexpr int kReadBatch = 64;
// As in MqttBus: QoS 1 messages in flight each way (libmosquitto's default of 20 would
// cap QoS 1 at 20 messages per round trip).
constexpr int kReceiveMaximum = 1024;
constexpr int kSendMaximum = 512;

volatile std::sig_atomic_t stop_requested = 0;

void request_stop(int) { stop_requested = 1; }

struct Relay {
  std::string root;
  std::string output_topic[2];  // by QoS
};

void handle_connect(mosquitto* client, void* self, int reason, int, const mqtt5__property*) {
  if (reason != 0) {
    std::fprintf(stderr, "bench_relay: connection refused: %s\n", mosquitto_reason_string(reason));
    stop_requested = 1;
    return;
  }
  const auto* relay = static_cast<const Relay*>(self);
  for (int qos : {0, 1}) {
    const std::string filter = relay->root + "bench/qos" + std::to_string(qos) + "/+/vibration";
    mosquitto_subscribe_v5(client, nullptr, filter.c_str(), qos, 0, nullptr);
  }
}

void handle_message(mosquitto* client, void* self, const mosquitto_message* message, const mqtt5__property*) {
  const auto* relay = static_cast<const Relay*>(self);
  const int qos = message->qos > 0 ? 1 : 0;
  mosquitto_publish_v5(client, nullptr, relay->output_topic[qos].c_str(), message->payloadlen, message->payload,
                       qos, false, nullptr);
}

// Reads up to a batch of packets; libmosquitto reports an empty socket only through errno.
int read_batch(mosquitto* client) {
  for (int i = 0; i < kReadBatch; ++i) {
    errno = 0;
    const int rc = mosquitto_loop_read(client, 1);
    if (rc != MOSQ_ERR_SUCCESS) return rc;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
  }
  return MOSQ_ERR_SUCCESS;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: bench_relay HOST PORT TOPIC_ROOT\n");
    return 2;
  }
  Relay relay{argv[3], {}};
  for (int qos : {0, 1})
    relay.output_topic[qos] = relay.root + "bench-out/qos" + std::to_string(qos) + "/vibration";
  std::signal(SIGTERM, request_stop);
  std::signal(SIGINT, request_stop);

  mosquitto_lib_init();
  mosquitto* client = mosquitto_new(nullptr, true, &relay);
  if (client == nullptr) {
    std::fprintf(stderr, "bench_relay: cannot create a client\n");
    return 1;
  }
  mosquitto_int_option(client, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  mosquitto_int_option(client, MOSQ_OPT_RECEIVE_MAXIMUM, kReceiveMaximum);
  mosquitto_int_option(client, MOSQ_OPT_SEND_MAXIMUM, kSendMaximum);
  mosquitto_connect_v5_callback_set(client, handle_connect);
  mosquitto_message_v5_callback_set(client, handle_message);
  int rc = mosquitto_connect_bind_v5(client, argv[1], std::atoi(argv[2]), 60, nullptr, nullptr);
  while (rc == MOSQ_ERR_SUCCESS && !stop_requested) {
    pollfd fd{mosquitto_socket(client), POLLIN, 0};
    if (mosquitto_want_write(client)) fd.events |= POLLOUT;
    const int ready = ::poll(&fd, 1, 1000);
    if (ready < 0 && errno != EINTR) rc = MOSQ_ERR_ERRNO;
    if (rc == MOSQ_ERR_SUCCESS && ready > 0 && (fd.revents & (POLLIN | POLLHUP | POLLERR)) != 0)
      rc = read_batch(client);
    if (rc == MOSQ_ERR_SUCCESS && mosquitto_want_write(client)) rc = mosquitto_loop_write(client, 1);
    if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_loop_misc(client);
  }
  if (!stop_requested) std::fprintf(stderr, "bench_relay: connection ended: %s\n", mosquitto_strerror(rc));
  mosquitto_disconnect_v5(client, MQTT_RC_NORMAL_DISCONNECTION, nullptr);
  mosquitto_loop_write(client, 1);
  mosquitto_destroy(client);
  mosquitto_lib_cleanup();
  return stop_requested ? 0 : 1;
}
