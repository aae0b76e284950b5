/**
 * One cell of `pnpm bench idle`: a fresh server process, warmed up, its connection holders' VmRSS
 * read before and after `connections` idle keep-alive connections are opened (each read after
 * `settleMs`, nothing forced: no GC), and a check that the server still holds all of them.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, type ServerSpec } from '../servers.js';
import { openIdle, warmUp } from './client.js';
import { connectionHolders, describeHolders, rssKiB } from './process-tree.js';
import { serverConnections } from './tcp-table.js';

export interface CellSpec {
  connections: number;
  settleMs: number;
  /** taskset CPU list for the server, or none. */
  serverCpu?: string;
  /** The Node binary a Node server runs on (none: the bench's own). */
  node?: string;
}

export interface IdleMeasurement {
  /** The connections opened, each with a 200 response. */
  connections: number;
  /** Which processes' VmRSS was read, and their pids. */
  measured: string;
  measuredPids: number[];
  rssBeforeKiB: number;
  rssAfterKiB: number;
  /** Opening them all, in ms. */
  openMs: number;
  /** Those the server had closed when the second VmRSS was read (a FIN or a reset at the client). */
  closedByServer: number;
  /** The connections the kernel's TCP table showed the server holding at the second read. */
  heldByServer: number;
  /** Connections on which the server sent bytes after its response. */
  unexpectedData: number;
  /** Seconds from the start of the opening to the first close by the server, if one was closed. */
  firstClosedAfterS?: number;
}

/** Requests made before the first reading: on a few connections, then closed. */
export const WARM_UP = { connections: 4, requestsEach: 100 };

/** The longest a cell waits for the server to let go of the warm-up's and the readiness probe's connections. */
const QUIET_WAIT_MS = 15_000;

/** Waits until the server holds no connections (the readiness probe's keep-alive one included), at most QUIET_WAIT_MS. */
async function untilQuiet(port: number): Promise<void> {
  const deadline = performance.now() + QUIET_WAIT_MS;
  while (serverConnections(port) > 0) {
    if (performance.now() > deadline) throw new Error(`the server still holds ${serverConnections(port)} connections after the warm-up`);
    await sleep(100);
  }
}

export async function measureCell(spec: ServerSpec, cell: CellSpec): Promise<IdleMeasurement> {
  const server = await startServer(spec, 1, cell.serverCpu, undefined, cell.node);
  try {
    const target = { port: server.port };
    await warmUp(target, WARM_UP.connections, WARM_UP.requestsEach);
    await untilQuiet(server.port);
    await sleep(cell.settleMs);
    const root = server.child.pid!;
    const holders = connectionHolders(root);
    const rssBeforeKiB = rssKiB(holders);
    const start = performance.now();
    const idle = await openIdle(target, cell.connections);
    try {
      const openMs = performance.now() - start;
      await sleep(cell.settleMs);
      const rssAfterKiB = rssKiB(holders);
      const heldByServer = serverConnections(server.port);
      return {
        connections: cell.connections,
        measured: describeHolders(root, holders),
        measuredPids: holders.map((p) => p.pid),
        rssBeforeKiB,
        rssAfterKiB,
        openMs,
        closedByServer: idle.closedByServer,
        unexpectedData: idle.unexpectedData,
        heldByServer,
        ...(idle.firstClosedAt !== undefined ? { firstClosedAfterS: (idle.firstClosedAt - start) / 1000 } : {}),
      };
    } finally {
      idle.closeAll();
    }
  } finally {
    await server.stop();
  }
}
