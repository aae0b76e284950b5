#!/usr/bin/env node
// Issue 2's measurement: percore's net engine (one process) against node:http (one process),
// side by side in one run, interleaved over rounds, with ab -k, wrk and autocannon at -c25.
// Prints a Markdown table of median req/s, the ratio, and each server's CPU share (a server
// well under 100% means the client was the bottleneck on this 2-core machine).
//
// Usage: node benchmarks/net-engine-vs-node.mjs [--rounds 3] [--duration 5] [--requests 100000]
// Needs `pnpm build`, and `ab` (apache2-utils) and `wrk` from apt-get; missing tools are skipped.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '5' },
    requests: { type: 'string', default: '100000' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log('usage: node benchmarks/net-engine-vs-node.mjs [--rounds N] [--duration SECONDS] [--requests N]');
  process.exit(0);
}
const rounds = Number(values.rounds);
const duration = Number(values.duration);
const requests = Number(values.requests);
const here = fileURLToPath(new URL('.', import.meta.url));
const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

const servers = [
  { name: 'node:http', script: `${here}baselines/node-http-hello.mjs`, port: 18181 },
  { name: 'percore net', script: `${here}baselines/percore-net-hello.mjs`, port: 18182 },
];

const has = (tool) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const autocannonBin = `${here}../node_modules/.bin/autocannon`;
const tools = [
  has('ab') && { name: `ab -k -c25 -n ${requests}`, run: (url) => parseAb(run('ab', ['-q', '-k', '-c25', `-n${requests}`, url])) },
  has('wrk') && { name: `wrk -t1 -c25 -d${duration}s`, run: (url) => parseWrk(run('wrk', ['-t1', '-c25', `-d${duration}s`, url])) },
  { name: `autocannon -c25 -d${duration}`, run: (url) => parseAutocannon(run(autocannonBin, ['-c25', `-d${duration}`, '-j', url])) },
].filter(Boolean);

function run(command, args) {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}
function parseAb(out) {
  const failed = Number(/Failed requests:\s+(\d+)/.exec(out)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  if (failed !== 0 || non2xx !== 0) throw new Error(`ab saw ${failed} failed and ${non2xx} non-2xx responses`);
  return Number(/Requests per second:\s+([\d.]+)/.exec(out)[1]);
}
function parseWrk(out) {
  if (/Non-2xx|Socket errors/.test(out)) throw new Error(`wrk saw errors:\n${out}`);
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
}
function parseAutocannon(out) {
  const result = JSON.parse(out);
  if (result.errors || result.non2xx || result.timeouts) throw new Error(`autocannon saw ${result.errors} errors, ${result.non2xx} non-2xx`);
  return result.requests.average;
}
function cpuTicks(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function start(server) {
  const child = spawn(process.execPath, [server.script, String(server.port)], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NO_TIMEOUTS: '' } });
  server.child = child;
  for (let i = 0; i < 100; i++) {
    try {
      run('curl', ['-sf', `http://127.0.0.1:${server.port}/`]);
      return;
    } catch {
      await sleep(50);
    }
  }
  throw new Error(`${server.name} did not start`);
}

const stopAll = () => servers.forEach((server) => server.child?.kill('SIGTERM'));
process.on('exit', stopAll);
process.on('SIGINT', () => process.exit(130));

for (const server of servers) await start(server);
for (const server of servers) run('ab', ['-q', '-k', '-c25', '-n20000', `http://127.0.0.1:${server.port}/`]); // warm-up

const results = new Map(); // tool -> server -> [{rps, cpu}]
const total = rounds * tools.length * servers.length;
let done = 0;
for (let round = 1; round <= rounds; round++) {
  for (const tool of tools) {
    // Alternate which server goes first, so neither always runs on a cooler machine.
    const order = round % 2 === 1 ? servers : [...servers].reverse();
    for (const server of order) {
      const before = cpuTicks(server.child.pid);
      const startedAt = performance.now();
      const rps = tool.run(`http://127.0.0.1:${server.port}/`);
      const seconds = (performance.now() - startedAt) / 1000;
      const cpu = (cpuTicks(server.child.pid) - before) / ticksPerSecond / seconds;
      const byServer = results.get(tool.name) ?? new Map();
      results.set(tool.name, byServer);
      byServer.set(server.name, [...(byServer.get(server.name) ?? []), { rps, cpu }]);
      done++;
      process.stderr.write(`[${done}/${total}] round ${round} ${tool.name} ${server.name}: ${Math.round(rps)} req/s, server CPU ${(cpu * 100).toFixed(0)}%\n`);
    }
  }
}
stopAll();

const cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
console.log(`Node ${process.version}, ${cpuModel}, ${(await import('node:os')).availableParallelism()} cores, ${new Date().toISOString().slice(0, 10)}; ${rounds} rounds, interleaved; median req/s (min-max), server CPU share.\n`);
console.log('| tool | node:http (1 process) | percore net (1 process) | ratio |');
console.log('|---|---|---|---|');
for (const [tool, byServer] of results) {
  const cell = (name) => {
    const runs = byServer.get(name);
    const rps = runs.map((r) => r.rps);
    return { median: median(rps), text: `${Math.round(median(rps))} (${Math.round(Math.min(...rps))}-${Math.round(Math.max(...rps))}), CPU ${Math.round(median(runs.map((r) => r.cpu)) * 100)}%` };
  };
  const node = cell('node:http');
  const percore = cell('percore net');
  console.log(`| ${tool} | ${node.text} | ${percore.text} | **${(percore.median / node.median).toFixed(2)}x** |`);
}
