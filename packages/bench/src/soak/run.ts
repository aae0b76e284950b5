import { setMaxListeners } from 'node:events';
import { availableParallelism } from 'node:os';
import { abortClient } from './load/abort.js';
import type { LoadContext } from './load/context.js';
import { keepAliveClient } from './load/keep-alive.js';
import { pipelineClient } from './load/pipeline.js';
import { badInputCases, oversizedCases, refusalClient } from './load/rejects.js';
import { slowReader } from './load/slow-reader.js';
import { CloseTimes } from './load/close-times.js';
import { within } from './load/connection.js';
import { slowlorisClient } from './load/slowloris.js';
import { ClusterProcess, clusterCommand } from './cluster-process.js';
import { RssSampler, type RssSeries } from './rss.js';
import { Tally, type ClassCounts, type LoadClass } from './tally.js';
import { verdictOf, type Verdict } from './verdict.js';

/** Concurrent clients per class. */
export type Mix = Record<LoadClass, number>;

export const DEFAULT_MIX: Readonly<Mix> = Object.freeze({
  'keep-alive': 8,
  pipeline: 4,
  'slow-reader': 2,
  abort: 2,
  slowloris: 4,
  oversized: 1,
  'bad-input': 1,
});

export interface SoakOptions {
  durationSeconds: number;
  workers: number;
  /** CPUs the machine has (counted before any pinning), for the record. */
  cores?: number;
  /** RSS start is the first sample after this. */
  warmupSeconds: number;
  /** taskset CPU list for the cluster. */
  serverCpus?: string;
  mix?: Mix;
  sampleIntervalMs?: number;
  progressIntervalMs?: number;
  /** Called every progressIntervalMs with a snapshot. */
  progress?: (snapshot: SoakSnapshot) => void;
  /** Called with the cluster once it runs, so a caller can reap it whatever happens. */
  onCluster?: (cluster: ClusterProcess) => void;
}

export interface SoakSnapshot {
  elapsedSeconds: number;
  counts: Record<LoadClass, ClassCounts>;
  rss: RssSeries[];
  failures: number;
}

export interface SoakResult {
  date: string;
  node: string;
  cores: number;
  durationSeconds: number;
  warmupSeconds: number;
  workers: number;
  serverCommand: string;
  mix: Mix;
  counts: Record<LoadClass, ClassCounts>;
  /** The first failures described, of failureCount. */
  failures: string[];
  failureCount: number;
  workerPids: number[];
  workerChanges: string[];
  primaryAliveAtEnd: boolean;
  rss: RssSeries[];
  /** How long the server took to end trickled heads, and half-closed bodies. */
  slowloris: CloseTimes;
  halfCloses: CloseTimes;
  shutdownMs: number | null;
  verdict: Verdict;
  /** The cluster's last output lines, kept when the verdict fails. */
  serverOutput?: string[];
}

const SHUTDOWN_GRACE_MS = 15_000;
/** The loops finish the unit in hand at the deadline: a slow reader's batch takes seconds; this bounds a stuck one. */
const WIND_DOWN_MS = 60_000;

/** Starts the cluster, runs the mixed load for the duration while sampling RSS and worker pids, stops it, and judges. */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const mix = options.mix ?? { ...DEFAULT_MIX };
  const clusterOptions = { workers: options.workers, ...(options.serverCpus !== undefined ? { cpus: options.serverCpus } : {}) };
  const cluster = await ClusterProcess.start(clusterOptions);
  options.onCluster?.(cluster);
  try {
    return await soak(options, mix, cluster, clusterCommand(clusterOptions).join(' '));
  } finally {
    cluster.kill();
  }
}

async function soak(options: SoakOptions, mix: Mix, cluster: ClusterProcess, serverCommand: string): Promise<SoakResult> {
  const workerPids = await cluster.waitForWorkers(options.workers);
  const pidKey = workerPids.join(',');
  const sampler = new RssSampler(workerPids);
  const tally = new Tally();
  const controller = new AbortController();
  // Every loop waits on the signal, some several times at once (half-closes, trickles): not a leak.
  setMaxListeners(1000, controller.signal);
  const ctx: LoadContext = { target: { host: '127.0.0.1', port: cluster.port }, tally, signal: controller.signal };
  const slowloris = new CloseTimes();
  const halfCloses = new CloseTimes();
  const started = Date.now();
  const workerChanges: string[] = [];

  const loops: Promise<void>[] = [];
  const spawnLoops = (n: number, loop: () => Promise<void>) => {
    for (let i = 0; i < n; i++) loops.push(loop());
  };
  spawnLoops(mix['keep-alive'], () => keepAliveClient(ctx));
  spawnLoops(mix.pipeline, () => pipelineClient(ctx));
  spawnLoops(mix['slow-reader'], () => slowReader(ctx));
  spawnLoops(mix.abort, () => abortClient(ctx, halfCloses));
  spawnLoops(mix.slowloris, () => slowlorisClient(ctx, slowloris));
  spawnLoops(mix.oversized, () => refusalClient(ctx, 'oversized', oversizedCases));
  spawnLoops(mix['bad-input'], () => refusalClient(ctx, 'bad-input', badInputCases));

  const snapshot = (): SoakSnapshot => ({
    elapsedSeconds: (Date.now() - started) / 1000,
    counts: tally.counts,
    rss: [...sampler.series.values()],
    failures: tally.totalFailures,
  });
  const check = () => {
    if ((Date.now() - started) / 1000 >= options.warmupSeconds) sampler.warmedUp();
    sampler.sample();
    const now = cluster.workerPids().join(',');
    if (now !== pidKey && workerChanges.at(-1)?.endsWith(`now [${now}]`) !== true) {
      workerChanges.push(`at ${((Date.now() - started) / 1000).toFixed(0)} s: was [${pidKey}], now [${now}]`);
    }
  };
  const sampleTimer = setInterval(check, options.sampleIntervalMs ?? 2_000);
  const progressTimer = setInterval(() => options.progress?.(snapshot()), options.progressIntervalMs ?? 10_000);
  check();

  await new Promise((resolve) => setTimeout(resolve, options.durationSeconds * 1000));
  // The last sample, under load, is the end figure.
  check();
  const primaryAliveAtEnd = cluster.alive;
  clearInterval(sampleTimer);
  clearInterval(progressTimer);
  controller.abort();
  const wound = (await within(Promise.all(loops), WIND_DOWN_MS)) !== null;
  const shutdownMs = await cluster.stop(SHUTDOWN_GRACE_MS);

  const rss = [...sampler.series.values()];
  const verdict = verdictOf({ counts: tally.counts, rss, workerChanges, primaryAliveAtEnd, shutdownMs, loopsEnded: wound });
  return {
    date: new Date(started).toISOString(),
    node: process.version,
    cores: options.cores ?? availableParallelism(),
    durationSeconds: options.durationSeconds,
    warmupSeconds: options.warmupSeconds,
    workers: options.workers,
    serverCommand,
    mix,
    counts: tally.counts,
    failures: tally.failures,
    failureCount: tally.totalFailures,
    workerPids,
    workerChanges,
    primaryAliveAtEnd,
    rss,
    slowloris,
    halfCloses,
    shutdownMs,
    verdict,
    ...(verdict.pass ? {} : { serverOutput: cluster.output.slice(-40) }),
  };
}
