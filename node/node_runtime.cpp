#include "node/node_runtime.h"

#include <chrono>

#include <spdlog/spdlog.h>

#include "bus/mqtt_bus.h"
#include "bus/zmq_bus.h"
#include "node/bus_publisher.h"
#include "node/http_endpoint.h"
#include "node/input_gate.h"
#include "node/journal_publisher.h"
#include "node/metrics_text.h"
#include "node/node_models.h"
#include "node/telemetry.h"
#include "pipeline/output_stage.h"

namespace edgenode::node {

using nlohmann::json;

namespace {

constexpr auto kStatusAckTimeout = std::chrono::seconds(2);
// How long the broker holds the last will back (MQTT 5 will delay; a persistent session
// only). A reload closes the control connection and opens the next one within moments, and
// a close over unread input is a reset, which makes the broker publish the will: held
// back, it is dropped when the session comes back, so the status does not flap to
// `offline`. A crash shows `offline` this much later.
constexpr uint32_t kWillDelaySeconds = 5;

bus::Message status_message(const pipeline::NodeSettings& settings, const std::string& control_bus, json status) {
  bus::Message message;
  message.topic = settings.topic_prefix + "/status";
  message.payload = status.dump();
  message.content_type = "application/json";
  message.qos = 1;
  message.retain = true;
  message.bus = control_bus;
  return message;
}

json offline_status(const pipeline::NodeSettings& settings) {
  return {{"status", "offline"}, {"node", settings.id}};
}

bus::MqttOptions mqtt_options(const pipeline::BusSettings& b, const std::string& status_topic, bool control) {
  const auto& m = *b.mqtt;
  bus::MqttOptions o;
  o.name = b.name;
  o.url = m.url;
  o.client_id = m.client_id;
  o.keepalive_s = static_cast<int>(m.keepalive_ms / 1000 > 0 ? m.keepalive_ms / 1000 : 1);
  o.username = m.username;
  o.password = m.password;
  o.ca_file = m.ca_file;
  o.cert_file = m.cert_file;
  o.key_file = m.key_file;
  o.insecure = m.insecure;
  o.persistent_session = m.persistent_session;
  o.session_expiry_s = static_cast<uint32_t>(m.session_expiry_ms / 1000);
  o.reconnect_min = std::chrono::milliseconds(m.reconnect_min_ms);
  o.reconnect_max = std::chrono::milliseconds(m.reconnect_max_ms);
  // The broker publishes the last will if the node vanishes without saying goodbye.
  if (control) o.will = bus::MqttWill{status_topic, json{{"status", "offline"}}.dump(), 1, true, kWillDelaySeconds};
  return o;
}

Result<std::unique_ptr<bus::Bus>> create_bus(const pipeline::BusSettings& b, const std::string& status_topic,
                                             bool control) {
  if (b.mqtt) {
    auto created = bus::MqttBus::create(mqtt_options(b, status_topic, control));
    if (!created) return created.error();
    return std::unique_ptr<bus::Bus>(std::move(created).value());
  }
  const auto& z = *b.zmq;
  bus::ZmqOptions o;
  o.name = b.name;
  if (!z.sub.empty()) {
    o.input = bus::ZmqOptions::Input::sub;
    o.input_endpoint = z.sub;
  } else if (!z.pull.empty()) {
    o.input = bus::ZmqOptions::Input::pull;
    o.input_endpoint = z.pull;
  }
  o.input_bind = z.bind;
  if (!z.pub.empty()) {
    o.output = bus::ZmqOptions::Output::pub;
    o.output_endpoint = z.pub;
  } else if (!z.push.empty()) {
    o.output = bus::ZmqOptions::Output::push;
    o.output_endpoint = z.push;
  }
  o.output_bind = z.bind;
  auto created = bus::ZmqBus::create(o);
  if (!created) return created.error();
  return std::unique_ptr<bus::Bus>(std::move(created).value());
}

}  // namespace

NodeRuntime::~NodeRuntime() = default;

Result<std::unique_ptr<NodeRuntime>> NodeRuntime::create(pipeline::LoadedConfig& config,
                                                         const LoadedModels& reusable) {
  std::unique_ptr<NodeRuntime> node(new NodeRuntime());
  node->settings_ = config.node;
  if (node->settings_.buses.empty()) return bad_input("the config declares no bus (node.bus or node.buses)");
  // Status, telemetry and dead-letters go to the default bus, else the first named one.
  node->control_bus_ = node->settings_.buses.front().name;

  auto models = load_models(node->settings_.models, reusable);
  if (!models) return models.error();
  node->loaded_models_ = std::move(models).value();
  node->models_ = model_set(node->loaded_models_);

  auto pipelines = pipeline::build_pipelines(config, &node->models_);
  if (!config.ok()) return bad_input(config.diagnostics.format_all());
  for (const auto& p : pipelines) node->pipeline_names_.push_back(p->name());

  const std::string status_topic = node->settings_.topic_prefix + "/status";
  for (const auto& b : node->settings_.buses) {
    auto created = create_bus(b, status_topic, b.name == node->control_bus_);
    if (!created) return bad_input(created.error().message);  // the bus's message names it
    node->buses_[b.name] = std::move(created).value();
  }
  node->publisher_ = std::make_unique<BusPublisher>(node->buses_);
  if (!node->settings_.journal.empty()) {
    auto journal = JournalPublisher::open(node->settings_, node->buses_);
    if (!journal) return journal.error();
    node->journal_ = std::move(journal).value();
  }

  if (!node->settings_.archive_path.empty()) {
    auto archive = bus::RawArchive::open({.path = node->settings_.archive_path,
                                          .max_bytes = node->settings_.archive_max_bytes,
                                          .max_age_ms = node->settings_.archive_max_age_ms});
    if (!archive) return bad_input(archive.error().message);
    node->archive_ = std::move(archive).value();
  }

  pipeline::RunnerOptions options;
  options.workers = 2;
  options.deadletters = {node->settings_.topic_prefix, node->control_bus_};
  options.inline_light_pipelines = !node->journal_;  // BusPublisher never waits; a journal's outbox may
  options.archive = node->archive_.get();
  if (node->journal_) {
    // A journaled input that finds its queue full is parked (it is on disk already)
    // rather than waited for on the bus's network thread, which must go on reading the
    // acks that free the outbox; the bus stops reading while it has parked inputs.
    NodeRuntime* self = node.get();
    options.load_input = [self](int64_t input_id) { return self->journal_->input(input_id); };
    options.on_parked_changed = [self](const std::string&) { self->input_gate_->refresh(); };
    node->journal_->on_blocked_changed([self] { self->input_gate_->refresh(); });
  }
  pipeline::Publisher& publisher = node->journal_ ? static_cast<pipeline::Publisher&>(*node->journal_)
                                                  : static_cast<pipeline::Publisher&>(*node->publisher_);
  node->runner_ = std::make_unique<pipeline::Runner>(std::move(pipelines), publisher, options);

  for (const auto& [name, b] : node->buses_) node->bus_views_.push_back(b.get());
  if (node->journal_) {
    std::vector<bus::Bus*> buses;
    for (const auto& [name, b] : node->buses_) buses.push_back(b.get());
    NodeRuntime* self = node.get();
    node->input_gate_ = std::make_unique<InputGate>(std::move(buses), [self](const std::string& bus) {
      // A bus whose acks a full outbox waits for keeps reading; its new inputs are parked.
      // One not started yet is left alone: paused, it would not read its CONNACK.
      if (!self->buses_started_ || self->input_closed_ || self->journal_->outbox_waits_on(bus)) return false;
      return self->runner_->has_parked(bus) || self->journal_->outbox_blocked();
    });
  }
  node->telemetry_ = std::make_unique<Telemetry>(node->settings_.id, *node->runner_, node->models_, node->bus_views_);
  return node;
}

bus::Bus* NodeRuntime::control_bus() const { return buses_.at(control_bus_).get(); }

Result<void> NodeRuntime::start(std::vector<bus::Message> handed_over) {
  for (auto& [name, b] : buses_) {
    b->on_message([this](bus::Message&& message) {
      // Recorded before this handler returns, that is before the broker gets its ack. A
      // broker's redelivery of an input still pending is acked and dropped here. A
      // journaled input never waits in submit() (it is parked when its queue is full), so
      // this thread keeps reading acks; a QoS 0 input under on_full: block still waits.
      if (journal_ && message.qos >= 1 &&
          journal_->record_input(message) == JournalPublisher::InputRecord::redelivery)
        return;
      if (input_closed_) {
        // Stopping: a journaled input is replayed at the next start; on a reload any other
        // is handed to the next runtime, having been acknowledged already.
        if (hand_over_ && !(journal_ && message.qos >= 1)) {
          std::lock_guard lock(handed_over_mutex_);
          handed_over_.push_back(std::move(message));
        }
        return;
      }
      runner_->submit(std::move(message));
    });
    if (journal_) continue;  // the journal's senders take the acks and connection events
    b->on_ack([this, bus_name = name](uint64_t token) { publisher_->acked(bus_name, token); });
    b->on_connection([bus_name = name](bool connected) {
      spdlog::info("bus_connection bus={} connected={}", bus_name, connected);
    });
  }
  if (journal_) {
    // What a previous run left unfinished goes first, before any new input.
    const auto pending = journal_->pending_inputs();
    for (const auto& message : pending) runner_->replay(message);
    if (!pending.empty()) spdlog::info("journal_replay inputs={}", pending.size());
    journal_->start_senders();
  }
  for (const auto& p : runner_->pipelines()) {
    const auto& s = p->settings();
    for (const auto& subscription : s.subscriptions) {
      auto subscribed = buses_.at(s.bus)->subscribe(subscription, s.qos);
      if (!subscribed) return bad_input("pipeline '" + s.name + "': " + subscribed.error().message);
    }
  }
  for (auto& [name, b] : buses_) {
    auto started = b->start();
    if (!started) return unavailable("bus '" + name + "': " + started.error().message);
    spdlog::info("bus_started bus={}", name);
  }
  buses_started_ = true;
  // Once connected: without a journal, an output that finds its bus away is not kept.
  for (auto& message : handed_over) runner_->submit(std::move(message));
  if (!handed_over.empty()) spdlog::info("reload_handed_over inputs={}", handed_over.size());
  if (input_gate_) input_gate_->refresh();  // inputs parked by the replay stop their bus now
  if (!settings_.http_listen.empty()) {
    HttpEndpoint::Handlers handlers;
    handlers.metrics = [this] { return prometheus_text(*runner_, bus_views_, models_, archive_.get()); };
    handlers.ready = [this] {
      for (const bus::Bus* b : bus_views_) {
        if (!b->stats().connected) return false;
      }
      return true;
    };
    auto http = HttpEndpoint::start(settings_.http_listen, std::move(handlers));
    if (!http) return http.error();
    http_ = std::move(http).value();
    spdlog::info("http_listening listen={} port={}", settings_.http_listen, http_->port());
  }
  publish_status(true);
  online_ = true;
  return {};
}

void NodeRuntime::publish_status(bool online) {
  json status = offline_status(settings_);
  if (online) {
    status["status"] = "online";
    status["version"] = EDGENODE_VERSION;
    status["pipelines"] = pipeline_names_;
    json models = json::array();
    for (const auto& [name, worker] : models_) {
      models.push_back({{"name", name}, {"sha256", worker->file_sha256()}, {"load_ms", worker->stats().load_ms}});
    }
    status["models"] = models;
  }
  bus::Message message = status_message(settings_, control_bus_, std::move(status));
  if (journal_) {
    // In order behind the outputs already waiting; only `offline` is waited for.
    journal_->publish(std::move(message), pipeline::OutboundKind::output);
    if (!online && !journal_->wait_until_sent(control_bus_, kStatusAckTimeout))
      spdlog::warn("status_not_acknowledged status=offline");
    return;
  }
  if (!publisher_->publish_and_wait(message, kStatusAckTimeout)) {
    spdlog::warn("status_not_acknowledged status={}", online ? "online" : "offline");
  }
}

void NodeRuntime::publish_telemetry() {
  json record = telemetry_->sample();
  if (journal_) {
    record["journal"] = journal_->stats();
    journal_->compact_from_time_to_time();
  }
  if (archive_) {
    const bus::RawArchiveStats a = archive_->stats();
    record["archive"] = {{"entries", a.entries}, {"bytes", a.bytes}, {"kept", a.kept},
                         {"pruned", a.pruned}, {"dropped", a.dropped}};
  }
  bus::Message message;
  message.topic = settings_.topic_prefix + "/telemetry";
  const bool msgpack = settings_.telemetry_format == "msgpack";
  if (msgpack) {
    const auto bytes = json::to_msgpack(record);
    message.payload.assign(bytes.begin(), bytes.end());
  } else {
    message.payload = record.dump();
  }
  message.content_type = msgpack ? "application/msgpack" : "application/json";
  message.bus = control_bus_;
  publisher_->publish(std::move(message), pipeline::OutboundKind::output);
}

size_t NodeRuntime::stop(StopReason reason) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(settings_.drain_timeout_ms);
  hand_over_ = reason != StopReason::shutdown;  // before input closes
  if (journal_) {
    // The buses keep reading, since the acks of the outputs arrive on them too; one that
    // stopped for parked inputs reads again (those stay journaled for the next start).
    input_closed_ = true;
    input_gate_->refresh();
  } else {
    for (auto& [name, b] : buses_) b->pause_input();
  }
  const size_t left = runner_->drain(std::chrono::milliseconds(settings_.drain_timeout_ms));
  if (left > 0) spdlog::warn("drain_incomplete messages_left={}", left);
  if (journal_) {
    journal_->stop_waiting();
  } else {
    // A paused bus reads nothing, not even the ack `offline` waits for: read again, with
    // input closed. An input arriving in this last moment is handed over on a reload, else
    // not kept. Reading on also leaves nothing unread in the socket at the close, which
    // would make it a reset, and the broker answers a reset with the last will.
    input_closed_ = true;
    for (auto& [name, b] : buses_) b->resume_input();
  }
  // After a failed start there is no `online` to take back, and the buses may never have
  // connected: nothing to publish, and trying would only log failures beside its reason.
  if (online_) {
    publish_telemetry();
    // `offline`, or on a reload the `online` already retained: without a journal, its ack
    // (in order behind the outputs of the drained inputs) says the broker has those too.
    if (reason != StopReason::reload) {
      publish_status(false);
    } else if (!journal_) {
      publish_status(true);
    }
  }
  if (journal_ && !journal_->wait_until_flushed(deadline)) spdlog::warn("outbox_not_flushed outputs stay journaled");
  for (auto& [name, b] : buses_) b->stop();
  if (journal_) journal_->close();
  http_.reset();
  return left;
}

