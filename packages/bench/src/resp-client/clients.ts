/**
 * The clients under test, each connected to 127.0.0.1:port with its defaults except where noted,
 * and each speaking RESP2 (node-redis v5+ would send HELLO 3 by default; percore and ioredis speak RESP2).
 * Each uses its own typed `set`/`get`; what each does for a pipelined batch is written at its case.
 */
import { percoreDistUrl } from '../routing/routers.js';
import type { BatchCommand, CallbackClient, ClientUnderTest, PromiseClient, ReplyCallback } from './measure.js';
import { VALUE } from './measure.js';

export const CLIENT_IDS = ['percore', 'percore-send', 'ioredis', 'ioredis-auto', 'node-redis', 'node-redis-no-timeout'] as const;
export type ClientId = (typeof CLIENT_IDS)[number];

/** What each row is, for the report. */
export const CLIENT_NOTES: Record<ClientId, string> = {
  percore:
    'percore `RespClient` (packages/server/dist), promise form: `set`/`get`; a batch is --pipeline `set`/`get` calls then `Promise.all`',
  'percore-send':
    'the same client, callback form: `send([SET, k, v], cb)` / `send([GET, k], cb)`; a batch is --pipeline `send` calls, counted down by their callbacks',
  ioredis: 'ioredis, defaults (each command written when called): `set`/`get`; a batch is `pipeline().set().get()...exec()`',
  'ioredis-auto': 'ioredis with `enableAutoPipelining: true` (commands of one tick in one write); batches as ioredis',
  'node-redis':
    '@redis/client `createClient({ RESP: 2 })`: `set`/`get`; a batch is --pipeline calls then `Promise.all` (it writes the commands of one tick together; `multi()` would be a MULTI/EXEC transaction)',
  'node-redis-no-timeout':
    'node-redis as above with `commandOptions: { timeout: 0 }`: without its default 5 s command timeout (an `AbortSignal.timeout` per command; percore and ioredis have none by default)',
};

/** The percore types this bench uses, as packages/server/dist exports them. */
interface PercoreRespClient {
  set(key: string, value: string): Promise<unknown>;
  get(key: string): Promise<unknown>;
  send(args: readonly string[], callback: ReplyCallback): void;
  close(): Promise<void>;
}
interface PercoreModule {
  RespClient?: { connect(options: { host: string; port: number; reconnect: false }): Promise<PercoreRespClient> };
}

async function percore(port: number): Promise<PercoreRespClient> {
  const url = percoreDistUrl();
  const { RespClient } = (await import(url.href)) as PercoreModule;
  if (RespClient === undefined) throw new Error(`no RespClient in ${url.pathname}: build packages/server first (pnpm -r exec tsc -b)`);
  return RespClient.connect({ host: '127.0.0.1', port, reconnect: false });
}

function percorePromise(client: PercoreRespClient): PromiseClient {
  return {
    style: 'promise',
    set: (key, value) => client.set(key, value),
    get: (key) => client.get(key),
    batch: (commands) => Promise.all(commands.map((c) => (c.set ? client.set(c.key, VALUE) : client.get(c.key)))),
    close: () => client.close(),
  };
}

function percoreCallback(client: PercoreRespClient): CallbackClient {
  return {
    style: 'callback',
    set: (key, value, callback) => client.send(['SET', key, value], callback),
    get: (key, callback) => client.send(['GET', key], callback),
    close: () => client.close(),
  };
}

async function ioredis(port: number, autoPipelining: boolean): Promise<PromiseClient> {
  const { Redis } = await import('ioredis');
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, enableAutoPipelining: autoPipelining, maxRetriesPerRequest: 0 });
  await client.connect();
  return {
    style: 'promise',
    set: (key, value) => client.set(key, value),
    get: (key) => client.get(key),
    batch: async (commands: readonly BatchCommand[]) => {
      const pipeline = client.pipeline();
      for (const c of commands) {
        if (c.set) pipeline.set(c.key, VALUE);
        else pipeline.get(c.key);
      }
      // exec() resolves with [error, reply] per command.
      const results = (await pipeline.exec()) ?? [];
      return results.map(([error, reply]) => {
        if (error) throw error;
        return reply;
      });
    },
    close: async () => {
      await client.quit();
    },
  };
}

async function nodeRedis(port: number, commandTimeout: boolean): Promise<PromiseClient> {
  const { createClient } = await import('@redis/client');
  const client = createClient({
    socket: { host: '127.0.0.1', port, reconnectStrategy: false },
    RESP: 2,
    ...(commandTimeout ? {} : { commandOptions: { timeout: 0 } }),
  });
  let lastError: unknown;
  client.on('error', (error: unknown) => (lastError = error));
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`node-redis could not connect to port ${port}`, { cause: lastError ?? error });
  }
  return {
    style: 'promise',
    set: (key, value) => client.set(key, value),
    get: (key) => client.get(key),
    batch: (commands) => Promise.all(commands.map((c) => (c.set ? client.set(c.key, VALUE) : client.get(c.key)))),
    close: () => client.close(),
  };
}

export async function connectClient(id: ClientId, port: number): Promise<ClientUnderTest> {
  switch (id) {
    case 'percore':
      return percorePromise(await percore(port));
    case 'percore-send':
      return percoreCallback(await percore(port));
    case 'ioredis':
      return ioredis(port, false);
    case 'ioredis-auto':
      return ioredis(port, true);
    case 'node-redis':
      return nodeRedis(port, true);
    case 'node-redis-no-timeout':
      return nodeRedis(port, false);
  }
}
