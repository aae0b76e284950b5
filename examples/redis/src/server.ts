/**
 * The server's state in one process: the keyspace (expiring on the scheduler's timer wheel), the
 * pub/sub hub, the INFO counters and the shared reply writer, and the Task protocol that makes a
 * session per connection. One of these per process: in a cluster, each worker has its own
 * keyspace (see the README for why).
 */
import type { Logger, Scheduler, TaskProtocol } from '@percore/server';
import { resolveOptions, type RedisServerOptions, type ResolvedRedisOptions } from './options.js';
import { ReplyWriter } from './protocol/reply-writer.js';
import { PubSubHub } from './pubsub-hub.js';
import { ServerInfo } from './server-info.js';
import { RedisSession } from './session.js';
import { Keyspace } from './store/keyspace.js';

export class RedisServer {
  readonly options: ResolvedRedisOptions;
  readonly keyspace: Keyspace;
  readonly pubsub = new PubSubHub();
  readonly info: ServerInfo;
  readonly reply = new ReplyWriter();
  readonly logger: Logger;

  constructor(scheduler: Scheduler, options: RedisServerOptions = {}) {
    this.options = resolveOptions(options);
    this.logger = scheduler.logger;
    this.keyspace = new Keyspace(scheduler.timers);
    this.info = new ServerInfo(this.options, this.keyspace, this.pubsub);
  }

  /** For `new Listener(scheduler, server.protocol)` or `serve({ protocol: server.protocol })`. */
  get protocol(): TaskProtocol {
    return { factory: (context) => new RedisSession(context, this) };
  }
}
