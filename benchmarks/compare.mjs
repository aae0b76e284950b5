#!/usr/bin/env node
// Side-by-side hello benchmarks: the chosen servers, measured in one run, interleaved over rounds
// (alternating order), with the chosen load tools at -c25. Prints a Markdown table of median
// req/s (min-max), each server's CPU share (all its processes), and the ratio to the first server.
// A server well under 100% CPU per core it has means the client was the bottleneck.
//
//   node benchmarks/compare.mjs --servers node-http,percore-net --tools ab-k,wrk,autocannon
//   node benchmarks/compare.mjs --servers node-http,node-http-cluster,percore-hello --tools ab,ab-k
//
// Needs `pnpm build`; ab (apache2-utils) and wrk come from apt-get, and are skipped if missing.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
// The bench package's parsers, CPU reader and statistics (built by `pnpm build`).
import { fromAutocannon } from '../packages/bench/dist/autocannon-result.js';
import { treeCpuSeconds } from '../packages/bench/dist/cpu.js';
import { parseAb as parseAbOutput } from '../packages/bench/dist/parse-ab.js';
import { parseWrk as parseWrkOutput } from '../packages/bench/dist/parse-wrk.js';
import { median } from '../packages/bench/dist/stats.js';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = fileURLToPath(new URL('.', import.meta.url));
const { values } = parseArgs({
  options: {
    servers: { type: 'string', default: 'node-http,percore-net' },
    tools: { type: 'string', default: 'ab-k,wrk,autocannon' },
    workers: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '5' },
    requests: { type: 'string', default: '100000' },
    'requests-close': { type: 'string', default: '20000' },
    help: { type: 'boolean', short: 'h' },
  },
});

const workers = values.workers;
const serverCatalog = {
  'node-http': { label: 'node:http (1 process)', args: [`${here}baselines/node-http-hello.mjs`] },
  'node-http-cluster': { label: `node:http cluster (${workers} workers, default policy)`, args: [`${here}baselines/node-http-cluster.mjs`, '{port}', workers] },
  'raw-net': { label: 'raw node:net, no parsing (1 process)', args: [`${here}baselines/raw-net-hello.mjs`] },
  'percore-net': { label: 'percore net (1 process)', args: [`${here}baselines/percore-net-hello.mjs`] },
  'raw-uws': { label: `raw uWebSockets.js (${workers} workers)`, args: [`${here}baselines/raw-uws-hello.mjs`, '{port}', workers] },
  'percore-uws': { label: `percore hello --engine uws (${workers} workers)`, args: [`${here}../packages/hello/dist/main.js`, '--engine', 'uws', '--port', '{port}', '--workers', workers] },
  'raw-uws-1': { label: 'raw uWebSockets.js (1 process)', args: [`${here}baselines/raw-uws-hello.mjs`, '{port}', '1'] },
  'percore-uws-1': { label: 'percore uws (1 process)', args: [`${here}baselines/percore-uws-hello.mjs`] },
  'percore-uws-1-headers': { label: 'percore uws, reading every header (1 process)', args: [`${here}baselines/percore-uws-hello.mjs`, '{port}', 'headers'] },
  'percore-hello': { label: `percore hello, pnpm start (${workers} workers)`, args: [`${here}../packages/hello/dist/main.js`, '--port', '{port}', '--workers', workers] },
};
const requests = Number(values.requests);
const requestsClose = Number(values['requests-close']);
const duration = Number(values.duration);
const toolCatalog = {
  ab: { label: `ab -c25 -n ${requestsClose} (new connection per request)`, bin: 'ab', run: (url) => parseAb(run('ab', ['-q', '-c25', `-n${requestsClose}`, url])) },
  'ab-k': { label: `ab -k -c25 -n ${requests}`, bin: 'ab', run: (url) => parseAb(run('ab', ['-q', '-k', '-c25', `-n${requests}`, url])) },
  wrk: { label: `wrk -t1 -c25 -d${duration}s`, bin: 'wrk', run: (url) => parseWrk(run('wrk', ['-t1', '-c25', `-d${duration}s`, url])) },
  autocannon: { label: `autocannon -c25 -d${duration}`, bin: `${here}../node_modules/.bin/autocannon`, run: (url) => parseAutocannon(run(`${here}../node_modules/.bin/autocannon`, ['-c25', `-d${duration}`, '-j', url])) },
};

if (values.help) {
  console.log(`usage: node benchmarks/compare.mjs [--servers LIST] [--tools LIST] [--workers N] [--rounds N] [--duration S] [--requests N] [--requests-close N]
  servers: ${Object.keys(serverCatalog).join(', ')} (the first is the ratio's base)
  tools:   ${Object.keys(toolCatalog).join(', ')}`);
  process.exit(0);
}

