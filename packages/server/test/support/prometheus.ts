/**
 * Debian's `prometheus` and `promtool` (the prometheus package), run as child processes with
 * deadlines. A Prometheus server started here has its own config and TSDB in a temporary
 * folder and listens on a free 127.0.0.1 port; `stopPrometheusServers()` (run after each suite)
 * kills any still running and removes their folders.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Skips the suite where `tool` is not installed, printing why; with PERCORE_REQUIRE_PROMETHEUS=1
 * (as CI sets, having installed the package) a missing binary fails instead.
 */
export function requirePrometheus(context: Mocha.Context, tool: 'prometheus' | 'promtool'): void {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0) return;
  const reason = `${tool} is not installed (apt-get install prometheus)`;
  if (process.env.PERCORE_REQUIRE_PROMETHEUS === '1') throw new Error(reason);
  console.log(`      skipped: ${reason}`);
  context.skip();
}

export interface ToolOutput {
  code: number | null;
  /** stdout and stderr together: promtool prints its lint problems on stderr. */
  output: string;
}

/** `promtool check metrics`, fed `text` on stdin as a scrape would be. */
export function promtoolCheckMetrics(text: string, timeoutMs = 10_000): Promise<ToolOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
    child.stdin.end(text);
  });
}

/** One sample of an instant vector: its labels and its value. */
export interface Sample {
  metric: Record<string, string>;
  value: number;
}

/** One series of a range vector: its labels (the metric name in `__name__`) and its values, oldest first. */
export interface SeriesSamples {
  metric: Record<string, string>;
  values: number[];
}

export interface ScrapeTarget {
  job: string;
  /** The scrape URL, as `handle.metricsUrl` gives it: http://host:port/path. */
  url: string;
}

export interface PrometheusServer {
  /** http://127.0.0.1:port */
  readonly url: string;
  /** Evaluates `expr` now through /api/v1/query; rejects unless it is an instant vector. */
  query(expr: string): Promise<Sample[]>;
  /** Evaluates a range selector (`name{labels}[5m]`) now: each series with every sample it holds, oldest first. */
  queryRange(expr: string): Promise<SeriesSamples[]>;
  /** What Prometheus wrote to stderr so far (its log). */
  log(): string;
  /** Kills the server and removes its folder. Idempotent. */
  stop(): Promise<void>;
}

const running = new Set<PrometheusServer>();

/**
 * Starts `prometheus` scraping `targets` every second, and resolves once /-/ready answers 200
 * (bounded by `readyTimeoutMs`); rejects with its log if it exits or is not ready in time.
 */
export async function startPrometheus(targets: readonly ScrapeTarget[], readyTimeoutMs = 20_000): Promise<PrometheusServer> {
  const folder = await mkdtemp(join(tmpdir(), 'percore-prometheus-'));
  const config = join(folder, 'prometheus.yml');
  await writeFile(config, scrapeConfig(targets));
  const port = await freePort();
  const child = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(folder, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // Nothing of the package's defaults: no consoles, no remote reads, a short retention.
      '--storage.tsdb.retention.time=1h',
      '--log.level=info',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1));
    // A binary that cannot be run emits 'error' and no 'exit'.
    child.once('error', (error) => {
      log += `\nspawn failed: ${error.message}`;
      resolve('spawn failed');
    });
  });
  const url = `http://127.0.0.1:${port}`;
  let stopped = false;
  const server: PrometheusServer = {
    url,
    query: async (expr) => (await apiQuery(url, expr, 'vector')).map(({ metric, value }) => ({ metric, value: Number(value![1]) })),
    queryRange: async (expr) =>
      (await apiQuery(url, expr, 'matrix')).map(({ metric, values }) => ({ metric, values: values!.map(([, value]) => Number(value)) })),
    log: () => log,
    async stop() {
      if (stopped) return;
      stopped = true;
      running.delete(server);
      await kill(child, exited);
      await rm(folder, { recursive: true, force: true });
    },
  };
  running.add(server);
  let exitCode: number | string | null = null;
  void exited.then((code) => (exitCode = code));
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (exitCode !== null) {
      await server.stop();
      throw new Error(`prometheus exited (${exitCode}) before it was ready:\n${log}`);
    }
    if (await ready(url)) return server;
    await sleep(100);
  }
  await server.stop();
  throw new Error(`prometheus was not ready within ${readyTimeoutMs} ms:\n${log}`);
}

/** Stops every server startPrometheus started that is still running. */
export async function stopPrometheusServers(): Promise<void> {
  await Promise.all([...running].map((server) => server.stop()));
}

/**
 * Polls `expr` until `accept` takes its samples, or until `timeoutMs` passes: then rejects with
 * the last samples seen (or the last error), so a failure says how far off it was.
 */
export async function pollQuery(
  prometheus: PrometheusServer,
  expr: string,
  accept: (samples: Sample[]) => boolean,
  timeoutMs = 20_000,
): Promise<Sample[]> {
  const deadline = Date.now() + timeoutMs;
  let last: Sample[] | Error = [];
  for (;;) {
    try {
      last = await prometheus.query(expr);
      if (accept(last)) return last;
    } catch (error) {
      last = error as Error;
    }
    if (Date.now() >= deadline) break;
    await sleep(250);
  }
  const seen = last instanceof Error ? `the query failed: ${last.message}` : `it last gave ${JSON.stringify(last)}`;
  throw new Error(`${expr}: not as expected within ${timeoutMs} ms; ${seen}`);
}

/** A config with one job per target, scraped every second. */
function scrapeConfig(targets: readonly ScrapeTarget[]): string {
  const jobs = targets.map(({ job, url }) => {
    const target = new URL(url);
    return [
      `  - job_name: ${JSON.stringify(job)}`,
      `    metrics_path: ${JSON.stringify(target.pathname)}`,
      `    scheme: ${target.protocol.slice(0, -1)}`,
      '    static_configs:',
      `      - targets: [${JSON.stringify(target.host)}]`,
    ].join('\n');
  });
  return ['global:', '  scrape_interval: 1s', '  scrape_timeout: 1s', '  evaluation_interval: 1s', 'scrape_configs:', ...jobs, ''].join('\n');
}

interface ApiResult {
  metric: Record<string, string>;
  /** A vector's sample: [unix seconds, value as text]. */
  value?: [number, string];
  /** A matrix's samples. */
  values?: Array<[number, string]>;
}

/** GET /api/v1/query: rejects on an error, or on a result of another type than `type`. */
async function apiQuery(url: string, expr: string, type: 'vector' | 'matrix'): Promise<ApiResult[]> {
  const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`, { signal: AbortSignal.timeout(5000) });
  const body = (await response.json()) as { status: string; error?: string; data?: { resultType: string; result: ApiResult[] } };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error ?? response.status}`);
  if (body.data?.resultType !== type) throw new Error(`${expr}: a ${body.data?.resultType}, not a ${type}`);
  return body.data.result;
}

async function ready(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL if it has not exited within 3 s. */
async function kill(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

/** A port free on 127.0.0.1 a moment ago (Prometheus takes no port 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
