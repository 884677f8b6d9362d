// Maps an incoming message to the pipelines it feeds: those whose input names the bus
// it came from and has a topic filter matching its topic. A message may feed several.
#pragma once

#include <vector>

#include "bus/message.h"
#include "pipeline/pipeline.h"

namespace edgenode::pipeline {

class Router {
 public:
  // `any_bus`: ignore the bus name (dry runs, where messages come from a file).
  Router(const std::vector<const Pipeline*>& pipelines, bool any_bus);
  // Indices (into the constructor's list) of the pipelines `message` feeds, in order.
  void route(const bus::Message& message, std::vector<size_t>& out) const;

 private:
  struct Route {
    size_t pipeline;
    std::string bus;
    std::vector<std::string> filters;
  };
  std::vector<Route> routes_;
  bool any_bus_;
};

}  // namespace edgenode::pipeline
