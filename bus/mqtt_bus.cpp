#include "bus/mqtt_bus.h"

#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <random>

#include "bus/mqtt_properties.h"
#include "bus/topic.h"
#include "bus/trace_id.h"

namespace edgenode::bus {
namespace {

// How long the network thread waits in poll() when nothing happens; keepalive pings are
// due far less often. stop(), pause, resume, publish and subscribe wake it earlier.
constexpr int kLoopTimeoutMs = 50;
// Packets read before the thread hands queued publishes over and writes: a long burst of
// input does not hold back output (and the PUBACKs of that input).
constexpr int kReadBatch = 64;
// MQTT's largest payload (the remaining length of a PUBLISH is at most 268,435,455).
constexpr std::size_t kMaxPayloadBytes = 268435455 - 1024;
// QoS 1/2 messages the broker may send us before we acknowledge them (see configure_client).
constexpr int kReceiveMaximum = 1024;
// QoS 1/2 messages we send before the broker acknowledges them (see configure_client).
constexpr int kSendMaximum = 512;

int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// CONNACK reason codes that a retry cannot change.
bool is_permanent_refusal(int reason) {
  switch (reason) {
    case MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION:
    case MQTT_RC_CLIENTID_NOT_VALID:
    case MQTT_RC_BAD_USERNAME_OR_PASSWORD:
    case MQTT_RC_NOT_AUTHORIZED:
    case MQTT_RC_BANNED:
    case MQTT_RC_BAD_AUTHENTICATION_METHOD:
      return true;
    default:
      return false;
  }
}

// "Bad user name or password" → "bad user name or password"
std::string reason_text(int reason) {
  std::string text = mosquitto_reason_string(reason);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

Error publish_error(const std::string& bus, int rc) {
  std::string what = "MQTT publish on bus '" + bus + "' failed: " + mosquitto_strerror(rc);
  switch (rc) {
    case MOSQ_ERR_NO_CONN:
      return unavailable(what);
    case MOSQ_ERR_PAYLOAD_SIZE:
    case MOSQ_ERR_OVERSIZE_PACKET:
    case MOSQ_ERR_INVAL:
    case MOSQ_ERR_QOS_NOT_SUPPORTED:
    case MOSQ_ERR_MALFORMED_UTF8:
      return bad_input(what);
    default:
      return internal_error(what);
  }
}

}  // namespace

// The libmosquitto property list is built on the network thread, which also frees it:
// memory allocated on one thread and freed on another defeats the allocator's per-thread
// caches, and a list of a content type and three user properties is a dozen allocations.
struct MqttBus::QueuedPublish {
  uint64_t token = 0;
  Message message;
};

Result<std::unique_ptr<MqttBus>> MqttBus::create(MqttOptions options) {
  auto address = parse_mqtt_url(options.url);
  if (!address) return address.error();
  if (options.persistent_session && options.client_id.empty())
    return bad_input("MQTT bus '" + options.name + "': a persistent session needs a client_id");
  if (options.cert_file.empty() != options.key_file.empty())
    return bad_input("MQTT bus '" + options.name + "': cert_file and key_file go together");
  for (const auto* file : {&options.ca_file, &options.cert_file, &options.key_file}) {
    if (!file->empty() && !std::filesystem::exists(*file))
      return bad_input("MQTT bus '" + options.name + "': file not found: " + *file);
  }
  if (!address->tls && (!options.ca_file.empty() || !options.cert_file.empty()))
    return bad_input("MQTT bus '" + options.name + "': TLS files given but the url is not mqtts://");
  if (options.reconnect_min > options.reconnect_max)
    return bad_input("MQTT bus '" + options.name + "': reconnect min is above max");

  static const int init = mosquitto_lib_init();
  (void)init;
  std::unique_ptr<MqttBus> bus(new MqttBus(std::move(options), *address, nullptr));
  const auto& o = bus->options_;
  bus->client_ = mosquitto_new(o.client_id.empty() ? nullptr : o.client_id.c_str(), !o.persistent_session, bus.get());
  if (bus->client_ == nullptr) return internal_error("MQTT bus '" + o.name + "': cannot create a client");
  bus->wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (bus->wake_fd_ < 0) return internal_error("MQTT bus '" + o.name + "': cannot create an eventfd");
  EDGENODE_TRY(bus->configure_client());
  return bus;
}

MqttBus::MqttBus(MqttOptions options, BrokerAddress address, mosquitto* client)
    : options_(std::move(options)),
      address_(std::move(address)),
      client_(client),
      backoff_(options_.reconnect_min, options_.reconnect_max, std::random_device{}()) {}

MqttBus::~MqttBus() {
  stop();
  if (client_ != nullptr) mosquitto_destroy(client_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

Result<void> MqttBus::configure_client() {
  const std::string where = "MQTT bus '" + options_.name + "': ";
  mosquitto_int_option(client_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  // Only the network thread writes to the socket: a packet queued on another thread (a
  // SUBSCRIBE) waits for it. libmosquitto still writes a byte to its internal socket pair
  // for every packet it queues, meant to wake mosquitto_loop(); this loop does not poll that
  // pair, so once its buffer is full those writes fail at once with EAGAIN.
  mosquitto_threaded_set(client_, true);
  if (!options_.username.empty() || !options_.password.empty()) {
    if (mosquitto_username_pw_set(client_, options_.username.c_str(), options_.password.c_str()) != MOSQ_ERR_SUCCESS)
      return bad_input(where + "invalid user name or password");
  }
  if (address_.tls) {
    const char* ca_file = options_.ca_file.empty() ? nullptr : options_.ca_file.c_str();
    const char* ca_path = ca_file ? nullptr : "/etc/ssl/certs";
    const char* cert = options_.cert_file.empty() ? nullptr : options_.cert_file.c_str();
    const char* key = options_.key_file.empty() ? nullptr : options_.key_file.c_str();
    int rc = mosquitto_tls_set(client_, ca_file, ca_path, cert, key, nullptr);
    if (rc != MOSQ_ERR_SUCCESS) return bad_input(where + "TLS setup failed: " + mosquitto_strerror(rc));
    if (options_.insecure) {
      spdlog::warn("mqtt bus={} insecure=true: the broker's certificate is NOT checked; use only in tests",
                   options_.name);
      // tls_insecure_set alone only skips the host name check; SSL_VERIFY_NONE skips the
      // chain check as well, as documented: a broker with a self-signed certificate and no
      // CA at hand can be reached.
      mosquitto_tls_opts_set(client_, 0 /* SSL_VERIFY_NONE */, nullptr, nullptr);
      mosquitto_tls_insecure_set(client_, true);
    }
  }
  if (options_.will) {
    const auto& will = *options_.will;
    EDGENODE_TRY(validate_topic_name(will.topic));
    // libmosquitto takes the will's properties over when it accepts them.
    mosquitto_property* will_properties = nullptr;
    if (will.delay_s > 0) mosquitto_property_add_int32(&will_properties, MQTT_PROP_WILL_DELAY_INTERVAL, will.delay_s);
    int rc = mosquitto_will_set_v5(client_, will.topic.c_str(), static_cast<int>(will.payload.size()),
                                   will.payload.data(), will.qos, will.retain, will_properties);
    if (rc != MOSQ_ERR_SUCCESS) {
      mosquitto_property_free_all(&will_properties);
      return bad_input(where + "invalid last will: " + mosquitto_strerror(rc));
    }
  }
  // QoS 1/2 messages allowed in flight each way (libmosquitto's default is 20, which caps a
  // QoS 1 stream at 20 round trips' worth of messages). Inputs are journaled before the ack,
  // so a larger window costs no durability; the broker's own receive maximum still applies.
  // The send window stays smaller: libmosquitto 2.0 walks its whole list of unacknowledged
  // outgoing messages on every publish and every PUBACK (message__release_to_inflight), so
  // its cost per message grows with the window. 512 still covers the round trip of a busy
  // broker (128 held a loaded 2-core machine's QoS 1 passthrough to 10k msg/s, 512 to 25k).
  mosquitto_int_option(client_, MOSQ_OPT_RECEIVE_MAXIMUM, kReceiveMaximum);
  mosquitto_int_option(client_, MOSQ_OPT_SEND_MAXIMUM, kSendMaximum);
  // With a log callback set, libmosquitto formats a line for every packet; only TLS
  // failures are reported nowhere else, so the callback is there only for mqtts.
  if (address_.tls) mosquitto_log_callback_set(client_, handle_log);
  mosquitto_connect_v5_callback_set(client_, handle_connect);
  mosquitto_disconnect_v5_callback_set(client_, handle_disconnect);
  mosquitto_message_v5_callback_set(client_, handle_message);
  mosquitto_publish_v5_callback_set(client_, handle_publish);
  mosquitto_subscribe_v5_callback_set(client_, handle_subscribe);
  return {};
}

Result<void> MqttBus::subscribe(const std::string& filter, int qos) {
  if (qos < 0 || qos > 2) return bad_input("MQTT subscription '" + filter + "': qos must be 0, 1 or 2");
  auto parsed = parse_topic_filter(filter);
  if (!parsed) return parsed.error();
  Subscription subscription{filter, qos};
  bool connected;
  {
    std::lock_guard lock(mutex_);
    subscriptions_.push_back(subscription);
    connected = connected_;
  }
  // Otherwise the next connect subscribes it.
  if (connected) {
    subscribe_on_wire(subscription);
    wake_network_thread();  // to write the SUBSCRIBE
  }
  return {};
}

void MqttBus::subscribe_on_wire(const Subscription& subscription) {
  // Retained messages only for a subscription the broker did not have yet, so a
  // resumed persistent session does not get them again on every reconnect.
  const int options = MQTT_SUB_OPT_SEND_RETAIN_NEW;
  int mid = 0;
  std::lock_guard lock(mutex_);  // held so the SUBACK cannot be handled before mid is recorded
  int rc = mosquitto_subscribe_v5(client_, &mid, subscription.filter.c_str(), subscription.qos, options, nullptr);
  if (rc == MOSQ_ERR_SUCCESS) pending_subacks_[mid] = subscription.filter;
  else
    spdlog::warn("mqtt subscribe failed bus={} filter={} error=\"{}\"", options_.name, subscription.filter,
                 mosquitto_strerror(rc));
}

Result<void> MqttBus::start() {
  {
    std::lock_guard lock(mutex_);
    if (network_thread_.joinable()) return internal_error("MQTT bus '" + options_.name + "' already started");
    stopping_ = false;
    first_attempt_ = FirstAttempt::pending;
  }
  spdlog::info("mqtt starting bus={} url={} client_id={} session={}", options_.name, options_.url, options_.client_id,
               options_.persistent_session ? "persistent" : "clean");
  network_thread_ = std::thread([this] { run_network(); });
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, options_.connect_timeout, [&] { return first_attempt_ != FirstAttempt::pending; });
  switch (first_attempt_) {
    case FirstAttempt::connected:
      return {};
    case FirstAttempt::refused: {
      std::string reason = first_attempt_reason_;
      lock.unlock();
      stop();
      return bad_input(reason);
    }
    case FirstAttempt::pending:
    case FirstAttempt::failed_retrying:
      spdlog::warn("mqtt not connected yet bus={} url={} reason=\"{}\"; retrying in the background", options_.name,
                   options_.url, first_attempt_reason_.empty() ? "no answer yet" : first_attempt_reason_);
      return {};
  }
  return {};
}

void MqttBus::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  wake_network_thread();
  if (network_thread_.joinable()) network_thread_.join();
}

void MqttBus::pause_input() {
  std::unique_lock lock(mutex_);
  paused_ = true;
  // From the message handler itself the flag is seen on the next loop iteration; from
  // any other thread, wait until the network thread has seen it, so no message read
  // after this returns is delivered.
  if (std::this_thread::get_id() == network_thread_id_) return;
  wake_network_thread();
  wake_.wait_for(lock, std::chrono::seconds(1), [&] { return pause_seen_ || stopping_ || !connected_; });
}

void MqttBus::resume_input() {
  {
    std::lock_guard lock(mutex_);
    paused_ = false;
  }
  wake_.notify_all();
  wake_network_thread();
}

Result<uint64_t> MqttBus::publish(const Message& message) { return publish(Message(message)); }

Result<uint64_t> MqttBus::publish(Message&& message) {
  if (message.qos < 0 || message.qos > 2) return bad_input("MQTT publish: qos must be 0, 1 or 2");
  EDGENODE_TRY(validate_topic_name(message.topic));
  if (message.payload.size() > kMaxPayloadBytes) return publish_error(options_.name, MOSQ_ERR_PAYLOAD_SIZE);
  if (!connected_) return unavailable("MQTT bus '" + options_.name + "' is not connected");
  const int rc = check_publish_properties(message);
  if (rc != MOSQ_ERR_SUCCESS) return publish_error(options_.name, rc);
  const uint64_t token = next_token_.fetch_add(1, std::memory_order_relaxed) + 1;
  {
    std::lock_guard lock(queue_mutex_);
    queued_.push_back(QueuedPublish{token, std::move(message)});
  }
  wake_network_thread();
  published_.fetch_add(1, std::memory_order_relaxed);
  return token;
}

void MqttBus::wake_network_thread() {
  // The network thread sets the flag before it last looks at the queue and polls, so a
  // publish queued after that look sees the flag; only the first one after it writes.
  if (!network_waiting_.exchange(false)) return;
  const uint64_t one = 1;
  if (::write(wake_fd_, &one, sizeof one) < 0) {
    // EAGAIN: the counter is full, so the thread is being woken anyway.
  }
}

BusStats MqttBus::stats() const {
  BusStats s;
  s.received = received_.load();
  s.published = published_.load();
  s.acked = acked_.load();
  s.reconnects = reconnects_.load();
  std::lock_guard lock(mutex_);
  s.connected = connected_;
  return s;
}

// ---- network thread ----

void MqttBus::run_network() {
  {
    std::lock_guard lock(mutex_);
    network_thread_id_ = std::this_thread::get_id();
  }
  bool first = true;
  while (true) {
    {
      // A paused bus does not reconnect: a new connection would start reading input.
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !paused_ || first; });
      if (stopping_) break;
    }
    int rc;
    if (first) {
      PropertyList connect_properties;
      if (options_.persistent_session)
        mosquitto_property_add_int32(connect_properties.out(), MQTT_PROP_SESSION_EXPIRY_INTERVAL,
                                     options_.session_expiry_s);
      rc = mosquitto_connect_bind_v5(client_, address_.host.c_str(), address_.port, options_.keepalive_s, nullptr,
                                     connect_properties.get());
    } else {
      rc = mosquitto_reconnect(client_);  // reuses the CONNECT properties of the first call
    }
    if (rc == MOSQ_ERR_SUCCESS) {
      serve_connection();
    } else {
      spdlog::warn("mqtt connect failed bus={} url={} error=\"{}\"", options_.name, options_.url,
                   mosquitto_strerror(rc));
      if (first) report_first_attempt_failure(rc);
    }
    first = false;
    set_connected(false);
    {
      std::lock_guard lock(mutex_);
      if (stopping_ || first_attempt_ == FirstAttempt::refused) break;
    }
    wait_for_backoff(backoff_.next());
  }
  // What was published before stop() goes out ahead of a clean DISCONNECT (the will is
  // not sent); both are flushed before the thread ends.
  if (mosquitto_socket(client_) >= 0) send_queued_publishes();
  if (mosquitto_disconnect_v5(client_, MQTT_RC_NORMAL_DISCONNECTION, nullptr) == MOSQ_ERR_SUCCESS) {
    for (int i = 0; i < 10 && mosquitto_loop(client_, kLoopTimeoutMs, 1) == MOSQ_ERR_SUCCESS; ++i) {
    }
  }
  set_connected(false);
}

// The network loop, in place of mosquitto_loop(), which waits in pselect() again for every
// QoS 0 packet it reads and is woken through libmosquitto's socket pair for every packet
// another thread queues. Here one poll() is followed by reading up to a batch of packets,
// handing over every publish queued meanwhile and writing them all out.
void MqttBus::serve_connection() {
  bool more_to_read = false;
  while (true) {
    // Set before the last look at the state and the queue: whoever changes them after
    // that look sees the flag and wakes the poll() below.
    network_waiting_.store(true);
    bool paused, connected;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) {
        network_waiting_.store(false);
        return;
      }
      paused = paused_;
      connected = connected_;
      if (pause_seen_ != paused) {
        pause_seen_ = paused;
        wake_.notify_all();
      }
    }
    if (!connected && !paused) {
      // Until the CONNACK, libmosquitto's own loop, which also drives a TLS handshake.
      network_waiting_.store(false);
      const int rc = mosquitto_loop(client_, kLoopTimeoutMs, 1);
      if (rc == MOSQ_ERR_SUCCESS) continue;
      report_first_attempt_failure(rc);
      spdlog::info("mqtt connection ended bus={} url={} reason=\"{}\"", options_.name, options_.url,
                   mosquitto_strerror(rc));
      return;
    }
    bool queued;
    {
      std::lock_guard lock(queue_mutex_);
      queued = !queued_.empty();
    }
    const int socket = mosquitto_socket(client_);
    if (socket < 0) {
      network_waiting_.store(false);
      report_first_attempt_failure(MOSQ_ERR_NO_CONN);
      return;
    }
    pollfd fds[2] = {{socket, 0, 0}, {wake_fd_, POLLIN, 0}};
    if (!paused) fds[0].events |= POLLIN;
    if (mosquitto_want_write(client_)) fds[0].events |= POLLOUT;
    // While paused with nothing to write the socket is left out, so a hang-up cannot make
    // poll() return at once again and again; the keepalive check notices a dead broker.
    if (fds[0].events == 0) fds[0].fd = -1;
    const bool work_waiting = queued || (more_to_read && !paused);
    const int ready = ::poll(fds, 2, work_waiting ? 0 : kLoopTimeoutMs);
    network_waiting_.store(false);
    int rc = MOSQ_ERR_SUCCESS;
    if (ready < 0 && errno != EINTR) rc = MOSQ_ERR_ERRNO;
    if (ready > 0 && (fds[1].revents & POLLIN) != 0) {
      uint64_t wakes;
      if (::read(wake_fd_, &wakes, sizeof wakes) < 0) {
        // EAGAIN: another read took the count; nothing to do.
      }
    }
    const bool readable = ready > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
    const bool read_now = !paused && (readable || more_to_read);
    more_to_read = false;
    if (rc == MOSQ_ERR_SUCCESS && read_now) rc = read_packets(more_to_read);
    if (rc == MOSQ_ERR_SUCCESS) send_queued_publishes();
    if (rc == MOSQ_ERR_SUCCESS && mosquitto_want_write(client_)) rc = mosquitto_loop_write(client_, 1);
    if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_loop_misc(client_);
    if (rc != MOSQ_ERR_SUCCESS) {
      report_first_attempt_failure(rc);
      spdlog::info("mqtt connection ended bus={} url={} reason=\"{}\"", options_.name, options_.url,
                   mosquitto_strerror(rc));
      return;
    }
  }
}

