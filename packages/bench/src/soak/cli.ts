import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';

/** `pnpm bench soak [options]`, parsed. */
export interface SoakCommand {
  durationSeconds: number;
  workers: number;
  warmupSeconds: number;
  /** taskset lists: the cluster's CPUs and this process's (the load's). */
  serverCpus?: string;
  clientCpus?: string;
  json?: string;
}

export type SoakParsed = { help: string } | { command: SoakCommand } | { error: string };

export function soakUsage(): string {
  return `Usage: pnpm bench soak [options]

A bounded soak: starts the hello cluster (packages/hello, engine net, on 127.0.0.1 and a free
port) and runs a mixed load against it from this process: keep-alive clients, pipelining, slow
readers, POSTs aborted mid-body, slowloris trickles, oversized heads and garbage. Every answer
is checked byte for byte. Prints progress every 10 s, then a summary table, and exits 1 unless
no worker crashed, no answer was wrong, no connection that should have worked was reset, and
each worker's RSS at the end is within max(+50%, +64 MiB) of its RSS after the warm-up.

Options:
  --duration <s>     seconds of load (default 600)
  --workers <n>      cluster workers (default 2)
  --warmup <s>       seconds before the RSS start sample (default: a fifth of the duration, at most 60)
  --pin              the load on CPU 0, the cluster on CPU 1 (1-N on a bigger machine): taskset
  --json <file>      also write the result as JSON
  -h, --help         show this help`;
}

function positive(text: string | undefined, name: string, fallback: number): number | string {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) return `${name} must be a positive number, got "${text}"`;
  return value;
}

/** Parses the arguments after `soak`; never exits or prints. */
export function parseSoakCli(argv: string[], cores = availableParallelism()): SoakParsed {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv[0] === '--' ? argv.slice(1) : argv,
      strict: true,
      allowPositionals: false,
      options: {
        duration: { type: 'string' },
        workers: { type: 'string' },
        warmup: { type: 'string' },
        pin: { type: 'boolean' },
        json: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    return { error: (error as Error).message };
  }
  if (values.help) return { help: soakUsage() };
  const duration = positive(values.duration, '--duration', 600);
  if (typeof duration === 'string') return { error: duration };
  const workers = positive(values.workers, '--workers', 2);
  if (typeof workers === 'string') return { error: workers };
  if (!Number.isInteger(workers)) return { error: `--workers must be a whole number, got ${workers}` };
  const warmup = positive(values.warmup, '--warmup', Math.min(60, duration / 5));
  if (typeof warmup === 'string') return { error: warmup };
  if (warmup >= duration) return { error: `--warmup (${warmup} s) must be shorter than --duration (${duration} s)` };
  if (values.pin && cores < 2) return { error: `--pin needs 2 CPUs or more; this machine has ${cores}` };
  return {
    command: {
      durationSeconds: duration,
      workers,
      warmupSeconds: warmup,
      ...(values.pin ? { clientCpus: '0', serverCpus: cores <= 2 ? '1' : `1-${cores - 1}` } : {}),
      ...(values.json !== undefined ? { json: values.json } : {}),
    },
  };
}
