#!/bin/bash
# PUT/s of the REST store, with or without fdatasync. Usage (from the repo root):
#   examples/rest-store/bench/put-rate.sh FSYNC(1|0) CONNECTIONS [SECONDS]
# The server (primary + 2 workers) runs pinned to core 1, autocannon to core 0 (the machine has
# 2 cores). The data folder is a fresh one under /var/tmp: it must be on a real disk (fsync on a
# tmpfs is free). Every PUT goes to one id with a 64-byte JSON body.
set -euo pipefail
cd "$(dirname "$0")/../.."
FSYNC=$1 CONNECTIONS=$2 SECONDS_=${3:-10}
DIR=$(mktemp -d /var/tmp/rest-store-bench-XXXX)
REST_STORE_DIR=$DIR REST_STORE_FSYNC=$FSYNC PORT=0 WORKERS=2 taskset -c 1 node --import tsx rest-store/src/server.ts >"$DIR.out" 2>&1 &
PID=$!
trap 'kill -TERM $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$DIR" "$DIR.out"' EXIT
for _ in $(seq 50); do grep -q listening "$DIR.out" 2>/dev/null && break; sleep 0.2; done
URL=$(grep -o 'http://[^ ]*' "$DIR.out")
taskset -c 0 npx autocannon -j -c "$CONNECTIONS" -d "$SECONDS_" -m PUT -H content-type=application/json \
  -b '{"n":1,"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}' "$URL/item1" 2>/dev/null |
  node -e '
    let s = "";
    process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const r = JSON.parse(s);
      console.log(`fsync=${process.argv[1]} c=${process.argv[2]} PUT/s avg ${r.requests.average} total ${r.requests.total} 2xx ${r["2xx"]} non2xx ${r.non2xx} errors ${r.errors} latency p50 ${r.latency.p50} ms p99 ${r.latency.p99} ms`);
    });' "$FSYNC" "$CONNECTIONS"
