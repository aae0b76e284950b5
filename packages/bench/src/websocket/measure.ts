/**
 * The three rows of `pnpm bench websocket`, run by the load client against one server process:
 *
 * - echo: `connections` sockets on /echo, each keeping one text message in flight (send, wait for
 *   the echo, check its bytes, send again);
 * - fanout: `subscribers` sockets on /fanout that only count frames, and one publisher on /fanout
 *   whose every message the server publishes to all of them; the publisher keeps at most `window`
 *   broadcasts in flight (broadcast k goes out once every subscriber has k - window);
 * - idle: the server's VmRSS before and after `idleSockets` idle sockets are opened, each read after
 *   `settleMs`, nothing forced (no GC).
 *
 * Rates are counted after `warmupMs`, over `durationMs`, with the server's CPU time from /proc.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { openWebSocket, type BenchSocket, type OpenOptions } from './client.js';
import { maskedFrame, OPCODE_TEXT, textPayload } from './frames.js';
import { processCpuMs, processRssKiB } from './proc.js';

export type RowId = 'echo' | 'fanout' | 'idle';
export const ROW_IDS: readonly RowId[] = ['echo', 'fanout', 'idle'];

export interface RowSpec {
  row: RowId;
  host: string;
  port: number;
  /** The server process, for its CPU time and RSS (/proc/PID). */
  serverPid: number;
  connections: number;
  messageBytes: number;
  subscribers: number;
  window: number;
  idleSockets: number;
  settleMs: number;
  warmupMs: number;
  durationMs: number;
}

export interface EchoResult {
  row: 'echo';
  roundTrips: number;
  elapsedMs: number;
  serverCpuMs: number;
  /** The load client's own CPU time in the window (process.cpuUsage): near elapsedMs, the client was the bottleneck. */
  clientCpuMs: number;
  p50Us: number;
  p99Us: number;
  /** Every echo received (warm-up included) and how many of them were byte for byte the message sent. */
  echoes: number;
  matched: number;
}

export interface FanoutResult {
  row: 'fanout';
  deliveries: number;
  broadcasts: number;
  elapsedMs: number;
  serverCpuMs: number;
  clientCpuMs: number;
}

export interface IdleResult {
  row: 'idle';
  sockets: number;
  rssBeforeKiB: number;
  rssAfterKiB: number;
  openMs: number;
}

export type RowResult = EchoResult | FanoutResult | IdleResult;

/** Source addresses for many connections: 10,000 per address (the ephemeral range is about 28,000), 127.0.0.1 first. */
export function sourceAddress(index: number): string | undefined {
  const block = Math.floor(index / 10_000);
  return block === 0 ? undefined : `127.0.0.${block + 1}`;
}

type SocketOptions = Omit<OpenOptions, 'host' | 'port' | 'onError'>;

/** Opens `count` sockets, at most 200 handshakes at a time; any error (then or later) rejects `failed`. */
async function openMany(
  spec: RowSpec,
  count: number,
  options: (index: number) => SocketOptions,
  onError: (error: Error) => void,
): Promise<BenchSocket[]> {
  const sockets: BenchSocket[] = new Array<BenchSocket>(count);
  let next = 0;
  const opener = async () => {
    while (next < count) {
      const index = next++;
      sockets[index] = await openWebSocket({ host: spec.host, port: spec.port, onError, ...options(index) });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(200, count) }, opener));
  } catch (error) {
    for (const socket of sockets) socket?.close();
    throw error;
  }
  return sockets;
}

/** Runs `body` until a socket error, which then rejects; the sockets are closed either way. */
function guarded<T>(body: (onError: (error: Error) => void, failed: Promise<never>) => Promise<T>): Promise<T> {
  let fail!: (error: Error) => void;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => {});
  return Promise.race([body((error) => fail(error), failed), failed]);
}

/** This process's CPU time (user + system) in milliseconds. */
function ownCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function runEcho(spec: RowSpec): Promise<EchoResult> {
  return guarded(async (onError, failed) => {
    const message = textPayload(spec.messageBytes);
    const frame = maskedFrame(OPCODE_TEXT, message);
    let counting = false;
    let running = true;
    let roundTrips = 0;
    let echoes = 0;
    let matched = 0;
    let latencies = new Float64Array(1 << 16);
    const sentAt = new Float64Array(spec.connections);
    const sockets = await openMany(
      spec,
      spec.connections,
      (index) => ({
        path: '/echo',
        keepPayload: true,
        ...(sourceAddress(index) !== undefined ? { localAddress: sourceAddress(index)! } : {}),
        onFrame: (opcode, fin, payload) => {
          const now = performance.now();
          echoes++;
          if (opcode === OPCODE_TEXT && fin && payload !== undefined && payload.equals(message)) matched++;
          if (counting) {
            if (roundTrips === latencies.length) {
              const wider = new Float64Array(latencies.length * 2);
              wider.set(latencies);
              latencies = wider;
            }
            latencies[roundTrips++] = (now - sentAt[index]!) * 1000;
          }
          if (!running) return;
          sentAt[index] = now;
          sockets[index]!.socket.write(frame);
        },
      }),
      onError,
    );
    try {
      for (let i = 0; i < sockets.length; i++) {
        sentAt[i] = performance.now();
        sockets[i]!.socket.write(frame);
      }
      await Promise.race([sleep(spec.warmupMs), failed]);
      const cpuStart = processCpuMs(spec.serverPid);
      const clientStart = ownCpuMs();
      const start = performance.now();
      counting = true;
      await Promise.race([sleep(spec.durationMs), failed]);
      counting = false;
      const elapsedMs = performance.now() - start;
      const serverCpuMs = processCpuMs(spec.serverPid) - cpuStart;
      const clientCpuMs = ownCpuMs() - clientStart;
      running = false;
      const sorted = latencies.subarray(0, roundTrips).sort();
      return {
        row: 'echo',
        roundTrips,
        elapsedMs,
        serverCpuMs,
        clientCpuMs,
        p50Us: percentile(sorted, 50),
        p99Us: percentile(sorted, 99),
        echoes,
        matched,
      };
    } finally {
      running = false;
      for (const socket of sockets) socket.close();
    }
  });
}

