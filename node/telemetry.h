// The telemetry record published every interval to <topic_prefix>/telemetry:
//   {node, time_ms, uptime_s,
//    process: {rss_bytes, cpu_percent},
//    buses: {<name>: {connected, received, published, acked, reconnects}}, reconnects,
//    pipelines: {<name>: {in, out, filtered, held, dropped, deadlettered, parked, queue_depth, parked_depth,
//                         latency_ms: {p50, p95, p99}, tokens_in, tokens_out, tokens_per_s}},
//    models: {<name>: {load_ms, bytes, requests, tokens_in, tokens_out, tokens_per_s,
//                      max_sequences, max_batch, batched_requests}}}
// (max_batch: most requests the model generated at once; batched_requests: requests that
// joined a generation already under way, so shared its passes over the weights.)
// Counters are totals since start; latency percentiles and cpu_percent cover the last
// interval.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bus/bus.h"
#include "node/process_stats.h"
#include "pipeline/build_context.h"
#include "pipeline/runner.h"

namespace edgenode::node {

class Telemetry {
 public:
  Telemetry(std::string node_id, const pipeline::Runner& runner, const pipeline::ModelSet& models,
            std::vector<const bus::Bus*> buses);
  // The record for now; the next call reports the interval since this one.
  nlohmann::json sample();

 private:
  std::string node_id_;
  const pipeline::Runner& runner_;
  const pipeline::ModelSet& models_;
  std::vector<const bus::Bus*> buses_;
  std::chrono::steady_clock::time_point started_, last_;
  ProcessSample last_process_;
  std::vector<pipeline::LatencyHistogram::Counts> last_latency_;
};

}  // namespace edgenode::node
