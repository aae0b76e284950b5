#!/usr/bin/env bash
# Drains a server under real load and counts what the load generator saw: the figures behind
# benchmarks/results/2026-12-01-drain.md. Run from the repository root after `pnpm build`.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: benchmarks/drain-under-load.sh [options] SERVER TOOL SIGNAL

Starts SERVER on 127.0.0.1 (pinned to core 1), puts TOOL's load on it (pinned to core 0),
sends SIGNAL to the server's master process partway through, and prints one line:
  server tool signal complete=N failed=N non2xx=N errors=... aborted=...

SERVER  percore          the hello server (packages/hello/dist/main.js), 2 workers
        percore@DIR      the same from another checkout's build (e.g. an older commit)
        nginx            nginx with 2 workers serving "Hello world" (signal HUP = nginx -s reload)
TOOL    ab               ab -k -c25 -n REQUESTS (ab aborts on its first socket error)
        wrk              wrk -t1 -c25 -d DURATION
SIGNAL  HUP | TERM

Options:
  --requests N     ab's request count (default 500000)
  --duration S     wrk's duration in seconds (default 6)
  --signal-at S    seconds of load before the signal (default 1.5 for ab, 2 for wrk)
  --rounds N       repeat N times (default 1)
  -h, --help       show this help
EOF
}

requests=500000
duration=6
signal_at=''
rounds=1
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --requests) requests=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --signal-at) signal_at=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
if [ ${#args[@]} -ne 3 ]; then usage >&2; exit 2; fi
server=${args[0]}; tool=${args[1]}; signal=${args[2]}
case "$tool" in ab|wrk) ;; *) echo "TOOL must be ab or wrk" >&2; exit 2 ;; esac
case "$signal" in HUP|TERM) ;; *) echo "SIGNAL must be HUP or TERM" >&2; exit 2 ;; esac
[ -n "$signal_at" ] || { [ "$tool" = ab ] && signal_at=1.5 || signal_at=2; }

work=$(mktemp -d)
pid=''
cleanup() { [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

start_server() {
  port=$((20000 + RANDOM % 20000))
  case "$server" in
    percore|percore@*)
      local dir=.
      [ "$server" = percore ] || dir=${server#percore@}
      taskset -c 1 node "$dir/packages/hello/dist/main.js" --port "$port" --workers 2 >"$work/server.log" 2>&1 &
      pid=$! ;;
    nginx)
      mkdir -p "$work/nginx/logs"
      cat >"$work/nginx/nginx.conf" <<EOF
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$port; location / { default_type text/plain; return 200 "Hello world"; } }
}
EOF
      taskset -c 1 nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -g 'daemon off;' >"$work/server.log" 2>&1 &
      pid=$! ;;
    *) echo "unknown SERVER $server" >&2; exit 2 ;;
  esac
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
    sleep 0.1
  done
  echo "the server did not start: $(cat "$work/server.log")" >&2
  exit 1
}

for round in $(seq "$rounds"); do
  start_server
  # nginx's graceful stop is QUIT (TERM is its fast stop); its reload is HUP, as percore's roll.
  sent=$signal
  [ "$server" = nginx ] && [ "$signal" = TERM ] && sent=QUIT
  ( sleep "$signal_at"; kill -"$sent" "$pid" ) &
  signaller=$!
  if [ "$tool" = ab ]; then
    taskset -c 0 ab -k -c25 -n "$requests" "http://127.0.0.1:$port/" >"$work/tool.log" 2>&1 || true
    complete=$(grep -oP '^Complete requests:\s+\K\d+' "$work/tool.log" || grep -oP '^Total of \K\d+' "$work/tool.log" || echo 0)
    failed=$(grep -oP '^Failed requests:\s+\K\d+' "$work/tool.log" || echo -)
    non2xx=$(grep -oP '^Non-2xx responses:\s+\K\d+' "$work/tool.log" || echo 0)
    errors=-
  else
    taskset -c 0 wrk -t1 -c25 -d"${duration}s" "http://127.0.0.1:$port/" >"$work/tool.log" 2>&1 || true
    complete=$(grep -oP '\d+(?= requests in)' "$work/tool.log" || echo 0)
    failed=-
    non2xx=$(grep -oP 'Non-2xx or 3xx responses: \K\d+' "$work/tool.log" || echo 0)
    errors=$(grep -oP 'Socket errors: \K.*' "$work/tool.log" | tr -d ' ' || true)
    [ -n "$errors" ] || errors=none
  fi
  aborted=$(grep -oP '^apr_\S+ .*' "$work/tool.log" | tr ' ' '_' || true)
  echo "$server $tool $signal round=$round complete=$complete failed=$failed non2xx=$non2xx errors=$errors aborted=${aborted:-no}"
  wait "$signaller"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=''
done