export function runFanout(spec: RowSpec): Promise<FanoutResult> {
  return guarded(async (onError, failed) => {
    const subscribers = spec.subscribers;
    const frame = maskedFrame(OPCODE_TEXT, textPayload(spec.messageBytes));
    // Frames each subscriber has counted; TCP keeps a subscriber's broadcasts in order, so its j-th frame is broadcast j.
    const got = new Uint32Array(subscribers);
    // Subscribers holding broadcast b, at b % ring; broadcasts past `complete` are at most `window` ahead.
    const ring = spec.window * 2 + 2;
    const holding = new Uint32Array(ring);
    let complete = 0;
    let sent = 0;
    let delivered = 0;
    let running = true;
    let publisher: BenchSocket | undefined;
    let firstDone: (() => void) | undefined;
    const pump = () => {
      while (running && sent - complete < spec.window) {
        sent++;
        publisher!.socket.write(frame);
      }
    };
    const sockets = await openMany(
      spec,
      subscribers,
      (index) => ({
        path: '/fanout',
        keepPayload: false,
        ...(sourceAddress(index) !== undefined ? { localAddress: sourceAddress(index)! } : {}),
        onFrame: () => {
          delivered++;
          const broadcast = ++got[index]!;
          holding[broadcast % ring]!++;
          if (broadcast !== complete + 1) return;
          while (holding[(complete + 1) % ring] === subscribers) {
            holding[(complete + 1) % ring] = 0;
            complete++;
          }
          if (complete >= 1 && firstDone !== undefined) {
            firstDone();
            firstDone = undefined;
          }
          pump();
        },
      }),
      onError,
    );
    try {
      publisher = await openWebSocket({ host: spec.host, port: spec.port, path: '/fanout', keepPayload: false, onFrame: () => {}, onError });
      // Every subscriber must be subscribed: the first broadcast reaches them all, or the row fails.
      const first = new Promise<void>((resolve) => (firstDone = resolve));
      sent = 1;
      publisher.socket.write(frame);
      const timeout = sleep(10_000).then(() => {
        throw new Error(`the first broadcast reached ${holding[1 % ring]} of ${subscribers} subscribers within 10 s`);
      });
      await Promise.race([first, failed, timeout]);
      pump();
      await Promise.race([sleep(spec.warmupMs), failed]);
      const cpuStart = processCpuMs(spec.serverPid);
      const clientStart = ownCpuMs();
      const start = performance.now();
      const deliveredStart = delivered;
      const completeStart = complete;
      await Promise.race([sleep(spec.durationMs), failed]);
      const elapsedMs = performance.now() - start;
      const serverCpuMs = processCpuMs(spec.serverPid) - cpuStart;
      const clientCpuMs = ownCpuMs() - clientStart;
      running = false;
      return {
        row: 'fanout',
        deliveries: delivered - deliveredStart,
        broadcasts: complete - completeStart,
        elapsedMs,
        serverCpuMs,
        clientCpuMs,
      };
    } finally {
      running = false;
      publisher?.close();
      for (const socket of sockets) socket.close();
    }
  });
}

export function runIdle(spec: RowSpec): Promise<IdleResult> {
  return guarded(async (onError, failed) => {
    await Promise.race([sleep(spec.settleMs), failed]);
    const rssBeforeKiB = processRssKiB(spec.serverPid);
    const start = performance.now();
    const sockets = await openMany(
      spec,
      spec.idleSockets,
      (index) => ({
        path: '/echo',
        keepPayload: false,
        ...(sourceAddress(index) !== undefined ? { localAddress: sourceAddress(index)! } : {}),
        onFrame: () => onError(new Error('an idle socket got a message')),
      }),
      onError,
    );
    try {
      const openMs = performance.now() - start;
      await Promise.race([sleep(spec.settleMs), failed]);
      return { row: 'idle', sockets: sockets.length, rssBeforeKiB, rssAfterKiB: processRssKiB(spec.serverPid), openMs };
    } finally {
      for (const socket of sockets) socket.close();
    }
  });
}

export function runRow(spec: RowSpec): Promise<RowResult> {
  return spec.row === 'echo' ? runEcho(spec) : spec.row === 'fanout' ? runFanout(spec) : runIdle(spec);
}
