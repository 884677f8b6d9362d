#!/usr/bin/env bash
# The edgenode demo: a broker, the node running configs/demo.yaml with the project's own
# triage model, the sensor simulator, and a live table of the verdicts.
#
#   scripts/demo.sh BUILD_DIR          (make demo calls it after building)
#
# Environment:
#   MQTT_URL=mqtt://host:port  use this broker instead of starting mosquitto on a free loopback port
#   DEMO_SECONDS=N             headless: print one line per result for N seconds, then stop
#   DEMO_MACHINES=a,b,c        machines to simulate (default press-01,pump-02,fan-03,mill-04)
#   DEMO_RATE=HZ               readings per second per machine (default 1)
#   DEMO_FAULT_PROBABILITY=P   chance per reading that a fault starts (default 0.03)
#   DEMO_STATE_DIR=DIR         where logs, the journal and pids.txt go (default: a new temp dir)
#
# Ctrl-C or SIGTERM stops everything this script started; nothing is left running.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$(cd "$1" 2>/dev/null && pwd)" || { echo "demo: build directory '$1' not found" >&2; exit 2; }
EDGENODE="$BUILD/node/edgenode"
SIM="$BUILD/examples/sensor-sim/edgenode-sensor-sim"
VIEW="$BUILD/examples/sensor-sim/edgenode-demo-view"
MODEL="$ROOT/models/triage-q8_0.gguf"
for bin in "$EDGENODE" "$SIM" "$VIEW"; do
  [[ -x "$bin" ]] || { echo "demo: $bin is missing; build first (make build)" >&2; exit 2; }
done
[[ -f "$MODEL" ]] || { echo "demo: model $MODEL is missing" >&2; exit 2; }

MACHINES="${DEMO_MACHINES:-press-01,pump-02,fan-03,mill-04}"
RATE="${DEMO_RATE:-1}"
FAULT_PROBABILITY="${DEMO_FAULT_PROBABILITY:-0.03}"
HEADLESS="${DEMO_SECONDS:-}"
if [[ -n "$HEADLESS" && ! "$HEADLESS" =~ ^[0-9]+$ ]]; then
  echo "demo: DEMO_SECONDS must be a whole number of seconds, got '$HEADLESS'" >&2
  exit 2
fi
export DEMO_STATE_DIR="${DEMO_STATE_DIR:-$(mktemp -d -t edgenode-demo.XXXXXX)}"
mkdir -p "$DEMO_STATE_DIR"
: > "$DEMO_STATE_DIR/pids.txt"

PIDS=()  # started processes, in start order
start() {  # start NAME LOGFILE|- CMD...: runs CMD in the background (- keeps our stdout), remembers its pid
  local name="$1" log="$2"
  shift 2
  # Should this script itself be killed outright, the kernel still stops its children.
  if [[ "$log" == "-" ]]; then
    setpriv --pdeathsig TERM "$@" &
  else
    setpriv --pdeathsig TERM "$@" >"$log" 2>&1 &
  fi
  PIDS+=("$!")
  echo "$! $name" >> "$DEMO_STATE_DIR/pids.txt"
}

stopping=0
cleanup() {
  local status=$?
  [[ $stopping -eq 1 ]] && return
  stopping=1
  trap "" INT TERM HUP
  # Newest first: the view and simulator, then the node (it drains), then the broker.
  local i pid waited
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    pid="${PIDS[$i]}"
    kill -TERM "$pid" 2>/dev/null || continue
    waited=0
    while kill -0 "$pid" 2>/dev/null && ((waited < 100)); do sleep 0.1; waited=$((waited + 1)); done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  [[ -z "$HEADLESS" ]] && printf '\ndemo stopped; logs in %s\n' "$DEMO_STATE_DIR" >&2
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP  # the terminal went away

free_port() {  # a loopback port nothing listens on
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return 0; }
  done
  echo "demo: no free loopback port found" >&2
  return 1
}

wait_for_port() {  # wait_for_port HOST PORT SECONDS
  local deadline=$((SECONDS + $3))
  until (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

if [[ -z "${MQTT_URL:-}" ]]; then
  port="$(free_port)"
  cat > "$DEMO_STATE_DIR/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
persistence false
# Keep our own user: a privilege drop would clear the parent-death signal set by start().
user $(id -un)
CONF
  start mosquitto "$DEMO_STATE_DIR/mosquitto.log" /usr/sbin/mosquitto -c "$DEMO_STATE_DIR/mosquitto.conf"
  wait_for_port 127.0.0.1 "$port" 10 || { echo "demo: mosquitto did not start, see $DEMO_STATE_DIR/mosquitto.log" >&2; exit 1; }
  export MQTT_URL="mqtt://127.0.0.1:$port"
fi

cd "$ROOT"  # the config names the model relative to the repository root
start edgenode "$DEMO_STATE_DIR/edgenode.log" "$EDGENODE" run configs/demo.yaml
# The node announces itself with a retained {"status":"online",...} once it is subscribed.
broker="${MQTT_URL#mqtt://}"
broker_host="${broker%%:*}"
broker_port="${broker##*:}"
[[ "$broker_port" == "$broker" ]] && broker_port=1883
online=0
for _ in $(seq 1 60); do
  kill -0 "${PIDS[-1]}" 2>/dev/null || { echo "demo: edgenode exited, see $DEMO_STATE_DIR/edgenode.log:" >&2; tail -5 "$DEMO_STATE_DIR/edgenode.log" >&2; exit 1; }
  if mosquitto_sub -h "$broker_host" -p "$broker_port" -t edgenode/demo/status -C 1 -W 1 2>/dev/null | grep -q '"online"'; then
    online=1
    break
  fi
done
((online)) || { echo "demo: edgenode did not come online within 60 s, see $DEMO_STATE_DIR/edgenode.log" >&2; exit 1; }

# The view subscribes before the first reading is published.
if [[ -n "$HEADLESS" ]]; then
  start demo-view - "$VIEW" --url "$MQTT_URL" --plain
else
  echo "broker $MQTT_URL, logs in $DEMO_STATE_DIR; Ctrl-C stops the demo" >&2
  sleep 1
  start demo-view - "$VIEW" --url "$MQTT_URL"  # the live table, until Ctrl-C
fi
view_pid="${PIDS[-1]}"
sleep 0.5
start sensor-sim "$DEMO_STATE_DIR/sensor-sim.log" "$SIM" --url "$MQTT_URL" --machines "$MACHINES" --rate "$RATE" \
  --fault-probability "$FAULT_PROBABILITY"

# Waiting on a background child (rather than running it in the foreground) lets the INT/TERM
# traps run at once.
if [[ -n "$HEADLESS" ]]; then
  start timer /dev/null sleep "$HEADLESS"
  wait "${PIDS[-1]}"
else
  wait "$view_pid" || true
fi