int MqttBus::read_packets(bool& more) {
  for (int i = 0; i < kReadBatch; ++i) {
    // libmosquitto reports an empty socket only through errno (EAGAIN) with success.
    errno = 0;
    const int rc = mosquitto_loop_read(client_, 1);
    if (rc != MOSQ_ERR_SUCCESS) return rc;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return MOSQ_ERR_SUCCESS;
    if (mosquitto_socket(client_) < 0) return MOSQ_ERR_CONN_LOST;
    if (paused_) return MOSQ_ERR_SUCCESS;  // the message handler paused input
  }
  more = true;
  return MOSQ_ERR_SUCCESS;
}

void MqttBus::send_queued_publishes() {
  {
    std::lock_guard lock(queue_mutex_);
    if (queued_.empty()) return;
    sending_.swap(queued_);  // both keep their capacity, so steady traffic allocates nothing here
  }
  for (auto& [token, m] : sending_) {
    PropertyList properties;
    int rc = add_publish_properties(m, properties);
    int mid = 0;
    if (rc == MOSQ_ERR_SUCCESS)
      rc = mosquitto_publish_v5(client_, &mid, m.topic.c_str(), static_cast<int>(m.payload.size()),
                                m.payload.data(), m.qos, m.retain, properties.get());
    if (rc == MOSQ_ERR_SUCCESS) {
      token_of_mid_[mid] = token;
    } else {
      // The connection ended under the batch (or memory ran out): a QoS 0 message is lost as
      // it would have been in libmosquitto's queue; the caller's outbox keeps what it must.
      spdlog::warn("mqtt publish not sent bus={} topic={} error=\"{}\"", options_.name, m.topic,
                   mosquitto_strerror(rc));
    }
  }
  sending_.clear();
}

