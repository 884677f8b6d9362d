#include "examples/sensor-sim/machine_simulator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

namespace edgenode::examples {
namespace {

double uniform(std::mt19937_64& rng, double low, double high) {
  return std::uniform_real_distribution<double>(low, high)(rng);
}

double one_decimal(double v) { return std::round(v * 10.0) / 10.0; }

// Fault kinds and the alarm-range values they produce, well clear of the rule thresholds.
constexpr std::array<const char*, 4> kFaults = {"overheating", "vibration critical", "overcurrent",
                                                "pressure critically low"};

constexpr size_t kTrendWindow = 5;
constexpr double kTrendDelta = 0.4;  // mm/s above/below the recent mean that counts as a trend

}  // namespace

MachineSimulator::MachineSimulator(std::string name, FaultSettings faults, std::mt19937_64& rng)
    : name_(std::move(name)),
      faults_(faults),
      base_vibration_(uniform(rng, 1.0, 2.6)),
      base_temperature_(uniform(rng, 42.0, 58.0)),
      base_current_(uniform(rng, 7.0, 13.0)),
      base_pressure_(uniform(rng, 4.8, 5.8)) {}

std::string MachineSimulator::trend_of(double vibration) const {
  if (recent_vibration_.size() < kTrendWindow) return "steady";
  double mean = std::accumulate(recent_vibration_.begin(), recent_vibration_.end(), 0.0) /
                static_cast<double>(recent_vibration_.size());
  if (vibration > mean + kTrendDelta) return "rising";
  if (vibration < mean - kTrendDelta) return "falling";
  return "steady";
}

Reading MachineSimulator::next(std::mt19937_64& rng) {
  if (fault_left_ == 0 && uniform(rng, 0.0, 1.0) < faults_.probability) {
    fault_ = kFaults[std::uniform_int_distribution<size_t>(0, kFaults.size() - 1)(rng)];
    fault_left_ = std::max(1, faults_.duration_readings);
  }
  drift_ = std::clamp(drift_ + uniform(rng, -0.1, 0.1), -0.6, 0.6);

  Reading r;
  r.machine = name_;
  r.seq = ++seq_;
  r.vibration = std::max(0.1, base_vibration_ + drift_ + uniform(rng, -0.25, 0.25));
  r.temperature = base_temperature_ + uniform(rng, -1.5, 1.5);
  r.current = base_current_ + uniform(rng, -0.6, 0.6);
  r.pressure = base_pressure_ + uniform(rng, -0.15, 0.15);
  if (fault_left_ > 0) {
    r.injected_fault = fault_;
    if (fault_ == "overheating") r.temperature = uniform(rng, 90.0, 104.0);
    if (fault_ == "vibration critical") r.vibration = uniform(rng, 8.5, 13.0);
    if (fault_ == "overcurrent") r.current = uniform(rng, 25.0, 31.0);
    if (fault_ == "pressure critically low") r.pressure = uniform(rng, 1.2, 2.4);
    if (--fault_left_ == 0) fault_.clear();
  }
  r.vibration = one_decimal(r.vibration);
  r.temperature = one_decimal(r.temperature);
  r.current = one_decimal(r.current);
  r.pressure = one_decimal(r.pressure);
  r.trend = trend_of(r.vibration);
  recent_vibration_.push_back(r.vibration);
  if (recent_vibration_.size() > kTrendWindow) recent_vibration_.erase(recent_vibration_.begin());
  return r;
}

}  // namespace edgenode::examples
