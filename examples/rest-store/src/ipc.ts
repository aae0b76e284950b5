/**
 * Workers reach the primary's store over the cluster's IPC channel, beside percore's own
 * messages. Ours carry `restStore` and no `percore` key, which percore's primary and workers
 * ignore (packages/server/src/cluster/messages.ts). Each request has a sequence number, and the
 * primary answers it once the store has (durably, for writes) done it.
 */
import type { Worker } from 'node:cluster';
import type { LogStore, PutResult } from './log-store.js';
import type { StoreClient } from './store-client.js';

type StoreRequest =
  | { restStore: 'request'; seq: number; op: 'list' }
  | { restStore: 'request'; seq: number; op: 'get' | 'delete'; id: string }
  | { restStore: 'request'; seq: number; op: 'put'; id: string; value: string };

type StoreReply =
  { restStore: 'reply'; seq: number; ok: true; result: unknown } | { restStore: 'reply'; seq: number; ok: false; error: string };

type Omit1<T> = T extends unknown ? Omit<T, 'restStore' | 'seq'> : never;

function isStoreMessage<T extends { restStore: string }>(value: unknown, kind: T['restStore']): value is T {
  return typeof value === 'object' && value !== null && (value as { restStore?: unknown }).restStore === kind;
}

/** The primary's side: answers one worker's request from the store. */
export function answerWorker(store: LogStore, worker: Worker, message: unknown): void {
  if (!isStoreMessage<StoreRequest>(message, 'request')) return;
  const reply = (body: { ok: true; result: unknown } | { ok: false; error: string }) => {
    if (worker.isConnected()) worker.send({ restStore: 'reply', seq: message.seq, ...body } satisfies StoreReply, () => {});
  };
  let result: Promise<unknown>;
  switch (message.op) {
    case 'list':
      result = Promise.resolve(store.list());
      break;
    case 'get':
      result = Promise.resolve(store.get(message.id) ?? null);
      break;
    case 'put':
      result = store.put(message.id, message.value);
      break;
    case 'delete':
      result = store.delete(message.id);
      break;
  }
  result.then(
    (value) => reply({ ok: true, result: value }),
    (error: unknown) => reply({ ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
}

/** A worker's side: every call is one request to the primary. */
export function ipcStoreClient(): StoreClient {
  const waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let seq = 0;
  process.on('message', (message: unknown) => {
    if (!isStoreMessage<StoreReply>(message, 'reply')) return;
    const entry = waiting.get(message.seq);
    if (entry === undefined) return;
    waiting.delete(message.seq);
    if (message.ok) entry.resolve(message.result);
    else entry.reject(new Error(`store: ${message.error}`));
  });
  // Without the primary no answer comes: fail what waits (the client gets a 5xx, never a 2xx).
  process.on('disconnect', () => {
    for (const entry of waiting.values()) entry.reject(new Error('store: the primary is gone'));
    waiting.clear();
  });
  const call = (request: Omit1<StoreRequest>): Promise<unknown> =>
    new Promise((resolve, reject) => {
      if (process.send === undefined || !process.connected) return reject(new Error('store: no IPC channel to the primary'));
      const id = ++seq;
      waiting.set(id, { resolve, reject });
      process.send({ restStore: 'request', seq: id, ...request });
    });
  return {
    list: async () => (await call({ op: 'list' })) as string,
    get: async (id) => ((await call({ op: 'get', id })) as string | null) ?? undefined,
    put: async (id, value) => (await call({ op: 'put', id, value })) as PutResult,
    delete: async (id) => (await call({ op: 'delete', id })) as boolean,
  };
}