void MqttBus::wait_for_backoff(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, delay, [&] { return stopping_; });
}

void MqttBus::report_first_attempt_failure(int rc) {
  std::string tls_error;
  {
    std::lock_guard lock(mutex_);
    tls_error = tls_error_;
  }
  // A TLS failure at start is a configuration problem (wrong CA, missing or untrusted
  // client certificate): start() says so instead of retrying in silence.
  if (rc == MOSQ_ERR_TLS || !tls_error.empty()) {
    report_first_attempt(FirstAttempt::refused, "MQTT TLS handshake with " + options_.url + " failed" +
                                                    (tls_error.empty() ? "" : " (" + tls_error + ")") +
                                                    ": check ca_file, cert_file and key_file");
  } else {
    report_first_attempt(FirstAttempt::failed_retrying, mosquitto_strerror(rc));
  }
}

void MqttBus::report_first_attempt(FirstAttempt outcome, std::string reason) {
  {
    std::lock_guard lock(mutex_);
    if (first_attempt_ != FirstAttempt::pending) return;
    first_attempt_ = outcome;
    first_attempt_reason_ = std::move(reason);
  }
  wake_.notify_all();
}

void MqttBus::set_connected(bool connected) {
  {
    std::lock_guard lock(mutex_);
    if (connected_ == connected) return;
    connected_ = connected;
  }
  if (!connected) spdlog::warn("mqtt disconnected bus={} url={}", options_.name, options_.url);
  if (connection_handler_) connection_handler_(connected);
}

