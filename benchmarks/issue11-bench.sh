#!/bin/sh
# Issue 11's benchmark rows, pinned (servers on CPU 1, load generators on CPU 0), each a
# `pnpm bench compare` or `pnpm bench routing` run: the 1 KiB and 1 MiB files, the 404 path,
# hello through a Router, and the Router against find-my-way. Writes each table to OUT (default
# a temp dir) and prints them. Usage: benchmarks/issue11-bench.sh [OUT] [ROUNDS] [SECONDS]
set -eu
cd "$(dirname "$0")/.."
out=${1:-$(mktemp -d)}
rounds=${2:-3}
seconds=${3:-5}
mkdir -p "$out"
pnpm -s build >/dev/null || echo "pnpm build failed: measuring the dist already built" >&2
bench() { name=$1; shift; echo "== $name: node packages/bench/dist/main.js $*" >&2; node packages/bench/dist/main.js "$@" >"$out/$name.md"; cat "$out/$name.md"; }
files=nginx-static,nginx-static-ofc,sirv,node-stat-static,percore-net-static,percore-uws-static
bench static-1k compare --servers $files --tools wrk --path /1k.bin --rounds "$rounds" --duration "$seconds" --pin --json "$out/static-1k.json"
bench static-1m compare --servers $files --tools wrk --path /1m.bin --rounds "$rounds" --duration "$seconds" --pin --json "$out/static-1m.json"
bench missing compare --servers nginx-static,percore-net-router,percore-net-static,percore-uws-static,node-stat-static --tools wrk --path /missing.bin --status 404 --rounds "$rounds" --duration "$seconds" --pin --json "$out/missing.json"
bench router-hello compare --servers percore-net-1,percore-net-router --tools ab-k,wrk --path /hello --rounds "$((rounds + 2))" --duration "$seconds" --pin --json "$out/router-hello.json"
echo "== routing: taskset -c 1 node packages/bench/dist/main.js routing --rounds $((rounds + 2)) --duration $seconds" >&2
taskset -c 1 node packages/bench/dist/main.js routing --rounds "$((rounds + 2))" --duration "$seconds" --json "$out/routing.json" --out "$out/routing.md"
echo "tables in $out" >&2
