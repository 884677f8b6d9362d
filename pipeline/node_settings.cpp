#include "pipeline/node_settings.h"

#include "pipeline/output_stage.h"

namespace edgenode::pipeline {

using nlohmann::json;

namespace {

const ObjectSpec& mqtt_spec() {
  static const ObjectSpec spec{
      .name = "mqtt",
      .doc = "An MQTT 5 broker connection (libmosquitto).",
      .fields =
          {
              {.name = "url", .type = FieldType::string,
               .doc = "mqtt://host:port or mqtts://host:port (TLS). No user:password@ here: use username and password.",
               .required = true},
              {.name = "client_id", .type = FieldType::string, .doc = "Client id; default: the node id."},
              {.name = "username", .type = FieldType::string, .doc = "User name for password authentication."},
              {.name = "password", .type = FieldType::string,
               .doc = "Password; better as password_file (the file's content, trailing newline removed) or "
                      "${ENV_VAR}. Never logged.",
               .secret = true},
              {.name = "ca_file", .type = FieldType::string,
               .doc = "CA certificate (PEM) to verify the broker; default: the system's CAs (/etc/ssl/certs)."},
              {.name = "cert_file", .type = FieldType::string, .doc = "Client certificate (PEM) for mutual TLS."},
              {.name = "key_file", .type = FieldType::string, .doc = "Client key (PEM) for mutual TLS."},
              {.name = "insecure", .type = FieldType::boolean,
               .doc = "Skip the broker certificate checks (its chain and its host name). For tests only; logged "
                      "as a warning.",
               .default_value = false},
              {.name = "session", .type = FieldType::string,
               .doc = "persistent: clean start off plus a session expiry, so the broker keeps QoS 1/2 "
                      "messages while the node is away; clean: a fresh session each connect.",
               .default_value = "clean", .enum_values = {"clean", "persistent"}},
              {.name = "session_expiry", .type = FieldType::duration,
               .doc = "How long the broker keeps a persistent session.", .default_value = 3600000},
              {.name = "keepalive", .type = FieldType::duration, .doc = "MQTT keepalive.", .default_value = 30000},
              {.name = "reconnect_min", .type = FieldType::duration,
               .doc = "First reconnect delay (jittered exponential backoff).", .default_value = 500},
              {.name = "reconnect_max", .type = FieldType::duration, .doc = "Longest reconnect delay.",
               .default_value = 30000},
          },
  };
  return spec;
}

const ObjectSpec& zmq_spec() {
  static const ObjectSpec spec{
      .name = "zmq",
      .doc = "ZeroMQ sockets. Messages are two frames: topic, payload.",
      .fields =
          {
              {.name = "sub", .type = FieldType::string, .doc = "Endpoint (tcp://, ipc://) a SUB socket reads from."},
              {.name = "pull", .type = FieldType::string, .doc = "Endpoint a PULL socket reads from."},
              {.name = "pub", .type = FieldType::string, .doc = "Endpoint a PUB socket publishes to."},
              {.name = "push", .type = FieldType::string, .doc = "Endpoint a PUSH socket sends to."},
              {.name = "bind", .type = FieldType::boolean,
               .doc = "Bind the endpoints instead of connecting to them.", .default_value = false},
          },
  };
  return spec;
}

const ObjectSpec& bus_spec() {
  static const ObjectSpec spec{
      .name = "bus",
      .doc = "A message bus: exactly one of mqtt or zmq.",
      .fields =
          {
              {.name = "mqtt", .type = FieldType::object, .doc = mqtt_spec().doc, .object = &mqtt_spec()},
              {.name = "zmq", .type = FieldType::object, .doc = zmq_spec().doc, .object = &zmq_spec()},
          },
      .exactly_one = true,
  };
  return spec;
}

const ObjectSpec& telemetry_spec() {
  static const ObjectSpec spec{
      .name = "telemetry",
      .doc = "Periodic counters published to <topic_prefix>/telemetry on the default bus.",
      .fields =
          {
              {.name = "interval", .type = FieldType::duration, .doc = "How often.", .default_value = 10000,
               .minimum = 100},
              {.name = "format", .type = FieldType::string, .doc = "Encoding.", .default_value = "json",
               .enum_values = {"json", "msgpack"}},
          },
  };
  return spec;
}

const ObjectSpec& http_spec() {
  static const ObjectSpec spec{
      .name = "http",
      .doc = "An HTTP endpoint with /metrics (Prometheus text), /healthz and /readyz.",
      .fields = {{.name = "listen", .type = FieldType::string, .doc = "host:port to listen on.", .required = true}},
  };
  return spec;
}

const ObjectSpec& outbox_spec() {
  static const ObjectSpec spec{
      .name = "outbox",
      .doc = "The journal's outbox: outputs wait here, in order, while their bus is away. Its disk quota.",
      .fields =
          {
              {.name = "max_messages", .type = FieldType::integer, .doc = "Most outputs kept.",
               .default_value = 100000, .minimum = 1},
              {.name = "max_bytes", .type = FieldType::size, .doc = "Most bytes (topics plus payloads) kept.",
               .default_value = 268435456, .minimum = 1},
              {.name = "on_full", .type = FieldType::string,
               .doc = "drop_oldest: the oldest output makes room (counted in telemetry as outbox.dropped); "
                      "block: input stops on the other buses until acks free room.",
               .default_value = "drop_oldest", .enum_values = {"drop_oldest", "block"}},
          },
  };
  return spec;
}

const ObjectSpec& archive_spec() {
  static const ObjectSpec spec{
      .name = "archive",
      .doc = "A local archive of raw input payloads, on this node's disk only (SQLite). Dead-letters carry "
             "only a payload's SHA-256; `edgenode archive` finds the payload here. Pipelines say what they "
             "keep with `archive:` (dead-letters by default).",
      .fields =
          {
              {.name = "path", .type = FieldType::string, .doc = "Path of the archive file.", .required = true},
              {.name = "max_bytes", .type = FieldType::size,
               .doc = "Most payload bytes kept; the oldest entries go first.", .default_value = 67108864,
               .minimum = 1},
              {.name = "max_age", .type = FieldType::duration, .doc = "Entries older than this are removed.",
               .default_value = 604800000, .minimum = 1},
          },
  };
  return spec;
}

const ObjectSpec& model_spec() {
  static const ObjectSpec spec{
      .name = "model",
      .doc = "A GGUF model loaded once at start and shared by the pipelines that name it.",
      .fields =
          {
              {.name = "path", .type = FieldType::string,
               .doc = "GGUF file; a relative path is relative to the working directory. `check` warns when "
                      "it is missing; `run` and `dry-run` refuse to start.",
               .required = true},
              {.name = "threads", .type = FieldType::integer, .doc = "Compute threads; 0: all cores.",
               .default_value = 0, .minimum = 0, .maximum = 256},
              {.name = "context", .type = FieldType::integer, .doc = "Context length; 0: the model's own.",
               .default_value = 0, .minimum = 0},
              {.name = "max_sequences", .type = FieldType::integer,
               .doc = "Generations this model serves at once, batched so that each step reads the weights once "
                      "for all of them; each keeps a KV cache of `context` positions. An infer pipeline without "
                      "a window runs up to this many messages of different topics at once (one topic's "
                      "messages still run one at a time, in order), so one pipeline over many machines fills "
                      "the batch; pipelines that share the model share it too. A request reuses the cached "
                      "prompt prefix (the system prompt) of a finished one.",
               .default_value = 1, .minimum = 1, .maximum = 64},
              {.name = "weights", .type = FieldType::string,
               .doc = "q8_0: int8 weights (other types requantized at load); f32: reference precision.",
               .default_value = "q8_0", .enum_values = {"q8_0", "f32"}},
          },
  };
  return spec;
}

MqttSettings mqtt_from(const json& v, const std::string& node_id) {
  MqttSettings m;
  m.url = v.value("url", std::string());
  m.client_id = v.value("client_id", node_id);
  m.username = v.value("username", std::string());
  m.password = v.value("password", std::string());
  m.ca_file = v.value("ca_file", std::string());
  m.cert_file = v.value("cert_file", std::string());
  m.key_file = v.value("key_file", std::string());
  m.insecure = v.value("insecure", false);
  m.persistent_session = v.value("session", std::string("clean")) == "persistent";
  m.session_expiry_ms = v.value("session_expiry", int64_t{3600000});
  m.keepalive_ms = v.value("keepalive", int64_t{30000});
  m.reconnect_min_ms = v.value("reconnect_min", int64_t{500});
  m.reconnect_max_ms = v.value("reconnect_max", int64_t{30000});
  return m;
}

BusSettings bus_from(const std::string& name, const json& v, const std::string& node_id) {
  BusSettings b;
  b.name = name;
  if (v.contains("mqtt")) b.mqtt = mqtt_from(v.at("mqtt"), node_id);
  if (v.contains("zmq")) {
    const json& z = v.at("zmq");
    b.zmq = ZmqSettings{z.value("sub", std::string()), z.value("pull", std::string()), z.value("pub", std::string()),
                        z.value("push", std::string()), z.value("bind", false)};
  }
  return b;
}

}  // namespace

const ObjectSpec& node_spec() {
  static const ObjectSpec spec{
      .name = "node",
      .doc = "The node itself: its name, its buses, telemetry and health endpoints.",
      .fields =
          {
              {.name = "id", .type = FieldType::string, .doc = "Unique name of this node.", .required = true},
              {.name = "topic_prefix", .type = FieldType::string,
               .doc = "Status, telemetry and dead-letter topics live under it; default: edgenode/<id>."},
              {.name = "journal", .type = FieldType::string,
               .doc = "Path of the durable inbox/outbox journal (SQLite WAL). QoS >= 1 inputs are recorded "
                      "before the broker gets their ack and replayed after a crash; outputs wait in its outbox "
                      "while their bus is away. Without it, outputs are published directly."},
              {.name = "outbox", .type = FieldType::object, .doc = outbox_spec().doc, .default_value = json::object(),
               .object = &outbox_spec()},
              {.name = "archive", .type = FieldType::object, .doc = archive_spec().doc,
               .object = &archive_spec(), .example = "archive: {path: /var/lib/edgenode/archive.db, max_age: 7d}"},
              {.name = "bus", .type = FieldType::object,
               .doc = "The default bus: inputs and outputs without `bus:` use it, and so do status, telemetry "
                      "and dead-letters.",
               .object = &bus_spec()},
              {.name = "buses", .type = FieldType::object_map, .doc = "More buses, by name.", .object = &bus_spec()},
              {.name = "telemetry", .type = FieldType::object, .doc = telemetry_spec().doc,
               .default_value = json::object(), .object = &telemetry_spec()},
              {.name = "http", .type = FieldType::object, .doc = http_spec().doc, .object = &http_spec()},
              {.name = "drain_timeout", .type = FieldType::duration,
               .doc = "On SIGINT/SIGTERM, how long queued messages may take to finish before exit.",
               .default_value = 5000},
          },
  };
  return spec;
}

const FieldSpec& models_field_spec() {
  static const FieldSpec spec{
      .name = "models",
      .type = FieldType::object_map,
      .doc = "Models by name; pipelines refer to them in infer.model.",
      .object = &model_spec(),
  };
  return spec;
}

NodeSettings node_settings_from(const json& node, const json& models) {
  NodeSettings s;
  s.id = node.value("id", std::string());
  s.topic_prefix = node.value("topic_prefix", "edgenode/" + s.id);
  s.journal = node.value("journal", std::string());
  const json outbox = node.value("outbox", json::object());
  s.outbox_max_messages = outbox.value("max_messages", uint64_t{100000});
  s.outbox_max_bytes = outbox.value("max_bytes", uint64_t{256} << 20);
  s.outbox_on_full = outbox.value("on_full", std::string("drop_oldest"));
  if (node.contains("archive")) {
    const json& archive = node.at("archive");
    s.archive_path = archive.value("path", std::string());
    s.archive_max_bytes = archive.value("max_bytes", uint64_t{64} << 20);
    s.archive_max_age_ms = archive.value("max_age", int64_t{604800000});
  }
  if (node.contains("bus")) s.buses.push_back(bus_from(kDefaultBusName, node.at("bus"), s.id));
  if (node.contains("buses")) {
    for (const auto& [name, value] : node.at("buses").items()) s.buses.push_back(bus_from(name, value, s.id));
  }
  const json telemetry = node.value("telemetry", json::object());
  s.telemetry_interval_ms = telemetry.value("interval", int64_t{10000});
  s.telemetry_format = telemetry.value("format", std::string("json"));
  if (node.contains("http")) s.http_listen = node.at("http").value("listen", std::string());
  s.drain_timeout_ms = node.value("drain_timeout", int64_t{5000});
  if (models.is_object()) {
    for (const auto& [name, value] : models.items()) {
      ModelSettings m;
      m.name = name;
      m.path = value.value("path", std::string());
      m.threads = value.value("threads", 0);
      m.context = value.value("context", 0);
      m.max_sequences = value.value("max_sequences", 1);
      m.weights = value.value("weights", std::string("q8_0"));
      s.models.push_back(std::move(m));
    }
  }
  return s;
}

}  // namespace edgenode::pipeline