// ---- libmosquitto callbacks (network thread) ----

void MqttBus::handle_connect(mosquitto*, void* self, int reason, int flags, const mqtt5__property*) {
  auto* bus = static_cast<MqttBus*>(self);
  if (reason != 0) {
    std::string refusal = "MQTT connection refused: " + reason_text(reason);
    // mosquitto answers a wrong password with "not authorized" to MQTT 5 clients.
    if (reason == MQTT_RC_NOT_AUTHORIZED) refusal += " (wrong user name or password, or not allowed)";
    spdlog::error("mqtt connect refused bus={} url={} reason=\"{}\"", bus->options_.name, bus->options_.url,
                  reason_text(reason));
    if (is_permanent_refusal(reason)) bus->report_first_attempt(FirstAttempt::refused, refusal);
    return;
  }
  std::vector<Subscription> subscriptions;
  bool reconnect;
  {
    std::lock_guard lock(bus->mutex_);
    bus->connected_ = true;
    reconnect = bus->ever_connected_;
    bus->ever_connected_ = true;
    subscriptions = bus->subscriptions_;
  }
  if (reconnect) bus->reconnects_.fetch_add(1);
  ++bus->connection_count_;
  bus->session_resumed_ = (flags & 1) != 0;
  bus->backoff_.reset();
  {
    std::lock_guard lock(bus->mutex_);
    bus->tls_error_.clear();
    bus->pending_subacks_.clear();
  }
  for (const auto& s : subscriptions) bus->subscribe_on_wire(s);
  spdlog::info("mqtt connected bus={} url={} session_present={} subscriptions={} reconnects={}", bus->options_.name,
               bus->options_.url, (flags & 1) != 0, subscriptions.size(), bus->reconnects_.load());
  bus->report_connected_when_subscribed();
  if (bus->connection_handler_) bus->connection_handler_(true);
}

