import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import autocannon from 'autocannon';
import { fromAutocannon } from './autocannon-result.js';
import { parseAb } from './parse-ab.js';
import { parseWrk } from './parse-wrk.js';
import { PYTHON } from './servers.js';
import type { ToolResult } from './types.js';

export interface RunOptions {
  durationSeconds: number;
  connections: number;
  /** ab -k sends this many requests (-n) instead of running for the duration. */
  requests?: number;
  /** ab without -k sends this many (-n) instead of running for the duration. */
  requestsClose?: number;
  /** Count every response, whatever its status (the runner checked the path answers the expected one). */
  anyStatus?: boolean;
}

/** ab's count or duration arguments: `-n N` when a count is given, else `-t S` (with a cap on -n). */
export function abLoadArgs(o: RunOptions, keepAlive: boolean): { args: string[]; seconds: number } {
  const count = keepAlive ? o.requests : o.requestsClose;
  // A count takes as long as it takes: allow up to 10 minutes.
  if (count !== undefined) return { args: ['-n', String(count)], seconds: 600 };
  return { args: ['-t', String(o.durationSeconds), '-n', '10000000'], seconds: o.durationSeconds };
}

export interface RowOutcome {
  result: ToolResult;
  /** CPU the load generator used while it ran (1 = one core), or NaN if unknown. */
  clientCpu: number;
}

/** One row of the table: one tool, one way of using connections. */
export interface RowSpec {
  id: string;
  label(connections: number): string;
  /** The tool the row needs, for availability and versions. */
  tool: 'ab' | 'wrk' | 'autocannon';
  /** Sends HTTP/1.0 (ab): servers that speak only HTTP/1.1 get n/a. */
  http10: boolean;
  run(url: string, options: RunOptions): Promise<RowOutcome>;
}

const TIME = '/usr/bin/time';

/** Runs a load tool, under GNU time when present to learn its CPU use. */
function runMeasured(command: string, args: string[], seconds: number): Promise<{ stdout: string; clientCpu: number }> {
  const timed = existsSync(TIME);
  const [file, argv] = timed ? [TIME, ['-f', 'PERCORE_CPU %U %S %e', command, ...args]] : [command, args];
  return new Promise((resolve, reject) => {
    execFile(file, argv, { maxBuffer: 16 << 20, timeout: (seconds + 30) * 1000 }, (error, stdout, stderr) => {
      const cpu = /PERCORE_CPU ([\d.]+) ([\d.]+) ([\d.]+)/.exec(stderr);
      if (error && !stdout) {
        reject(new Error(`${command} failed: ${stderr.trim() || error.message}`));
        return;
      }
      const clientCpu = cpu ? (Number(cpu[1]) + Number(cpu[2])) / Math.max(Number(cpu[3]), 0.001) : Number.NaN;
      resolve({ stdout: `${stdout}\n${stderr}`, clientCpu });
    });
  });
}

async function runAutocannon(url: string, options: RunOptions, newConnectionPerRequest: boolean): Promise<RowOutcome> {
  const before = process.cpuUsage();
  const started = performance.now();
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.durationSeconds,
    // One request per connection, as ab without -k, made by the client: uWS keeps a connection
    // open even when asked to close it. autocannon 8 resets its connection after each response
    // with reconnectRate 2 (reconnectRate 1 counts no responses at all); tools.test.ts checks
    // one connection per request against a server that counts them.
    ...(newConnectionPerRequest ? { reconnectRate: 2 } : {}),
  });
  const used = process.cpuUsage(before);
  const seconds = (performance.now() - started) / 1000;
  return { result: fromAutocannon(result), clientCpu: (used.user + used.system) / 1e6 / seconds };
}

export const ROWS: RowSpec[] = [
  {
    id: 'ab',
    label: (c) => `ab -c${c}`,
    tool: 'ab',
    http10: true,
    run: async (url, o) => {
      const load = abLoadArgs(o, false);
      const { stdout, clientCpu } = await runMeasured('ab', ['-q', '-c', String(o.connections), ...load.args, url], load.seconds);
      return { result: parseAb(stdout, o.anyStatus), clientCpu };
    },
  },
  {
    id: 'ab-k',
    label: (c) => `ab -k -c${c}`,
    tool: 'ab',
    http10: true,
    run: async (url, o) => {
      const load = abLoadArgs(o, true);
      const { stdout, clientCpu } = await runMeasured('ab', ['-q', '-k', '-c', String(o.connections), ...load.args, url], load.seconds);
      return { result: parseAb(stdout, o.anyStatus), clientCpu };
    },
  },
  {
    id: 'wrk',
    label: (c) => `wrk -c${c}`,
    tool: 'wrk',
    http10: false,
    run: async (url, o) => {
      const { stdout, clientCpu } = await runMeasured(
        'wrk',
        ['-t1', `-c${o.connections}`, `-d${o.durationSeconds}s`, '--latency', url],
        o.durationSeconds,
      );
      return { result: parseWrk(stdout, o.anyStatus), clientCpu };
    },
  },
  {
    id: 'autocannon',
    label: (c) => `autocannon -c${c} (new connection per request)`,
    tool: 'autocannon',
    http10: false,
    run: (url, o) => runAutocannon(url, o, true),
  },
  {
    id: 'autocannon-k',
    label: (c) => `autocannon -c${c} keep-alive`,
    tool: 'autocannon',
    http10: false,
    run: (url, o) => runAutocannon(url, o, false),
  },
];

/** Why a tool cannot run here (and how to fix it), or null. */
export function toolMissing(tool: RowSpec['tool']): string | null {
  if (tool === 'autocannon') return null;
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return null;
  } catch {
    const pkg = tool === 'ab' ? 'apache2-utils' : 'wrk';
    return `${tool} is not installed: pnpm bench:setup (or apt-get install ${pkg})`;
  }
}

/** The versions of the tools, for the report's machine facts. */
export function toolVersions(): Record<string, string> {
  const versions: Record<string, string> = { autocannon: '8.0.0' };
  const probe = (name: string, command: string, args: string[], pattern: RegExp) => {
    try {
      const out = execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      versions[name] = pattern.exec(out)?.[1] ?? out.split('\n')[0]!.trim();
    } catch (error) {
      const out = String((error as { stdout?: string }).stdout ?? '') + String((error as { stderr?: string }).stderr ?? '');
      const match = pattern.exec(out);
      if (match) versions[name] = match[1]!;
    }
  };
  probe('ab', 'ab', ['-V'], /Version ([\d.]+)/);
  probe('wrk', 'wrk', ['-v'], /wrk (\S+)/);
  probe('tornado', PYTHON, ['-c', 'import tornado; print(tornado.version)'], /([\d.]+)/);
  return versions;
}
