import { parseArgs } from 'node:util';

/** `pnpm bench routing`'s settings. */
export interface RoutingCommand {
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** taskset CPU list this process and its measuring children run on. */
  cpus?: string;
  json?: string;
  out?: string;
}

export type RoutingParsed = { help: string } | { command: RoutingCommand };

export class RoutingUsageError extends Error {}

export const ROUTING_OPTIONS = {
  rounds: { type: 'string' },
  duration: { type: 'string' },
  warmup: { type: 'string' },
  cpu: { type: 'string' },
  json: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function routingUsage(): string {
  return `Usage: pnpm bench routing [options]

Looks up a fixed list of 25 method+path pairs (static, :param, nested, wildcard hits and misses)
in a 100-route REST table, with percore's Router and with find-my-way 9.10.2, both by
find(method, path), in process (no network). Each round measures each router in a fresh node
process, the order alternating each round; the table shows lookups per second per round, the
ratio percore / find-my-way per round, and the medians. First both routers look up every path
once: if they disagree on a route or its params the run fails (exit 1) before anything is timed.

Options:
  --rounds <n>      interleaved rounds (default 5)
  --duration <s>    timed seconds per router per round (default 5)
  --warmup <s>      untimed seconds before each timing, same loop (default 1)
  --cpu <list>      run on these CPUs (taskset -c list, e.g. 1); or run it under taskset -c 1
  --json <file>     also write the run as JSON
  --out <file>      also write the Markdown table to this file
  -h, --help        show this help

PERCORE_DIST=<packages/server/dist of another checkout> measures that build of percore.`;
}

function positive(text: string | undefined, name: string, fallback: number, allowZero = false): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || (value === 0 && !allowZero)) {
    throw new RoutingUsageError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got "${text}"`);
  }
  return value;
}

export function parseRoutingCli(argv: string[]): RoutingParsed {
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  let values;
  try {
    ({ values } = parseArgs({ args, strict: true, allowPositionals: false, options: ROUTING_OPTIONS }));
  } catch (error) {
    throw new RoutingUsageError((error as Error).message);
  }
  if (values.help) return { help: routingUsage() };
  if (values.cpu !== undefined && !/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(values.cpu)) {
    throw new RoutingUsageError(`--cpu takes a CPU list such as 1, 0,2 or 2-7, got "${values.cpu}"`);
  }
  const rounds = positive(values.rounds, '--rounds', 5);
  if (!Number.isInteger(rounds)) throw new RoutingUsageError(`--rounds must be a whole number, got "${values.rounds}"`);
  return {
    command: {
      rounds,
      durationSeconds: positive(values.duration, '--duration', 5),
      warmupSeconds: positive(values.warmup, '--warmup', 1, true),
      ...(values.cpu !== undefined ? { cpus: values.cpu } : {}),
      ...(values.json !== undefined ? { json: values.json } : {}),
      ...(values.out !== undefined ? { out: values.out } : {}),
    },
  };
}
