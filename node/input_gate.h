// Pauses and resumes the buses' input for the node's reasons (a pipeline with parked
// inputs, a full outbox), from whichever thread a reason changes on.
//
// The reasons live elsewhere (the runner's parked inputs, the journal's outbox); the gate
// asks `should_pause(bus)` for the truth each time it is told something changed, so calls
// that race each other cannot leave a bus in a stale state. refresh() never waits for
// another caller: when one is applying already, that one applies again afterwards. This
// matters because refresh() runs on a bus's network thread (from its message handler),
// and a pause from another thread waits for that network thread.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "bus/bus.h"

namespace edgenode::node {

class InputGate {
 public:
  using ShouldPause = std::function<bool(const std::string& bus)>;
  InputGate(std::vector<bus::Bus*> buses, ShouldPause should_pause);

  // A reason may have changed: pause or resume every bus to match should_pause.
  void refresh();

 private:
  std::vector<bus::Bus*> buses_;
  ShouldPause should_pause_;
  std::atomic<bool> requested_{false};
  std::mutex apply_mutex_;
  std::vector<bool> paused_;  // as last applied, under apply_mutex_
};

}  // namespace edgenode::node
