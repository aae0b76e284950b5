// picohttp's REST example on every core, with nothing lost: the primary owns the store (an
// fsync'd append-only log, compacted at start-up and as it grows), and the workers send it
// every read and write over IPC, so writes are serialized in one place and a GET after a 2xx
// PUT on any worker sees it.
// Run: node --import tsx examples/rest-store/src/server.ts
//   PORT (8080; 0 picks a free port), WORKERS (2), REST_STORE_DIR (./rest-store-data),
//   REST_STORE_FSYNC=0 to write without fdatasync (for the measurement), REST_STORE_ENGINE (net).
import cluster from 'node:cluster';
import { serve, type EngineName } from '@percore/server';
import { answerWorker, ipcStoreClient } from './ipc.js';
import { LogStore } from './log-store.js';
import { restHandler } from './routes.js';
import { localStoreClient, type StoreClient } from './store-client.js';

const dir = process.env.REST_STORE_DIR ?? 'rest-store-data';
const fsync = process.env.REST_STORE_FSYNC !== '0';

let client: StoreClient;
if (cluster.isPrimary) {
  // Before serve() forks: the workers' first requests find the store recovered.
  const store = await LogStore.open({ dir, fsync });
  const { items, records, droppedBytes, reason } = store.recovered;
  const dropped = droppedBytes > 0 ? `; dropped a ${droppedBytes}-byte torn tail (${reason})` : '';
  console.log(`rest-store: ${items.size} items from ${records} records in ${dir}${dropped}; fsync ${fsync ? 'on' : 'off'}`);
  cluster.on('message', (worker, message: unknown) => answerWorker(store, worker, message));
  client = localStoreClient(store);
} else {
  client = ipcStoreClient();
}

const handle = await serve({
  handler: restHandler(client),
  port: Number(process.env.PORT ?? 8080),
  workers: Number(process.env.WORKERS ?? 2),
  engine: (process.env.REST_STORE_ENGINE ?? 'net') as EngineName,
});

if (handle.role === 'primary') console.log(`listening on ${handle.url}`);
