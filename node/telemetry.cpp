#include "node/telemetry.h"

namespace edgenode::node {

using nlohmann::json;

namespace {
double per_second(uint64_t tokens, double ms) { return ms > 0 ? static_cast<double>(tokens) * 1000.0 / ms : 0.0; }
double rounded(double v) { return static_cast<double>(static_cast<int64_t>(v * 100 + 0.5)) / 100; }
}  // namespace

Telemetry::Telemetry(std::string node_id, const pipeline::Runner& runner, const pipeline::ModelSet& models,
                     std::vector<const bus::Bus*> buses)
    : node_id_(std::move(node_id)), runner_(runner), models_(models), buses_(std::move(buses)),
      started_(std::chrono::steady_clock::now()), last_(started_), last_process_(sample_process()),
      last_latency_(runner.pipelines().size()) {}

json Telemetry::sample() {
  const auto now = std::chrono::steady_clock::now();
  const double interval_s = std::chrono::duration<double>(now - last_).count();
  const ProcessSample process = sample_process();
  json record{
      {"node", node_id_},
      {"time_ms", std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count()},
      {"uptime_s", rounded(std::chrono::duration<double>(now - started_).count())},
      {"process",
       {{"rss_bytes", process.rss_bytes},
        {"cpu_percent", rounded(interval_s > 0 ? 100.0 * (process.cpu_seconds - last_process_.cpu_seconds) / interval_s : 0.0)}}},
  };
  json buses = json::object();
  uint64_t reconnects = 0;
  for (const bus::Bus* b : buses_) {
    const bus::BusStats s = b->stats();
    buses[b->name()] = {{"connected", s.connected}, {"received", s.received}, {"published", s.published},
                        {"acked", s.acked},         {"reconnects", s.reconnects}};
    reconnects += s.reconnects;
  }
  record["buses"] = buses;
  record["reconnects"] = reconnects;

  json pipelines = json::object();
  const auto counters = runner_.counters();
  for (size_t i = 0; i < counters.size(); ++i) {
    const auto& c = counters[i];
    const auto interval = pipeline::LatencyHistogram::minus(c.latency, last_latency_[i]);
    last_latency_[i] = c.latency;
    pipelines[runner_.pipelines()[i]->name()] = {
        {"in", c.in},
        {"out", c.out},
        {"filtered", c.filtered},
        {"held", c.held},
        {"dropped", c.dropped},
        {"deadlettered", c.deadlettered},
        {"queue_depth", c.queue_depth},
        {"parked", c.parked},
        {"parked_depth", c.parked_depth},
        {"latency_ms",
         {{"p50", rounded(pipeline::LatencyHistogram::percentile(interval, 50))},
          {"p95", rounded(pipeline::LatencyHistogram::percentile(interval, 95))},
          {"p99", rounded(pipeline::LatencyHistogram::percentile(interval, 99))}}},
        {"tokens_in", c.tokens_in},
        {"tokens_out", c.tokens_out},
        {"tokens_per_s", rounded(per_second(c.tokens_out, c.generate_ms))},
    };
  }
  record["pipelines"] = pipelines;

  json models = json::object();
  for (const auto& [name, worker] : models_) {
    const auto s = worker->stats();
    models[name] = {{"load_ms", rounded(s.load_ms)}, {"bytes", s.file_bytes},         {"requests", s.requests},
                    {"tokens_in", s.tokens_in},      {"tokens_out", s.tokens_out},
                    {"tokens_per_s", rounded(per_second(s.tokens_out, s.generate_ms))},
                    {"max_sequences", worker->sequences()},
                    {"max_batch", s.max_batch},
                    {"batched_requests", s.batched_requests}};
  }
  record["models"] = models;
  last_ = now;
  last_process_ = process;
  return record;
}

}  // namespace edgenode::node
