#include "bus/zmq_bus.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "bus/codec.h"
#include "bus/topic.h"
#include "bus/trace_id.h"

namespace edgenode::bus {
namespace {

constexpr long kPollTimeoutMs = 100;
constexpr int kMaxReadsPerWake = 256;  // lets acks and stop() in between long bursts
constexpr DecodeLimits kMetadataLimits{64 * 1024, 8};

// One context for every ZeroMQ bus in the process, so inproc endpoints reach each other.
zmq::context_t& shared_context() {
  static zmq::context_t context(1);
  return context;
}

int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<void> check_endpoint(const std::string& bus, const std::string& endpoint) {
  if (endpoint.starts_with("tcp://") || endpoint.starts_with("ipc://") || endpoint.starts_with("inproc://"))
    return {};
  return bad_input("ZeroMQ bus '" + bus + "': endpoint '" + endpoint + "' must start with tcp:// or ipc://");
}

// Binds or connects; returns the endpoint in use (a bound "*" port resolved).
Result<std::string> attach(zmq::socket_t& socket, const std::string& bus, const std::string& endpoint, bool bind) {
  try {
    if (bind) {
      socket.bind(endpoint);
      return socket.get(zmq::sockopt::last_endpoint);
    }
    socket.connect(endpoint);
    return endpoint;
  } catch (const zmq::error_t& e) {
    return unavailable("ZeroMQ bus '" + bus + "': cannot " + (bind ? "bind " : "connect ") + endpoint + ": " +
                       e.what());
  }
}

std::string metadata_frame(const Message& message) {
  if (message.content_type.empty() && message.user_properties.empty()) return {};
  nlohmann::json meta = nlohmann::json::object();
  if (!message.content_type.empty()) meta["content_type"] = message.content_type;
  if (!message.user_properties.empty()) meta["user_properties"] = message.user_properties;
  return encode_payload(meta, PayloadFormat::json);
}

// Reads the optional metadata frame; a malformed one is ignored (it is advisory).
void read_metadata(std::string_view frame, Message& message) {
  auto meta = decode_json(frame, kMetadataLimits);
  if (!meta.ok() || !meta->is_object()) return;
  if (auto it = meta->find("content_type"); it != meta->end() && it->is_string()) message.content_type = *it;
  if (auto it = meta->find("user_properties"); it != meta->end() && it->is_array()) {
    for (const auto& pair : *it) {
      if (pair.is_array() && pair.size() == 2 && pair[0].is_string() && pair[1].is_string())
        message.user_properties.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
    }
  }
}

}  // namespace

Result<std::unique_ptr<ZmqBus>> ZmqBus::create(ZmqOptions options) {
  if (options.input == ZmqOptions::Input::none && options.output == ZmqOptions::Output::none)
    return bad_input("ZeroMQ bus '" + options.name + "' has neither input nor output");
  if (options.input != ZmqOptions::Input::none) EDGENODE_TRY(check_endpoint(options.name, options.input_endpoint));
  if (options.output != ZmqOptions::Output::none) EDGENODE_TRY(check_endpoint(options.name, options.output_endpoint));
  std::unique_ptr<ZmqBus> bus(new ZmqBus(std::move(options)));
  EDGENODE_TRY(bus->open_sockets());
  return bus;
}

ZmqBus::ZmqBus(ZmqOptions options) : options_(std::move(options)) {}

ZmqBus::~ZmqBus() {
  stop();
  // Sockets close before the shared context could ever be torn down.
  input_.reset();
  wake_rx_.reset();
  std::lock_guard lock(mutex_);
  output_.reset();
  wake_tx_.reset();
}

Result<void> ZmqBus::open_sockets() {
  try {
    auto& context = shared_context();
    if (options_.input != ZmqOptions::Input::none) {
      input_ = std::make_unique<zmq::socket_t>(
          context, options_.input == ZmqOptions::Input::sub ? zmq::socket_type::sub : zmq::socket_type::pull);
      input_->set(zmq::sockopt::rcvhwm, options_.high_water_mark);
      input_->set(zmq::sockopt::linger, 0);
      auto endpoint = attach(*input_, options_.name, options_.input_endpoint, options_.input_bind);
      if (!endpoint) return endpoint.error();
      bound_input_ = *endpoint;
    }
    if (options_.output != ZmqOptions::Output::none) {
      output_ = std::make_unique<zmq::socket_t>(
          context, options_.output == ZmqOptions::Output::pub ? zmq::socket_type::pub : zmq::socket_type::push);
      output_->set(zmq::sockopt::sndhwm, options_.high_water_mark);
      output_->set(zmq::sockopt::linger, 1000);  // a clean stop still flushes what was queued
      auto endpoint = attach(*output_, options_.name, options_.output_endpoint, options_.output_bind);
      if (!endpoint) return endpoint.error();
      bound_output_ = *endpoint;
    }
    // A fresh name each time: a closed socket's inproc name is released asynchronously.
    static std::atomic<uint64_t> wake_ids{0};
    wake_endpoint_ = "inproc://edgenode-zmq-wake-" + std::to_string(wake_ids.fetch_add(1));
    wake_rx_ = std::make_unique<zmq::socket_t>(context, zmq::socket_type::pair);
    wake_rx_->bind(wake_endpoint_);
    wake_tx_ = std::make_unique<zmq::socket_t>(context, zmq::socket_type::pair);
    wake_tx_->connect(wake_endpoint_);
  } catch (const zmq::error_t& e) {
    return internal_error("ZeroMQ bus '" + options_.name + "': " + e.what());
  }
  return {};
}

Result<void> ZmqBus::subscribe(const std::string& filter, int qos) {
  auto parsed = parse_topic_filter(filter);
  if (!parsed) return parsed.error();
  if (!parsed->share_group.empty())
    return bad_input("ZeroMQ bus '" + options_.name + "': shared subscriptions ('" + filter + "') are MQTT only");
  if (options_.input == ZmqOptions::Input::none)
    return bad_input("ZeroMQ bus '" + options_.name + "' has no input socket to subscribe on");
  {
    std::lock_guard lock(mutex_);
    filters_.push_back(parsed->filter);
    if (options_.input == ZmqOptions::Input::sub)
      new_sub_prefixes_.emplace_back(topic_filter_literal_prefix(parsed->filter));
    if (started_) wake_tx_->send(zmq::const_buffer("", 0), zmq::send_flags::dontwait);
  }
  return {};
}

Result<void> ZmqBus::start() {
  {
    std::lock_guard lock(mutex_);
    if (started_) return internal_error("ZeroMQ bus '" + options_.name + "' already started");
    started_ = true;
    stopping_ = false;
  }
  thread_ = std::thread([this] { run(); });
  spdlog::info("zmq started bus={} input={} output={}", options_.name, bound_input_, bound_output_);
  if (connection_handler_) connection_handler_(true);
  return {};
}

void ZmqBus::stop() {
  {
    std::lock_guard lock(mutex_);
    if (!started_ || stopping_) return;
    stopping_ = true;
    wake_tx_->send(zmq::const_buffer("", 0), zmq::send_flags::dontwait);
  }
  if (thread_.joinable()) thread_.join();
  if (connection_handler_) connection_handler_(false);
}

void ZmqBus::pause_input() {
  std::unique_lock lock(mutex_);
  paused_ = true;
  if (!started_ || stopping_) return;
  wake_tx_->send(zmq::const_buffer("", 0), zmq::send_flags::dontwait);
  // As with MqttBus: from another thread, return once the bus thread stopped reading.
  if (std::this_thread::get_id() == thread_.get_id()) return;
  pause_seen_changed_.wait_for(lock, std::chrono::seconds(1), [&] { return pause_seen_ || stopping_; });
}

void ZmqBus::resume_input() {
  std::lock_guard lock(mutex_);
  paused_ = false;
  if (started_) wake_tx_->send(zmq::const_buffer("", 0), zmq::send_flags::dontwait);
}

Result<uint64_t> ZmqBus::publish(const Message& message) {
  EDGENODE_TRY(validate_topic_name(message.topic));
  std::lock_guard lock(mutex_);
  if (!output_) return bad_input("ZeroMQ bus '" + options_.name + "' has no output socket");
  if (!started_ || stopping_) return unavailable("ZeroMQ bus '" + options_.name + "' is not running");
  std::vector<zmq::const_buffer> frames{zmq::buffer(message.topic), zmq::buffer(message.payload)};
  const std::string meta = metadata_frame(message);
  if (!meta.empty()) frames.push_back(zmq::buffer(meta));
  try {
    if (!zmq::send_multipart(*output_, frames, zmq::send_flags::dontwait))
      return unavailable("ZeroMQ bus '" + options_.name + "': no peer is ready to take the message");
  } catch (const zmq::error_t& e) {
    return internal_error("ZeroMQ bus '" + options_.name + "': send failed: " + e.what());
  }
  published_.fetch_add(1, std::memory_order_relaxed);
  const uint64_t token = next_token_++;
  acks_to_report_.push_back(token);
  wake_tx_->send(zmq::const_buffer("", 0), zmq::send_flags::dontwait);
  return token;
}

BusStats ZmqBus::stats() const {
  BusStats s;
  s.received = received_.load();
  s.published = published_.load();
  s.acked = acked_.load();
  std::lock_guard lock(mutex_);
  s.connected = started_ && !stopping_;
  return s;
}

// ---- bus thread ----

void ZmqBus::run() {
  while (true) {
    bool paused;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
      paused = paused_;
      if (pause_seen_ != paused) {
        pause_seen_ = paused;
        pause_seen_changed_.notify_all();
      }
    }
    apply_pending_subscriptions();
    std::vector<zmq::pollitem_t> items{{wake_rx_->handle(), 0, ZMQ_POLLIN, 0}};
    const bool reading = input_ && !paused;
    if (reading) items.push_back({input_->handle(), 0, ZMQ_POLLIN, 0});
    try {
      zmq::poll(items, std::chrono::milliseconds(kPollTimeoutMs));
      if (items[0].revents & ZMQ_POLLIN) {
        zmq::message_t ignored;
        while (wake_rx_->recv(ignored, zmq::recv_flags::dontwait)) {
        }
      }
      deliver_acks();
      if (reading && (items[1].revents & ZMQ_POLLIN)) receive_available();
    } catch (const zmq::error_t& e) {
      spdlog::error("zmq bus={} error=\"{}\"", options_.name, e.what());
    }
  }
  deliver_acks();
}

