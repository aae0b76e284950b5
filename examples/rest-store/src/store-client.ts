/**
 * What the routes need from the store, so that they run the same against the store in this
 * process (single-process mode, tests) or against the primary's store over IPC (a worker).
 */
import type { LogStore, PutResult } from './log-store.js';

export interface StoreClient {
  /** Every item as one JSON object text. */
  list(): Promise<string>;
  get(id: string): Promise<string | undefined>;
  /** Resolves once the write is durable. */
  put(id: string, value: string): Promise<PutResult>;
  /** Resolves with whether the id existed, once the delete is durable. */
  delete(id: string): Promise<boolean>;
}

export function localStoreClient(store: LogStore): StoreClient {
  return {
    list: async () => store.list(),
    get: async (id) => store.get(id),
    put: (id, value) => store.put(id, value),
    delete: (id) => store.delete(id),
  };
}
