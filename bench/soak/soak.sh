#!/usr/bin/env bash
# Soak (not in CI): the node under a steady QoS 1 load through a pipeline with a tiny
# model, for SOAK_SECONDS (default 1200 = 20 min) at SOAK_RATE messages/s (default 500).
# Every 10 s it samples the node's RSS, open file descriptors and journal size (database
# plus WAL), then prints the table and a verdict:
#   RSS flat within 5 % after warm-up (first quarter), no fd growth, journal bounded.
#
#   bench/soak/soak.sh BUILD_DIR            needs the edgenode and edgenode-sensor-sim
#                                           targets built, mosquitto installed
# The model: /work/shared/fixtures/models/stories260K.gguf (or SOAK_MODEL=path).
set -euo pipefail

BUILD="$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)"
SECONDS_TOTAL="${SOAK_SECONDS:-1200}"
RATE="${SOAK_RATE:-500}"
INTERVAL=10
HERE="$(cd "$(dirname "$0")" && pwd)"
MODEL="${SOAK_MODEL:-$HERE/../../../shared/fixtures/models/stories260K.gguf}"
EDGENODE="$BUILD/node/edgenode"
SIM="$BUILD/examples/sensor-sim/edgenode-sensor-sim"
for f in "$EDGENODE" "$SIM" "$MODEL"; do
  [[ -e "$f" ]] || { echo "soak: $f is missing" >&2; exit 2; }
done

STATE="$(mktemp -d -t edgenode-soak.XXXXXX)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$STATE"
}
trap cleanup EXIT

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$PORT" > "$STATE/mosquitto.conf"
/usr/sbin/mosquitto -c "$STATE/mosquitto.conf" > "$STATE/mosquitto.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done

# Five machines at RATE/5 readings/s each; every reading runs through the model.
cat > "$STATE/node.yaml" <<YAML
node:
  id: soak
  journal: $STATE/journal.db
  bus: {mqtt: {url: "mqtt://127.0.0.1:$PORT", client_id: soak-node, session: persistent}}
  telemetry: {interval: 10s}
models:
  tiny: {path: "$MODEL", threads: 1}
pipelines:
  - name: soak
    input: {topics: ["soak/+/reading"], qos: 1, format: json}
    prompt: {user: "Machine {{ topic_levels[1] }} vibration {{ payload.vibration }}"}
    infer: {model: tiny, max_tokens: 1, temperature: 0}
    post: [{set: {field: machine, expr: "topic_levels[1]"}}]
    output: {topic: "soak/{{ topic_levels[1] }}/result", qos: 1}
    queue: {max: 1024, on_full: block}
YAML
"$EDGENODE" run "$STATE/node.yaml" > "$STATE/node.log" 2>&1 &
NODE=$!
PIDS+=("$NODE")
for _ in $(seq 100); do grep -qs node_started "$STATE/node.log" && break; sleep 0.1; done
grep -q node_started "$STATE/node.log" || { echo "soak: node did not start" >&2; cat "$STATE/node.log" >&2; exit 1; }

PER_MACHINE="$(python3 -c "print($RATE/5)")"
"$SIM" --url "mqtt://127.0.0.1:$PORT" --machines m1,m2,m3,m4,m5 --prefix soak --rate "$PER_MACHINE" \
  --qos 1 --duration "$SECONDS_TOTAL" > "$STATE/sim.log" 2>&1 &
PIDS+=($!)

printf '%8s %12s %6s %14s %10s\n' "t_s" "rss_kib" "fds" "journal_bytes" "cpu_s"
SAMPLES="$STATE/samples.tsv"
: > "$SAMPLES"
for ((t = INTERVAL; t <= SECONDS_TOTAL; t += INTERVAL)); do
  sleep "$INTERVAL"
  kill -0 "$NODE" 2>/dev/null || { echo "soak: the node exited" >&2; tail -20 "$STATE/node.log" >&2; exit 1; }
  rss="$(awk '/VmRSS/ {print $2}' "/proc/$NODE/status")"
  fds="$(ls "/proc/$NODE/fd" | wc -l)"
  journal="$(du -cb "$STATE"/journal.db* 2>/dev/null | tail -1 | cut -f1)"
  cpu="$(awk '{printf "%.1f", ($14 + $15) / 100}' "/proc/$NODE/stat")"
  printf '%8d %12d %6d %14d %10s\n' "$t" "$rss" "$fds" "$journal" "$cpu" | tee -a "$SAMPLES"
done

kill -TERM "$NODE"
wait "$NODE" || true

python3 - "$SAMPLES" <<'PY'
import sys
rows = [list(map(float, line.split())) for line in open(sys.argv[1]) if line.strip()]
if len(rows) < 4:
    print("verdict: too few samples"); sys.exit(1)
steady = rows[len(rows) // 4:]
rss = [r[1] for r in steady]; fds = [r[2] for r in steady]; journal = [r[3] for r in rows]
rss_spread = (max(rss) - min(rss)) / min(rss) * 100
fd_growth = fds[-1] - fds[0]
journal_tail = max(r[3] for r in rows[len(rows) // 2:])
ok_rss, ok_fd = rss_spread <= 5.0, fd_growth <= 0
ok_journal = journal_tail <= 2 * max(journal[: len(journal) // 2])
print(f"rss after warm-up: {min(rss):.0f}..{max(rss):.0f} KiB (spread {rss_spread:.1f} %) {'ok' if ok_rss else 'GROWS'}")
print(f"fds after warm-up: {fds[0]:.0f} -> {fds[-1]:.0f} {'ok' if ok_fd else 'GROWS'}")
print(f"journal: max {max(journal):.0f} bytes, second half max {journal_tail:.0f} {'ok (bounded)' if ok_journal else 'GROWS'}")
print("verdict:", "PASS" if ok_rss and ok_fd and ok_journal else "FAIL")
sys.exit(0 if ok_rss and ok_fd and ok_journal else 1)
PY
