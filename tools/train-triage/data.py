"""Synthetic machine readings and the teacher rules that triage them.

A reading is what examples/sensor-sim publishes: vibration RMS (mm/s), temperature (deg C),
motor current (A), pressure (bar) and the recent trend of the vibration. The teacher maps a
reading to {"status": "ok"|"watch"|"alarm", "reason": "<short phrase>"}; the rules are
documented in README.md and must stay in step with it.

Run `python3 data.py --out DIR` to write train.jsonl and heldout.jsonl.
"""

import argparse
import json
import random
from pathlib import Path

TRAIN_SEED = 1
HELDOUT_SEED = 2
HELDOUT_SIZE = 1000

MACHINE_KINDS = ["press", "pump", "fan", "mill", "lathe", "conveyor", "mixer", "compressor"]
TRENDS = ["rising", "steady", "falling"]

LEVEL_NAMES = ["ok", "watch", "alarm"]

# Per quantity: the value at which "watch" starts and the value at which "alarm" starts.
VIBRATION_WATCH, VIBRATION_ALARM = 4.5, 7.1      # mm/s, ISO 10816-3 style zones
TEMPERATURE_WATCH, TEMPERATURE_ALARM = 70.0, 85.0  # deg C
CURRENT_WATCH, CURRENT_ALARM = 18.0, 22.0          # A
PRESSURE_LOW_ALARM, PRESSURE_LOW_WATCH = 3.0, 4.0  # bar: below 3.0 alarm, below 4.0 watch
PRESSURE_HIGH_WATCH, PRESSURE_HIGH_ALARM = 6.6, 7.5  # bar: from 6.6 watch, from 7.5 alarm
RISING_VIBRATION_WATCH = 3.5  # rising vibration at or above this is worth watching


def _upper_level(value, watch, alarm):
    if value >= alarm:
        return 2
    return 1 if value >= watch else 0


def teacher(reading):
    """The rules: each quantity gets a level; the worst level wins and names the reason.

    Ties go to the first quantity in the order vibration, temperature, current, pressure.
    A rising vibration trend from 3.5 mm/s turns an otherwise ok reading into "watch".
    """
    findings = []  # (level, reason) in priority order
    vib = reading["vibration"]
    findings.append((_upper_level(vib, VIBRATION_WATCH, VIBRATION_ALARM),
                     {1: "vibration elevated", 2: "vibration critical"}))
    findings.append((_upper_level(reading["temperature"], TEMPERATURE_WATCH, TEMPERATURE_ALARM),
                     {1: "temperature elevated", 2: "overheating"}))
    findings.append((_upper_level(reading["current"], CURRENT_WATCH, CURRENT_ALARM),
                     {1: "current elevated", 2: "overcurrent"}))
    p = reading["pressure"]
    if p < PRESSURE_LOW_WATCH:
        findings.append((2 if p < PRESSURE_LOW_ALARM else 1,
                         {1: "pressure low", 2: "pressure critically low"}))
    else:
        findings.append((_upper_level(p, PRESSURE_HIGH_WATCH, PRESSURE_HIGH_ALARM),
                         {1: "pressure high", 2: "pressure critically high"}))

    worst = max(level for level, _ in findings)
    if worst == 0:
        if reading["trend"] == "rising" and vib >= RISING_VIBRATION_WATCH:
            return {"status": "watch", "reason": "vibration rising"}
        return {"status": "ok", "reason": "normal operation"}
    for level, reasons in findings:
        if level == worst:
            return {"status": LEVEL_NAMES[worst], "reason": reasons[worst]}
    raise AssertionError("unreachable: a finding has the worst level")


# Value ranges (low, high) per zone; values carry one decimal like the simulator's.
ZONES = {
    "vibration": {"ok": [(0.5, 4.4)], "watch": [(4.5, 7.0)], "alarm": [(7.1, 15.0)]},
    "temperature": {"ok": [(30.0, 69.9)], "watch": [(70.0, 84.9)], "alarm": [(85.0, 110.0)]},
    "current": {"ok": [(4.0, 17.9)], "watch": [(18.0, 21.9)], "alarm": [(22.0, 35.0)]},
    "pressure": {"ok": [(4.0, 6.5)], "watch": [(3.0, 3.9), (6.6, 7.4)],
                 "alarm": [(0.5, 2.9), (7.5, 10.0)]},
}
BOUNDARIES = {
    "vibration": [VIBRATION_WATCH, VIBRATION_ALARM, RISING_VIBRATION_WATCH],
    "temperature": [TEMPERATURE_WATCH, TEMPERATURE_ALARM],
    "current": [CURRENT_WATCH, CURRENT_ALARM],
    "pressure": [PRESSURE_LOW_ALARM, PRESSURE_LOW_WATCH, PRESSURE_HIGH_WATCH, PRESSURE_HIGH_ALARM],
}
QUANTITIES = list(ZONES)


def _sample_value(rng, quantity):
    r = rng.random()
    if r < 0.15:
        # Near a boundary, where the rules are hardest to learn.
        value = rng.choice(BOUNDARIES[quantity]) + rng.uniform(-0.6, 0.6)
    else:
        zone = "ok" if r < 0.80 else ("watch" if r < 0.92 else "alarm")
        low, high = rng.choice(ZONES[quantity][zone])
        value = rng.uniform(low, high)
    return round(max(value, 0.0), 1)


def sample_reading(rng):
    reading = {"machine": f"{rng.choice(MACHINE_KINDS)}-{rng.randint(1, 12):02d}"}
    for quantity in QUANTITIES:
        reading[quantity] = _sample_value(rng, quantity)
    reading["trend"] = rng.choice(TRENDS)
    return reading


def make_set(seed, size):
    rng = random.Random(seed)
    rows = []
    for _ in range(size):
        reading = sample_reading(rng)
        rows.append({"reading": reading, "verdict": teacher(reading)})
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--train-size", type=int, default=200_000)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, seed, size in (("train", TRAIN_SEED, args.train_size),
                             ("heldout", HELDOUT_SEED, HELDOUT_SIZE)):
        with open(args.out / f"{name}.jsonl", "w") as f:
            for row in make_set(seed, size):
                f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
