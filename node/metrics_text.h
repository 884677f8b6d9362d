// The node's counters in the Prometheus text exposition format, for GET /metrics.
#pragma once

#include <string>
#include <vector>

#include "bus/bus.h"
#include "bus/raw_archive.h"
#include "pipeline/build_context.h"
#include "pipeline/runner.h"

namespace edgenode::node {

// `archive` is null when the node keeps no raw archive; its families are then left out.
std::string prometheus_text(const pipeline::Runner& runner, const std::vector<const bus::Bus*>& buses,
                            const pipeline::ModelSet& models, const bus::RawArchive* archive);

}  // namespace edgenode::node
