#include "node/metrics_text.h"

#include <sstream>

namespace edgenode::node {

namespace {

// Appends one metric family: its HELP and TYPE lines, then one sample per label value.
class Family {
 public:
  Family(std::ostringstream& out, const std::string& name, const std::string& type, const std::string& help)
      : out_(out), name_(name) {
    out_ << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
  }
  void sample(const std::string& label, const std::string& value, double v) {
    out_ << name_ << '{' << label << "=\"" << value << "\"} " << v << '\n';
  }
  void sample(double v) { out_ << name_ << ' ' << v << '\n'; }

 private:
  std::ostringstream& out_;
  std::string name_;
};

}  // namespace

std::string prometheus_text(const pipeline::Runner& runner, const std::vector<const bus::Bus*>& buses,
                            const pipeline::ModelSet& models, const bus::RawArchive* archive) {
  std::ostringstream out;
  // The stream's default 6 digits would print a count of 64000123 bytes as 6.40001e+07.
  out.precision(15);
  const auto counters = runner.counters();
  const auto& pipelines = runner.pipelines();
  struct Counter {
    const char* name;
    const char* help;
    uint64_t pipeline::PipelineCounters::*field;
  };
  const Counter kCounters[] = {
      {"edgenode_pipeline_in_total", "Messages routed to the pipeline.", &pipeline::PipelineCounters::in},
      {"edgenode_pipeline_out_total", "Messages that produced a result.", &pipeline::PipelineCounters::out},
      {"edgenode_pipeline_filtered_total", "Messages the when stage filtered.", &pipeline::PipelineCounters::filtered},
      {"edgenode_pipeline_dropped_total", "Messages dropped by the queue policy.", &pipeline::PipelineCounters::dropped},
      {"edgenode_pipeline_deadlettered_total", "Messages dead-lettered.", &pipeline::PipelineCounters::deadlettered},
      {"edgenode_pipeline_parked_total", "Journaled inputs parked on a full queue.", &pipeline::PipelineCounters::parked},
      {"edgenode_pipeline_tokens_out_total", "Tokens generated.", &pipeline::PipelineCounters::tokens_out},
  };
  for (const auto& c : kCounters) {
    Family f(out, c.name, "counter", c.help);
    for (size_t i = 0; i < counters.size(); ++i) {
      f.sample("pipeline", pipelines[i]->name(), static_cast<double>(counters[i].*(c.field)));
    }
  }
  {
    Family f(out, "edgenode_pipeline_queue_depth", "gauge", "Messages waiting in the pipeline's queue.");
    for (size_t i = 0; i < counters.size(); ++i) {
      f.sample("pipeline", pipelines[i]->name(), static_cast<double>(counters[i].queue_depth));
    }
  }
  {
    Family f(out, "edgenode_pipeline_latency_p99_ms", "gauge", "99th percentile latency since start, ms.");
    for (size_t i = 0; i < counters.size(); ++i) {
      f.sample("pipeline", pipelines[i]->name(), pipeline::LatencyHistogram::percentile(counters[i].latency, 99));
    }
  }
  {
    Family connected(out, "edgenode_bus_connected", "gauge", "1 when the bus is connected.");
    for (const bus::Bus* b : buses) connected.sample("bus", b->name(), b->stats().connected ? 1 : 0);
    Family reconnects(out, "edgenode_bus_reconnects_total", "counter", "Reconnections of the bus.");
    for (const bus::Bus* b : buses) reconnects.sample("bus", b->name(), static_cast<double>(b->stats().reconnects));
  }
  {
    Family f(out, "edgenode_model_load_ms", "gauge", "Time the model took to load, ms.");
    for (const auto& [name, worker] : models) f.sample("model", name, worker->stats().load_ms);
  }
  {
    // A high-water mark can only grow, but it is a level, not a count of events: a gauge.
    Family f(out, "edgenode_model_max_batch", "gauge", "Most requests the model has generated at once.");
    for (const auto& [name, worker] : models) f.sample("model", name, static_cast<double>(worker->stats().max_batch));
  }
  {
    Family f(out, "edgenode_model_batched_requests_total", "counter",
             "Requests that joined while another was being generated, sharing its decode steps.");
    for (const auto& [name, worker] : models) {
      f.sample("model", name, static_cast<double>(worker->stats().batched_requests));
    }
  }
  if (archive) {
    const bus::RawArchiveStats a = archive->stats();
    const struct {
      const char* name;
      const char* type;
      const char* help;
      uint64_t value;
    } kArchive[] = {
        {"edgenode_archive_entries", "gauge", "Payloads the raw archive holds.", a.entries},
        {"edgenode_archive_bytes", "gauge", "Bytes of payload the raw archive holds.", a.bytes},
        {"edgenode_archive_kept_total", "counter", "Payloads written to the raw archive.", a.kept},
        {"edgenode_archive_pruned_total", "counter", "Payloads the archive's retention removed.", a.pruned},
        {"edgenode_archive_dropped_total", "counter", "Payloads not archived: its queue was full or a write failed.",
         a.dropped},
    };
    for (const auto& m : kArchive) Family(out, m.name, m.type, m.help).sample(static_cast<double>(m.value));
  }
  return out.str();
}

}  // namespace edgenode::node
