#include "node/input_gate.h"

#include <spdlog/spdlog.h>

namespace edgenode::node {

InputGate::InputGate(std::vector<bus::Bus*> buses, ShouldPause should_pause)
    : buses_(std::move(buses)), should_pause_(std::move(should_pause)), paused_(buses_.size(), false) {}

void InputGate::refresh() {
  requested_ = true;
  // Whoever holds apply_mutex_ checks requested_ again after letting go, so a request
  // made while it applies is never lost.
  while (requested_) {
    std::unique_lock lock(apply_mutex_, std::try_to_lock);
    if (!lock.owns_lock()) return;
    requested_ = false;
    for (size_t i = 0; i < buses_.size(); ++i) {
      const bool pause = should_pause_(buses_[i]->name());
      if (pause == paused_[i]) continue;
      paused_[i] = pause;
      spdlog::debug("bus_input bus={} paused={}", buses_[i]->name(), pause);
      if (pause) buses_[i]->pause_input();
      else buses_[i]->resume_input();
    }
  }
}

}  // namespace edgenode::node
