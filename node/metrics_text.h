// The node's counters in the Prometheus text exposition format, for GET /metrics.
#pragma once

#include <string>
#include <vector>

#include "bus/bus.h"
#include "pipeline/build_context.h"
#include "pipeline/runner.h"

namespace edgenode::node {

std::string prometheus_text(const pipeline::Runner& runner, const std::vector<const bus::Bus*>& buses,
                            const pipeline::ModelSet& models);

}  // namespace edgenode::node