const pick = (list, catalog, what) =>
  list.split(',').map((name) => {
    if (!catalog[name]) {
      console.error(`unknown ${what} "${name}"; choose from: ${Object.keys(catalog).join(', ')}`);
      process.exit(2);
    }
    return { name, ...catalog[name] };
  });
const servers = pick(values.servers, serverCatalog, 'server').map((server, index) => ({ ...server, port: 18180 + index }));
const tools = pick(values.tools, toolCatalog, 'tool').filter((tool) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool.bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    console.error(`skipping ${tool.label}: ${tool.bin} is not installed (apt-get install apache2-utils wrk)`);
    return false;
  }
});
const rounds = Number(values.rounds);
function run(command, args) {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

/** A comparison is void if any reply failed or was not 2xx: abort instead of counting it. */
function successes(tool, result) {
  if (result.errors || result.timeouts || result.non2xx) {
    throw new Error(`${tool} saw ${result.errors} errors, ${result.timeouts} timeouts and ${result.non2xx} non-2xx responses`);
  }
  return result.requestsPerSecond;
}
const parseAb = (out) => successes('ab', parseAbOutput(out));
const parseWrk = (out) => successes('wrk', parseWrkOutput(out));
const parseAutocannon = (out) => successes('autocannon', fromAutocannon(JSON.parse(out)));

async function start(server) {
  const args = server.args.map((arg) => (arg === '{port}' ? String(server.port) : arg));
  if (!args.includes(String(server.port))) args.push(String(server.port));
  server.child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'], detached: true });
  for (let i = 0; i < 200; i++) {
    try {
      run('curl', ['-sf', '-o', '/dev/null', `http://127.0.0.1:${server.port}/`]);
      return;
    } catch {
      await sleep(50);
    }
  }
  throw new Error(`${server.label} did not start`);
}
const stopAll = () => {
  for (const server of servers) {
    try {
      process.kill(-server.child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
};
process.on('exit', stopAll);
process.on('SIGINT', () => process.exit(130));

for (const server of servers) await start(server);
// Warm-up with autocannon: HTTP/1.1, which every server here answers (uWS answers ab's HTTP/1.0 with 505).
for (const server of servers) run(`${here}../node_modules/.bin/autocannon`, ['-c25', '-d2', `http://127.0.0.1:${server.port}/`]);

const results = new Map(); // tool label -> server name -> [{ rps, cpu }]
const total = rounds * tools.length * servers.length;
let done = 0;
const began = Date.now();
for (let round = 1; round <= rounds; round++) {
  for (const tool of tools) {
    const order = round % 2 === 1 ? servers : [...servers].reverse();
    for (const server of order) {
      const before = treeCpuSeconds(server.child.pid);
      const startedAt = performance.now();
      const rps = tool.run(`http://127.0.0.1:${server.port}/`);
      const seconds = (performance.now() - startedAt) / 1000;
      const cpu = (treeCpuSeconds(server.child.pid) - before) / seconds;
      const byServer = results.get(tool.label) ?? new Map();
      results.set(tool.label, byServer);
      byServer.set(server.name, [...(byServer.get(server.name) ?? []), { rps, cpu }]);
      done++;
      const left = Math.round(((Date.now() - began) / done) * (total - done) / 1000);
      process.stderr.write(`[${done}/${total}, ~${left}s left] round ${round} ${tool.label} | ${server.label}: ${Math.round(rps)} req/s, server CPU ${(cpu * 100).toFixed(0)}%\n`);
    }
  }
}
stopAll();

const cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
console.log(`Node ${process.version}, ${cpuModel}, ${availableParallelism()} cores, ${new Date().toISOString().slice(0, 10)}. ${rounds} rounds, interleaved. Cells: median req/s (min-max), server CPU (100% = one core).\n`);
console.log(`| tool | ${servers.map((server) => server.label).join(' | ')} |`);
console.log(`|---|${servers.map(() => '---').join('|')}|`);
for (const [tool, byServer] of results) {
  const base = median(byServer.get(servers[0].name).map((r) => r.rps));
  const cells = servers.map((server, index) => {
    const runs = byServer.get(server.name);
    const rps = runs.map((r) => r.rps);
    const m = median(rps);
    const ratio = index === 0 ? '' : ` **${(m / base).toFixed(2)}x**`;
    return `${Math.round(m)} (${Math.round(Math.min(...rps))}-${Math.round(Math.max(...rps))}), CPU ${Math.round(median(runs.map((r) => r.cpu)) * 100)}%${ratio}`;
  });
  console.log(`| ${tool} | ${cells.join(' | ')} |`);
}
