#!/usr/bin/env node
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { renderJson, renderMarkdown } from './report.js';
import { runBench } from './runner.js';
import { SERVERS, stopAllServers } from './servers.js';
import { renderSvg } from './svg.js';
import { ROWS } from './tools.js';

const resultsDir = fileURLToPath(new URL('../../../benchmarks/results/', import.meta.url));

function usage(): string {
  return `Usage: pnpm bench [options]

Reproduces Hellepoll's speed table: hello world on every server, measured side by side with
ab, wrk and autocannon at -c25, interleaved over rounds. Writes benchmarks/results/<date>-<host>
.md, .json and .svg, and prints the table. Install the tools first: pnpm bench:setup.

Options:
  --duration <s>      seconds per cell (default 5)
  --connections <n>   concurrent connections (default 25)
  --workers <n>       workers for the clustered servers (default: cores, ${availableParallelism()})
  --rounds <n>        interleaved rounds; cells show the median (default 3)
  --only <list>       servers: ${SERVERS.map((s) => s.id).join(', ')}
  --tools <list>      rows or tools: ${ROWS.map((r) => r.id).join(', ')}, or ab, wrk, autocannon
  --quick             a short smoke run: 1 round of 1 s, no warm-up
  --json <file>       also write the JSON to this file
  --out <dir>         where the .md, .json and .svg go (default benchmarks/results)
  -h, --help          show this help`;
}

function fail(message: string): never {
  console.error(`percore-bench: ${message}\n\n${usage()}`);
  process.exit(2);
}

function positive(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) fail(`${name} must be a positive number, got "${text}"`);
  return value;
}

let values;
try {
  ({ values } = parseArgs({
    // `pnpm bench -- --quick` passes the `--` along: it separates nothing here.
    args: process.argv[2] === '--' ? process.argv.slice(3) : process.argv.slice(2),
    strict: true,
    allowPositionals: false,
    options: {
      duration: { type: 'string' },
      connections: { type: 'string' },
      workers: { type: 'string' },
      rounds: { type: 'string' },
      only: { type: 'string' },
      tools: { type: 'string' },
      quick: { type: 'boolean' },
      json: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (error) {
  fail((error as Error).message);
}
if (values.help) {
  console.log(usage());
  process.exit(0);
}

const quick = values.quick ?? false;
const durationSeconds = positive(values.duration, '--duration', quick ? 1 : 5);
const rounds = Math.round(positive(values.rounds, '--rounds', quick ? 1 : 3));
const connections = Math.round(positive(values.connections, '--connections', 25));
const workers = Math.round(positive(values.workers, '--workers', availableParallelism()));

const servers = values.only === undefined ? SERVERS : values.only.split(',').map((id) => SERVERS.find((s) => s.id === id.trim()) ?? fail(`unknown server "${id}"`));
const rows =
  values.tools === undefined
    ? ROWS
    : values.tools.split(',').flatMap((name) => {
        const matches = ROWS.filter((row) => row.id === name.trim() || row.tool === name.trim());
        return matches.length > 0 ? matches : fail(`unknown tool or row "${name}"`);
      });

process.on('SIGINT', () => {
  stopAllServers();
  process.exit(130);
});
process.on('SIGTERM', () => {
  stopAllServers();
  process.exit(143);
});

const run = await runBench({
  servers,
  rows,
  rounds,
  durationSeconds,
  connections,
  workers,
  warmupSeconds: quick ? 0 : 2,
  command: `pnpm bench ${process.argv.slice(2).join(' ')}`.trim(),
  progress: (line) => process.stderr.write(`${line}\n`),
});

const outDir = values.out ?? resultsDir;
mkdirSync(outDir, { recursive: true });
const base = `${outDir.replace(/\/$/, '')}/${run.date.slice(0, 10)}-${run.host}`;
const markdown = renderMarkdown(run);
writeFileSync(`${base}.md`, markdown);
writeFileSync(`${base}.json`, renderJson(run));
writeFileSync(`${base}.svg`, renderSvg(run));
if (values.json) writeFileSync(values.json, renderJson(run));
console.log(markdown);
process.stderr.write(`wrote ${base}.md, .json and .svg\n`);