void MqttBus::handle_log(mosquitto*, void* self, int level, const char* text) {
  // libmosquitto reports TLS failures (certificate checks, alerts) only here.
  if (level != MOSQ_LOG_ERR && level != MOSQ_LOG_WARNING) return;
  auto* bus = static_cast<MqttBus*>(self);
  spdlog::warn("mqtt bus={} libmosquitto=\"{}\"", bus->options_.name, text);
  std::string_view message(text);
  if (message.starts_with("OpenSSL Error")) {
    auto detail = message.rfind("::");
    std::lock_guard lock(bus->mutex_);
    bus->tls_error_ = std::string(detail == std::string_view::npos ? message : message.substr(detail + 2));
  }
}

void MqttBus::handle_disconnect(mosquitto*, void* self, int reason, const mqtt5__property*) {
  static_cast<MqttBus*>(self)->set_connected(false);
}

void MqttBus::handle_message(mosquitto*, void* self, const mosquitto_message* msg, const mqtt5__property* props) {
  auto* bus = static_cast<MqttBus*>(self);
  Message message;
  message.topic = msg->topic;
  message.payload.assign(static_cast<const char*>(msg->payload), static_cast<std::size_t>(msg->payloadlen));
  message.qos = msg->qos;
  message.retain = msg->retain;
  message.received_at_ms = now_unix_ms();
  message.bus = bus->options_.name;
  message.delivery = {msg->qos > 0 ? msg->mid : 0, bus->connection_count_, bus->session_resumed_};
  read_publish_properties(props, message);
  for (const auto& [key, value] : message.user_properties) {
    if (key == "trace_id" && !value.empty()) {
      message.trace_id = value;
      break;
    }
  }
  if (message.trace_id.empty()) message.trace_id = random_trace_id();
  bus->received_.fetch_add(1, std::memory_order_relaxed);
  if (!bus->message_handler_) return;
  try {
    bus->message_handler_(std::move(message));
  } catch (const std::exception& e) {
    // Never let an exception unwind through libmosquitto's C frames.
    spdlog::error("mqtt message handler failed bus={} topic={} error=\"{}\"", bus->options_.name, msg->topic,
                  e.what());
  }
}

