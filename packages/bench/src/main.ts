#!/usr/bin/env node
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseCli, usage, UsageError, type Parsed } from './cli.js';
import { renderComparison } from './compare-report.js';
import { resolveNodeLine, type NodeLine } from './node-lines.js';
import { renderJson, renderMarkdown } from './report.js';
import { runBench } from './runner.js';
import { stopAllServers } from './servers.js';
import { renderSvg } from './svg.js';

/** An argument as a shell would need it written. */
function shellWord(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}

const resultsDir = fileURLToPath(new URL('../../../benchmarks/results/', import.meta.url));

function fail(message: string): never {
  console.error(`percore-bench: ${message}\n\n${usage()}`);
  process.exit(2);
}

// `pnpm bench soak`: its own options and exit codes (soak/cli.ts).
const soakArgs = process.argv[2] === '--' ? process.argv.slice(3) : process.argv.slice(2);
if (soakArgs[0] === 'soak') {
  const { soakMain } = await import('./soak/main.js');
  process.exit(await soakMain(soakArgs.slice(1), `pnpm bench ${soakArgs.map(shellWord).join(' ')}`));
}

// `pnpm bench routing`: the in-process router microbenchmark (routing/cli.ts).
if (soakArgs[0] === 'routing') {
  const { routingMain } = await import('./routing/main.js');
  process.exit(await routingMain(soakArgs.slice(1), `pnpm bench ${soakArgs.map(shellWord).join(' ')}`));
}

// `pnpm bench redis`: redis-benchmark against examples/redis and redis-server (redis/main.ts).
if (soakArgs[0] === 'redis') {
  const { redisMain } = await import('./redis/main.js');
  process.exit(await redisMain(soakArgs.slice(1), `pnpm bench ${soakArgs.map(shellWord).join(' ')}`));
}

// `pnpm bench resp-client`: percore's RespClient against ioredis and node-redis (resp-client/main.ts).
if (soakArgs[0] === 'resp-client') {
  const { respClientMain } = await import('./resp-client/main.js');
  process.exit(await respClientMain(soakArgs.slice(1), `pnpm bench ${soakArgs.map(shellWord).join(' ')}`));
}

// `pnpm bench websocket`: WebSocket servers against the bench's own load client (websocket/main.ts).
if (soakArgs[0] === 'websocket') {
  const { websocketMain } = await import('./websocket/main.js');
  process.exit(await websocketMain(soakArgs.slice(1), `pnpm bench ${soakArgs.map(shellWord).join(' ')}`));
}

// `pnpm bench idle`: memory per idle keep-alive HTTP connection, per server (idle/main.ts).
if (soakArgs[0] === 'idle') {
  const { idleMain } = await import('./idle/main.js');
  process.exit(await idleMain(soakArgs.slice(1), `pnpm bench ${soakArgs.map(shellWord).join(' ')}`));
}

// `pnpm bench tls`: HTTPS keep-alive, HTTP/2 and new TLS connections per second (tls/main.ts).
if (soakArgs[0] === 'tls') {
  const { tlsMain } = await import('./tls/main.js');
  process.exit(await tlsMain(soakArgs.slice(1), `pnpm bench ${soakArgs.map(shellWord).join(' ')}`));
}

let parsed: Parsed;
try {
  parsed = parseCli(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) fail(error.message);
  throw error;
}
if ('help' in parsed) {
  console.log(parsed.help);
  process.exit(0);
}
const options = parsed.command;
// Counted before pinning: a pinned process sees only its own CPUs.
const cores = availableParallelism();

if (options.serverCpus !== undefined || options.clientCpus !== undefined) {
  try {
    execFileSync('sh', ['-c', 'command -v taskset'], { stdio: 'ignore' });
  } catch {
    fail('pinning needs taskset (apt-get install util-linux)');
  }
}
// The load generators are this process (autocannon) and its children (ab, wrk): pin every thread.
if (options.clientCpus !== undefined) {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', options.clientCpus, String(process.pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    fail(`taskset -c ${options.clientCpus} failed: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`);
  }
}

process.on('SIGINT', () => {
  stopAllServers();
  process.exit(130);
});
process.on('SIGTERM', () => {
  stopAllServers();
  process.exit(143);
});

const progress = (line: string) => process.stderr.write(`${line}\n`);
// --node: each line's binary (a line not in the cache yet is installed with npm first; progress says so).
let nodeLines: NodeLine[] | undefined;
if (options.nodeLines !== undefined) {
  nodeLines = [];
  for (const line of options.nodeLines) {
    progress(`Node ${line}: resolving`);
    try {
      const resolved = await resolveNodeLine(line, progress);
      progress(`Node ${line}: ${resolved.version} (${resolved.execPath})`);
      nodeLines.push(resolved);
    } catch (error) {
      console.error(`percore-bench: Node ${line}: ${(error as Error).message}`);
      process.exit(1);
    }
  }
}

const pinned = options.serverCpus !== undefined || options.clientCpus !== undefined;
const run = await runBench({
  servers: options.servers,
  rows: options.rows,
  rounds: options.rounds,
  durationSeconds: options.durationSeconds,
  connections: options.connections,
  workers: options.workers,
  warmupSeconds: options.warmupSeconds,
  command: `pnpm bench ${process.argv.slice(2).map(shellWord).join(' ')}`.trim(),
  cores,
  // Compare: ratios to the first server; the table: to node:http on one process.
  baseline: options.mode === 'compare' ? options.servers[0]!.id : 'node-http',
  requests: options.requests,
  requestsClose: options.requestsClose,
  path: options.path,
  status: options.status,
  ...(pinned ? { pinning: { server: options.serverCpus, client: options.clientCpus } } : {}),
  ...(nodeLines !== undefined ? { nodeLines } : {}),
  progress,
});

if (options.json) writeFileSync(options.json, renderJson(run));
if (options.mode === 'compare') {
  const table = renderComparison(run);
  if (options.out !== undefined) {
    mkdirSync(options.out, { recursive: true });
    const base = `${options.out.replace(/\/$/, '')}/${run.date.slice(0, 10)}-${run.host}-compare`;
    writeFileSync(`${base}.md`, `${table}\n`);
    writeFileSync(`${base}.json`, renderJson(run));
    process.stderr.write(`wrote ${base}.md and .json\n`);
  }
  console.log(table);
} else {
  const outDir = options.out ?? resultsDir;
  mkdirSync(outDir, { recursive: true });
  const base = `${outDir.replace(/\/$/, '')}/${run.date.slice(0, 10)}-${run.host}`;
  const markdown = renderMarkdown(run);
  writeFileSync(`${base}.md`, markdown);
  writeFileSync(`${base}.json`, renderJson(run));
  writeFileSync(`${base}.svg`, renderSvg(run));
  console.log(markdown);
  process.stderr.write(`wrote ${base}.md, .json and .svg\n`);
}