std::vector<bus::Message> NodeRuntime::take_handed_over() {
  std::lock_guard lock(handed_over_mutex_);
  return std::move(handed_over_);
}

std::string NodeRuntime::status_location(const pipeline::NodeSettings& settings) {
  if (settings.buses.empty()) return {};  // create() refuses such a config
  const pipeline::BusSettings& control = settings.buses.front();
  const std::string endpoint = control.mqtt ? control.mqtt->url : control.zmq->pub + control.zmq->push;
  return endpoint + " " + settings.topic_prefix + "/status";
}

void NodeRuntime::announce_offline(const pipeline::NodeSettings& settings) {
  // Only a broker keeps a status: a ZeroMQ subscriber connecting later sees nothing anyway.
  if (settings.buses.empty() || !settings.buses.front().mqtt) return;
  const pipeline::BusSettings& control = settings.buses.front();
  bus::MqttOptions options = mqtt_options(control, settings.topic_prefix + "/status", false);
  options.client_id += "-offline";
  options.persistent_session = false;
  auto created = bus::MqttBus::create(options);
  if (!created) return;
  std::map<std::string, std::unique_ptr<bus::Bus>> buses;
  buses[control.name] = std::move(created).value();
  bus::Bus& b = *buses.at(control.name);
  BusPublisher publisher(buses);
  b.on_ack([&publisher, name = control.name](uint64_t token) { publisher.acked(name, token); });
  if (!b.start() ||
      !publisher.publish_and_wait(status_message(settings, control.name, offline_status(settings)), kStatusAckTimeout))
    spdlog::warn("status_not_acknowledged status=offline");
  b.stop();
}

}  // namespace edgenode::node