void ZmqBus::apply_pending_subscriptions() {
  std::vector<std::string> prefixes;
  {
    std::lock_guard lock(mutex_);
    prefixes.swap(new_sub_prefixes_);
  }
  for (const auto& prefix : prefixes) input_->set(zmq::sockopt::subscribe, prefix);
}

void ZmqBus::deliver_acks() {
  std::deque<uint64_t> tokens;
  {
    std::lock_guard lock(mutex_);
    tokens.swap(acks_to_report_);
  }
  for (uint64_t token : tokens) {
    acked_.fetch_add(1, std::memory_order_relaxed);
    if (ack_handler_) ack_handler_(token);
  }
}

void ZmqBus::receive_available() {
  for (int n = 0; n < kMaxReadsPerWake; ++n) {
    std::vector<zmq::message_t> frames;
    if (!zmq::recv_multipart(*input_, std::back_inserter(frames), zmq::recv_flags::dontwait)) return;
    Message message;
    if (frames.size() == 1 && options_.input == ZmqOptions::Input::pull) {
      message.topic = options_.pull_topic;
      message.payload = frames[0].to_string();
    } else if (frames.size() == 2 || frames.size() == 3) {
      message.topic = frames[0].to_string();
      message.payload = frames[1].to_string();
      if (frames.size() == 3) read_metadata(frames[2].to_string_view(), message);
    } else {
      spdlog::warn("zmq dropped message bus={} reason=\"{} frames, expected topic and payload\"", options_.name,
                   frames.size());
      continue;
    }
    {
      std::lock_guard lock(mutex_);
      bool wanted = filters_.empty() && options_.input == ZmqOptions::Input::pull;
      for (const auto& filter : filters_) wanted = wanted || topic_matches(filter, message.topic);
      if (!wanted) continue;
    }
    message.received_at_ms = now_unix_ms();
    message.bus = options_.name;
    for (const auto& [key, value] : message.user_properties)
      if (key == "trace_id" && !value.empty() && message.trace_id.empty()) message.trace_id = value;
    if (message.trace_id.empty()) message.trace_id = random_trace_id();
    received_.fetch_add(1, std::memory_order_relaxed);
    if (message_handler_) message_handler_(std::move(message));
    std::lock_guard lock(mutex_);
    if (paused_ || stopping_) return;
  }
}

}  // namespace edgenode::bus
