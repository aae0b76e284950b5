#!/usr/bin/env bash
# Connection churn against each way of keeping the open connections (server.mjs), and against
# percore's net hello: the share of the young generation that survives each scavenge, and the
# pause, from --trace-gc-nvp. Needs ab (apache2-utils) and 2 cores: the server runs on CPU 1, ab on 0.
# Usage: benchmarks/churn-gc/run.sh [NODE_BINARY] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
node_bin=${1:-node}
seconds=${2:-3}
port=18330
log=$(mktemp)
trap 'rm -f "$log"' EXIT
scavenges() {
  grep '"gc":"s"' "$log" | tail -4 | sed 's/.*GC: //' | node -e '
    let text = ""; process.stdin.on("data", (c) => (text += c)).on("end", () => {
      const rows = text.trim().split("\n").map((line) => JSON.parse(line.replace(/,\s*$/, "")));
      console.log(rows.map((r) => `${r.new_space_survive_rate.toFixed(1)}% survived, ${r.pause.toFixed(1)} ms`).join("; "));
    });'
}
run() {
  local name=$1 script=$2 mode=${3:-}
  taskset -c 1 "$node_bin" --trace-gc-nvp "$script" "$port" $mode > "$log" 2>&1 &
  local pid=$!
  sleep 1.5
  local done
  done=$(taskset -c 0 ab -q -c25 -t "$seconds" -n 10000000 "http://127.0.0.1:$port/" | awk '/Complete requests/{print $3}')
  kill -INT "$pid"; wait "$pid" 2>/dev/null || true
  echo "$name ($done connections): last 4 scavenges: $(scavenges)"
}
echo "node $("$node_bin" --version), ab -c25 for ${seconds}s per server"
for mode in none set map list; do run "raw node:net, open connections in: $mode" benchmarks/churn-gc/server.mjs "$mode"; done
run "percore net (packages/server/dist)" benchmarks/baselines/percore-net-hello.mjs
