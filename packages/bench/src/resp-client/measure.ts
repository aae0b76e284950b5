/**
 * The two workloads of `pnpm bench resp-client`, run by 50 (--callers) concurrent callers that share
 * one client, that is one connection: every client under test pipelines the commands of concurrent
 * callers over its connection.
 *
 * - plain: each caller loops `await SET key value; await GET key` on its own key;
 * - pipelined: each caller issues a batch of --pipeline commands (SET k0, GET k0, SET k1, GET k1...,
 *   its own keys) and awaits them all before the next batch.
 *
 * Every GET's reply is checked against the value, so a client that answers wrongly fails the run.
 */

export type Workload = 'plain' | 'pipelined';
export const WORKLOADS: readonly Workload[] = ['plain', 'pipelined'];

/** What every SET writes: 32 bytes (redis-benchmark's default is 3). */
export const VALUE = 'percore-bench-value-0123456789ab';

/** One command of a pipelined batch: SET key VALUE, or GET key. */
export interface BatchCommand {
  key: string;
  set: boolean;
}

export type ReplyCallback = (error: Error | null, reply?: unknown) => void;

/** A client used as its users write promise code. `batch` resolves with the replies in order. */
export interface PromiseClient {
  style: 'promise';
  set(key: string, value: string): Promise<unknown>;
  get(key: string): Promise<unknown>;
  batch(commands: readonly BatchCommand[]): Promise<unknown[]>;
  close(): Promise<void>;
}

/** A client's callback form (percore's `send`): no promise per command. */
export interface CallbackClient {
  style: 'callback';
  set(key: string, value: string, callback: ReplyCallback): void;
  get(key: string, callback: ReplyCallback): void;
  close(): Promise<void>;
}

export type ClientUnderTest = PromiseClient | CallbackClient;

export interface CellSettings {
  workload: Workload;
  callers: number;
  /** Commands per batch in the pipelined workload. */
  pipeline: number;
  warmupMs: number;
  durationMs: number;
}

/** What one measured window gave: commands answered, its length, and this process's CPU in it. */
export interface CellMeasurement {
  ops: number;
  elapsedMs: number;
  cpuUserUs: number;
  cpuSystemUs: number;
}

/** The batch a caller sends: SET/GET alternating on `pipeline / 2` keys of its own (an odd batch ends with a SET). */
export function batchFor(caller: number, pipeline: number): BatchCommand[] {
  return Array.from({ length: pipeline }, (_, i) => ({ key: `bench:${caller}:${i >> 1}`, set: i % 2 === 0 }));
}

class WrongReply extends Error {
  constructor(key: string, reply: unknown) {
    super(`GET ${key} answered ${JSON.stringify(reply)}, not the value just SET`);
  }
}

interface Run {
  ops: number;
  stopped: boolean;
}

async function plainPromise(client: PromiseClient, caller: number, run: Run): Promise<void> {
  const key = `bench:${caller}`;
  while (!run.stopped) {
    await client.set(key, VALUE);
    const reply = await client.get(key);
    if (reply !== VALUE) throw new WrongReply(key, reply);
    run.ops += 2;
  }
}

async function pipelinedPromise(client: PromiseClient, caller: number, pipeline: number, run: Run): Promise<void> {
  const batch = batchFor(caller, pipeline);
  while (!run.stopped) {
    const replies = await client.batch(batch);
    for (let i = 1; i < batch.length; i += 2) if (replies[i] !== VALUE) throw new WrongReply(batch[i]!.key, replies[i]);
    run.ops += batch.length;
  }
}

function plainCallback(client: CallbackClient, caller: number, run: Run, done: (error?: Error) => void): void {
  const key = `bench:${caller}`;
  const next = () => (run.stopped ? done() : client.set(key, VALUE, afterSet));
  const afterSet: ReplyCallback = (error) => (error !== null ? done(error) : client.get(key, afterGet));
  const afterGet: ReplyCallback = (error, reply) => {
    if (error !== null) return done(error);
    if (reply !== VALUE) return done(new WrongReply(key, reply));
    run.ops += 2;
    next();
  };
  next();
}

function pipelinedCallback(client: CallbackClient, caller: number, pipeline: number, run: Run, done: (error?: Error) => void): void {
  const batch = batchFor(caller, pipeline);
  let waiting = 0;
  let failed: Error | null = null;
  const replied = (index: number): ReplyCallback => {
    const check = !batch[index]!.set;
    return (error, reply) => {
      if (error !== null) failed ??= error;
      else if (check && reply !== VALUE) failed ??= new WrongReply(batch[index]!.key, reply);
      if (--waiting > 0) return;
      if (failed !== null) return done(failed);
      run.ops += batch.length;
      next();
    };
  };
  // One callback per position, made once: the loop allocates nothing of its own per batch.
  const callbacks = batch.map((_, i) => replied(i));
  const next = () => {
    if (run.stopped) return done();
    waiting = batch.length;
    for (let i = 0; i < batch.length; i++) {
      const command = batch[i]!;
      if (command.set) client.set(command.key, VALUE, callbacks[i]!);
      else client.get(command.key, callbacks[i]!);
    }
  };
  next();
}

function caller(client: ClientUnderTest, index: number, settings: CellSettings, run: Run): Promise<void> {
  if (client.style === 'promise') {
    return settings.workload === 'plain' ? plainPromise(client, index, run) : pipelinedPromise(client, index, settings.pipeline, run);
  }
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => (error === undefined ? resolve() : reject(error));
    if (settings.workload === 'plain') plainCallback(client, index, run, done);
    else pipelinedCallback(client, index, settings.pipeline, run, done);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the callers for the warm-up and then the measured window without a pause between them.
 * The window ends once every caller has finished the iteration it was in when time was up, so
 * each command counted was answered inside it. A failed command or a wrong reply rejects.
 */
export async function measureCell(client: ClientUnderTest, settings: CellSettings): Promise<CellMeasurement> {
  const run: Run = { ops: 0, stopped: false };
  const callers = Array.from({ length: settings.callers }, (_, i) => caller(client, i, settings, run));
  // Fail fast: a caller that throws ends the wait below at once rather than after the window.
  const failed = Promise.all(callers).then(() => new Promise<never>(() => {}));
  const wait = (ms: number) => Promise.race([sleep(ms), failed]);
  try {
    await wait(settings.warmupMs);
    const opsBefore = run.ops;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await wait(settings.durationMs);
    run.stopped = true;
    await Promise.all(callers);
    const elapsedMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    return { ops: run.ops - opsBefore, elapsedMs, cpuUserUs: cpu.user, cpuSystemUs: cpu.system };
  } finally {
    run.stopped = true;
    await Promise.allSettled(callers);
  }
}
