import { PercoreError } from '../errors.js';
import type { Engine } from '../http/engine.js';
import { combineObservers, type ExchangeObserver } from '../http/observer.js';
import type { MessageData, PublishSink } from '../pubsub/types.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { createServer } from '../server.js';
import type { WorkerStats } from './messages.js';
import type { ResolvedServeOptions } from './options.js';

/**
 * What one process serves: the chosen engine, with an observer that counts its requests. Used by
 * each cluster worker, and by `serve({ cluster: false })`.
 */
export class WorkerRuntime {
  readonly engine: Engine;
  private requests = 0;

  constructor(options: ResolvedServeOptions) {
    const counter: ExchangeObserver = { started: () => void this.requests++ };
    this.engine = createServer({ ...options, observer: combineObservers(counter, options.observer)! });
  }

  get scheduler(): Scheduler {
    return this.engine.scheduler;
  }

  /** Whether this process serves WebSocket topics (and so takes publishes). */
  get publishes(): boolean {
    return this.engine.pubsub !== null;
  }

  /** Listens; resolves with the port. Rejects with PERCORE_ERR_LISTEN_FAILED, the system error as its cause. */
  async listen(host: string, port: number, backlog?: number): Promise<number> {
    return (await this.engine.listen({ host, port, backlog })).port;
  }

  stats(): WorkerStats {
    return { pid: process.pid, requests: this.requests, scheduler: this.engine.scheduler.stats(), listener: this.engine.stats() };
  }

  stopAccepting(): void {
    this.engine.stopAccepting();
  }

  close(graceMs: number): Promise<void> {
    return this.engine.close({ graceMs });
  }

  /** Publishes to this process's subscribers and, once a relay is set, the cluster's. */
  publish(topic: string, message: MessageData, isBinary = typeof message !== 'string', compress = false): void {
    const pubsub = this.engine.pubsub;
    if (pubsub === null) throw pubsubUnavailable();
    pubsub.publish(topic, message, isBinary, compress);
  }

  /** Publishes to this process's subscribers only (a publish relayed by the primary). */
  publishLocal(topic: string, message: MessageData, isBinary: boolean, compress: boolean): void {
    this.engine.pubsub?.publishLocal(topic, message, isBinary, compress);
  }

  /** Where this process's publishes go beyond it: the primary, in a cluster. */
  setPublishRelay(relay: PublishSink): void {
    this.engine.pubsub?.setPublishRelay(relay);
  }
}

export function pubsubUnavailable(): PercoreError {
  return new PercoreError('PERCORE_ERR_PUBSUB_UNAVAILABLE', "publish needs engine: 'uws' (WebSockets and pub/sub run on uWebSockets.js)");
}
