// One simulated machine: slowly drifting healthy readings, and now and then an injected
// fault that drives one quantity deep into the range the triage rules call "alarm"
// (see tools/train-triage/README.md).
#pragma once

#include <random>
#include <string>
#include <vector>

namespace edgenode::examples {

struct Reading {
  std::string machine;
  long seq = 0;
  double vibration = 0;    // RMS, mm/s
  double temperature = 0;  // deg C
  double current = 0;      // motor current, A
  double pressure = 0;     // bar
  std::string trend;       // vibration over the last readings: rising | steady | falling
  std::string injected_fault;  // "" when healthy; the simulator's ground truth, not a sensor value
};

struct FaultSettings {
  double probability = 0.02;  // chance per reading that a fault starts
  int duration_readings = 5;  // how many consecutive readings a fault lasts
};

class MachineSimulator {
 public:
  MachineSimulator(std::string name, FaultSettings faults, std::mt19937_64& rng);
  Reading next(std::mt19937_64& rng);

 private:
  std::string trend_of(double vibration) const;

  std::string name_;
  FaultSettings faults_;
  long seq_ = 0;
  // Healthy operating point of this machine.
  double base_vibration_, base_temperature_, base_current_, base_pressure_;
  double drift_ = 0;  // slow wander of the vibration, mm/s
  std::vector<double> recent_vibration_;
  std::string fault_;
  int fault_left_ = 0;
};

}  // namespace edgenode::examples