void MqttBus::handle_publish(mosquitto*, void* self, int mid, int reason, const mqtt5__property*) {
  auto* bus = static_cast<MqttBus*>(self);
  if (reason >= 0x80) {
    // The broker refused it (e.g. not authorized). Retrying cannot change that, so it
    // is reported as settled like an ack, with the error logged.
    spdlog::error("mqtt publish refused bus={} mid={} reason=\"{}\"", bus->options_.name, mid, reason_text(reason));
  }
  auto it = bus->token_of_mid_.find(mid);
  if (it == bus->token_of_mid_.end()) return;  // a late duplicate acknowledgement
  const uint64_t token = it->second;
  bus->token_of_mid_.erase(it);
  bus->acked_.fetch_add(1, std::memory_order_relaxed);
  if (bus->ack_handler_) bus->ack_handler_(token);
}

void MqttBus::handle_subscribe(mosquitto*, void* self, int mid, int count, const int* granted,
                               const mqtt5__property*) {
  auto* bus = static_cast<MqttBus*>(self);
  std::string filter;
  {
    std::lock_guard lock(bus->mutex_);
    auto it = bus->pending_subacks_.find(mid);
    if (it != bus->pending_subacks_.end()) {
      filter = it->second;
      bus->pending_subacks_.erase(it);
    }
  }
  for (int i = 0; i < count; ++i) {
    if (granted[i] >= 0x80)
      spdlog::error("mqtt subscription refused bus={} filter={} reason=\"{}\"", bus->options_.name, filter,
                    reason_text(granted[i]));
  }
  bus->report_connected_when_subscribed();
}

void MqttBus::report_connected_when_subscribed() {
  {
    std::lock_guard lock(mutex_);
    if (!pending_subacks_.empty()) return;
  }
  report_first_attempt(FirstAttempt::connected);
}

}  // namespace edgenode::bus
