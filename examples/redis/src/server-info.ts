/**
 * What INFO and CONFIG GET report (Redis's server.c genRedisInfoString and config.c), with the
 * fields redis-cli and redis-benchmark read: redis_version, redis_mode, os, arch_bits, role,
 * connected_clients, the keyspace line; and `save`/`appendonly` as a Redis without persistence
 * answers them (redis-benchmark 7 asks for both at start).
 */
import { arch, machine, platform, release } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { ResolvedRedisOptions } from './options.js';
import type { Keyspace } from './store/keyspace.js';
import type { PubSubHub } from './pubsub-hub.js';
import { globMatch } from './store/glob.js';

/** The Redis version whose replies this server follows (the one its tests compare against). */
export const REDIS_COMPATIBLE_VERSION = '7.0.15';

export interface ServerCounters {
  connectedClients: number;
  totalConnections: number;
  totalCommands: number;
  rejectedOutput: number;
}

export class ServerInfo {
  readonly startedAt = Date.now();
  readonly runId = randomBytes(20).toString('hex');
  readonly counters: ServerCounters = { connectedClients: 0, totalConnections: 0, totalCommands: 0, rejectedOutput: 0 };
  /** Set once listening. */
  port = 0;
  bind = '127.0.0.1';
  /** Worker processes serving the port, each with its own keyspace (1: a single process). */
  workers = 1;

  constructor(
    readonly options: ResolvedRedisOptions,
    private readonly keyspace: Keyspace,
    private readonly pubsub: PubSubHub,
  ) {}

  /** CONFIG GET's table: name → value, as Redis prints them. */
  config(): Array<[string, string]> {
    const o = this.options;
    return [
      ['save', ''],
      ['appendonly', 'no'],
      ['port', String(this.port)],
      ['bind', this.bind],
      ['databases', '1'],
      ['timeout', String(o.idleTimeoutSeconds)],
      ['maxclients', '10000'],
      ['maxmemory', '0'],
      ['proto-max-bulk-len', String(o.maxBulkLength)],
      ['client-query-buffer-limit', String(o.maxQueryBytes)],
      ['client-output-buffer-limit', `normal ${o.maxOutputBytes} 0 0 slave 0 0 0 pubsub ${o.maxOutputBytes} 0 0`],
      ['io-threads', '1'],
      ['cluster-enabled', 'no'],
    ];
  }

  /** CONFIG GET pattern [pattern ...]: each matching name once, in table order. */
  configGet(patterns: string[]): Array<[string, string]> {
    return this.config().filter(([name]) => patterns.some((pattern) => globMatch(pattern, name, true)));
  }

  /** INFO [section ...]: `default`, `all` and `everything` give every section here. */
  info(sections: string[]): string {
    const wanted = sections.map((section) => section.toLowerCase());
    const all = wanted.length === 0 || wanted.some((section) => section === 'all' || section === 'everything' || section === 'default');
    const out: string[] = [];
    for (const [name, lines] of this.sections()) {
      if (!all && !wanted.includes(name.toLowerCase())) continue;
      out.push(
        `# ${name}\r\n${lines()
          .map((line) => `${line}\r\n`)
          .join('')}`,
      );
    }
    return out.join('\r\n');
  }

  private sections(): Array<[string, () => string[]]> {
    const uptime = Math.floor((Date.now() - this.startedAt) / 1000);
    const memory = process.memoryUsage();
    return [
      [
        'Server',
        () => [
          `redis_version:${REDIS_COMPATIBLE_VERSION}`,
          'redis_mode:standalone',
          `os:${platform() === 'linux' ? 'Linux' : platform()} ${release()} ${machine()}`,
          `arch_bits:${arch().includes('64') ? 64 : 32}`,
          'multiplexing_api:node',
          `process_id:${process.pid}`,
          `run_id:${this.runId}`,
          `tcp_port:${this.port}`,
          `server_time_usec:${Date.now() * 1000}`,
          `uptime_in_seconds:${uptime}`,
          `uptime_in_days:${Math.floor(uptime / 86400)}`,
          'hz:10',
          `executable:${process.argv[1] ?? ''}`,
          'config_file:',
          `percore_node_version:${process.version}`,
          `percore_workers:${this.workers}`,
        ],
      ],
      [
        'Clients',
        () => [
          `connected_clients:${this.counters.connectedClients}`,
          'blocked_clients:0',
          `pubsub_channels:${this.pubsub.channelCount}`,
          `pubsub_patterns:${this.pubsub.patternCount}`,
        ],
      ],
      ['Memory', () => [`used_memory:${memory.heapUsed}`, `used_memory_rss:${memory.rss}`, 'maxmemory:0', 'maxmemory_policy:noeviction']],
      ['Persistence', () => ['loading:0', 'rdb_changes_since_last_save:0', 'aof_enabled:0']],
      [
        'Stats',
        () => [
          `total_connections_received:${this.counters.totalConnections}`,
          `total_commands_processed:${this.counters.totalCommands}`,
          `expired_keys:${this.keyspace.stats.expiredKeys}`,
          `keyspace_hits:${this.keyspace.stats.hits}`,
          `keyspace_misses:${this.keyspace.stats.misses}`,
          `client_output_buffer_limit_disconnections:${this.counters.rejectedOutput}`,
        ],
      ],
      ['Replication', () => ['role:master', 'connected_slaves:0']],
      ['Cluster', () => ['cluster_enabled:0']],
      [
        'Keyspace',
        () => (this.keyspace.size === 0 ? [] : [`db0:keys=${this.keyspace.size},expires=${this.keyspace.expiringCount},avg_ttl=0`]),
      ],
    ];
  }
}
