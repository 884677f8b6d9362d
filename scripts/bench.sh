#!/usr/bin/env bash
# Runs every benchmark of the project and prints its table:
#   scripts/bench.sh BUILD_DIR        (make bench builds first, then calls this)
#
# The figures are only meaningful on an otherwise idle machine: every benchmark here
# measures throughput or latency, and other load on the cores shows up directly.
#
# Each part is bounded (the whole run takes about 10 minutes at most); a part whose
# binary was not built is reported and skipped. The passthrough part installs Node-RED
# from npm (bench/bus/node-red/package-lock.json) on its first run. Environment:
#   LLAMA_CPP_BUILD   a llama.cpp build outside the repository (default /tmp/llama.cpp-build);
#                     when it has llama-bench and llama-tokenize, bench_model and
#                     bench_tokenize print the ratio to llama.cpp. Its tools are looked for
#                     in bin/ (a CMake build) first, then at its top level (a plain `make`).
#   PASSTHROUGH_MESSAGES, PASSTHROUGH_SECONDS, PASSTHROUGH_ROUNDS   bound of each
#                     passthrough round (default 100000 readings or 20 s) and rounds per
#                     flow and QoS (default 3).
set -u

build=${1:?usage: scripts/bench.sh BUILD_DIR}
build=$(cd "$build" && pwd) || exit 2
llama_build=${LLAMA_CPP_BUILD:-/tmp/llama.cpp-build}
failed=0

section() { printf '\n== %s\n' "$1"; }

# llama_tool NAME: the path of llama.cpp's tool NAME, from bin/ (a CMake build) or the top
# level (a plain `make` build); nothing, and a note naming both places, when neither has it.
llama_tool() {
  local dir
  for dir in "$llama_build/bin" "$llama_build"; do
    if [[ -x $dir/$1 ]]; then
      echo "$dir/$1"
      return 0
    fi
  done
  echo "llama.cpp: no $1 in $llama_build/bin/ or $llama_build/ (set LLAMA_CPP_BUILD); its comparison is left out" >&2
  return 1
}

# run NAME BINARY ARGS...: runs one benchmark, notes a failure and goes on.
run() {
  local name=$1 binary=$2
  shift 2
  section "$name"
  if [[ ! -x $binary ]]; then
    echo "skipped: $binary was not built"
    return
  fi
  "$binary" "$@"
  local status=$?
  if ((status != 0)); then
    echo "$name failed (exit $status)"
    failed=1
  fi
}

echo "edgenode benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
echo "Results are only meaningful on an idle machine; load now: $(cut -d' ' -f1-3 /proc/loadavg)"

# bench_model reads the llama-bench path from LLAMA_BENCH; a path that does not exist leaves
# its comparison out.
if LLAMA_BENCH=$(llama_tool llama-bench); then
  echo "llama.cpp: $LLAMA_BENCH"
else
  LLAMA_BENCH=$llama_build/bin/llama-bench
fi
export LLAMA_BENCH
if llama_tokenize=$(llama_tool llama-tokenize); then
  echo "llama.cpp: $llama_tokenize"
fi

run "kernels (Google Benchmark, short)" "$build/bench/kernels/bench_kernels" --benchmark_min_time=0.05

run "model: SmolLM2-135M-shaped Q8_0, 1 and 2 threads" "$build/bench/engine/bench_model" --threads 1,2 -r 3
run "model: several generations served at once (same file, 2 threads)" "$build/bench/engine/bench_serve" \
  "$build/bench-models/smollm2-135m-shaped-q8_0.gguf" --threads 2 --sequences 1,2,4,8

tokenize_args=(--mb 1 --runs 3)
[[ -n $llama_tokenize ]] && tokenize_args+=(--llama-tokenize "$llama_tokenize")
run "tokenizer" "$build/bench/engine/bench_tokenize" "${tokenize_args[@]}"

run "grammar (JSON-schema masking)" "$build/bench/engine/bench_grammar"

run "bus: MqttBus pub->sub, journal" "$build/bench/bus/bench_bus" 50000

# Node-RED for the comparison, at the version its lock file pins; without it the
# passthrough table shows edgenode alone.
node_red_dir=$(cd "$(dirname "$0")/../bench/bus/node-red" && pwd)
if [[ ! -e $node_red_dir/node_modules/node-red/red.js ]]; then
  if command -v npm >/dev/null && npm ci --prefix "$node_red_dir" --no-audit --no-fund --ignore-scripts --silent; then
    echo "installed Node-RED into $node_red_dir/node_modules"
  else
    echo "Node-RED could not be installed (npm ci in $node_red_dir failed or npm is missing)"
  fi
fi

run "passthrough: edgenode vs Node-RED" "$build/bench/bus/bench_passthrough" \
  --messages "${PASSTHROUGH_MESSAGES:-100000}" --seconds "${PASSTHROUGH_SECONDS:-20}" \
  --rounds "${PASSTHROUGH_ROUNDS:-3}"

exit $failed
