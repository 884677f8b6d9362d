#include "pipeline/router.h"

namespace edgenode::pipeline {

Router::Router(const std::vector<const Pipeline*>& pipelines, bool any_bus) : any_bus_(any_bus) {
  for (size_t i = 0; i < pipelines.size(); ++i) {
    Route r{i, pipelines[i]->settings().bus, {}};
    for (const auto& f : pipelines[i]->settings().filters) r.filters.push_back(f.filter);
    routes_.push_back(std::move(r));
  }
}

void Router::route(const bus::Message& message, std::vector<size_t>& out) const {
  out.clear();
  for (const auto& r : routes_) {
    if (!any_bus_ && r.bus != message.bus) continue;
    for (const auto& filter : r.filters) {
      if (bus::topic_matches(filter, message.topic)) {
        out.push_back(r.pipeline);
        break;
      }
    }
  }
}

}  // namespace edgenode::pipeline
