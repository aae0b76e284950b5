import type { EngineStats } from '../http/engine.js';
import type { SchedulerStats } from '../scheduler/scheduler.js';
import type { PublishEnvelope } from '../pubsub/envelope.js';
import type { MetricsSnapshot } from '../metrics/snapshot.js';

/** What a worker reports about itself, once a second and on request. */
export interface WorkerStats {
  pid: number;
  /** Requests answered (HTTP) since the worker started. */
  requests: number;
  scheduler: SchedulerStats;
  listener: EngineStats;
}

/**
 * Worker → primary. Every message carries `percore` so others sharing the IPC channel are
 * ignored. A 'publish' is relayed to every other worker.
 */
export type WorkerMessage =
  | { percore: 'listening'; port: number }
  /** The answer to 'stop-accepting': sent after the worker's listening socket closed. */
  | { percore: 'stopped-accepting' }
  | { percore: 'listen-failed'; code: string; message: string }
  | { percore: 'stats'; stats: WorkerStats }
  | { percore: 'fatal'; error: string }
  /** A scrape reached this worker: gather the cluster's metrics, answered with 'metrics-reply'. */
  | { percore: 'metrics-request'; id: number }
  /** The answer to 'metrics-collect' (same id); id 0: the worker's last figures, sent as it exits. */
  | { percore: 'metrics-snapshot'; id: number; snapshot: MetricsSnapshot }
  | PublishEnvelope;

/**
 * Primary → worker. A drain comes in two steps: 'stop-accepting' (answered with
 * 'stopped-accepting'), then 'shutdown', which closes the connections. A 'publish' goes to the
 * worker's own subscribers only.
 */
export type PrimaryMessage =
  | { percore: 'stop-accepting' }
  | { percore: 'shutdown'; graceMs: number }
  /** Send this worker's metrics now, as a 'metrics-snapshot' with this id. */
  | { percore: 'metrics-collect'; id: number }
  /** The cluster's metrics, merged, for the worker's 'metrics-request' of this id. */
  | { percore: 'metrics-reply'; id: number; snapshot: MetricsSnapshot }
  /** The cluster's new TLS session ticket keys (48 bytes, hex): use them from now on. */
  | { percore: 'tls-ticket-keys'; keys: string }
  | PublishEnvelope;

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return typeof value === 'object' && value !== null && typeof (value as { percore?: unknown }).percore === 'string';
}
