import { expect } from 'chai';
import { createServer, type AddressInfo, type LookupFunction, type Server, type Socket } from 'node:net';
import { PercoreError } from '../../src/errors.js';
import { ConnectionPool, type PoolOptions, type PoolStats } from '../../src/scheduler/pool.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { Task } from '../../src/scheduler/task.js';
import { collectingLogger, eventually } from '../support/sockets.js';
import { LineClient } from '../support/line-client.js';

/** Turns of the event loop, to show that something did not happen in the meantime (not a timing). */
const turns = async (count = 5) => {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** A node:net line-echo server that keeps its sockets, so a test can close one from the server's side. */
class LineServer {
  private server: Server | null = null;
  readonly sockets: Socket[] = [];
  port = 0;

  async start(): Promise<void> {
    const server = createServer((socket) => {
      this.sockets.push(socket);
      socket.on('error', () => {});
      socket.on('data', (chunk) => socket.write(chunk));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  get open(): number {
    return this.sockets.filter((socket) => !socket.destroyed).length;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

/** Follows a promise without awaiting it: its outcome, once it has one. */
function track<T>(promise: Promise<T>) {
  const state: { value?: T; error?: PercoreError; settled: boolean } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { value, settled: true }),
    (error: PercoreError) => Object.assign(state, { error, settled: true }),
  );
  return state;
}

async function rejection(promise: Promise<unknown>): Promise<PercoreError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(PercoreError);
    return error as PercoreError;
  }
  throw new Error('expected a rejection');
}

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const zero: PoolStats = { open: 0, idle: 0, busy: 0, connecting: 0, waiting: 0, created: 0, closedIdle: 0, failedConnects: 0 };

describe('ConnectionPool', () => {
  let scheduler: Scheduler;
  let server: LineServer;
  let pools: Array<ConnectionPool<LineClient>>;

  beforeEach(async () => {
    scheduler = new Scheduler({ timerResolutionMs: 2, logger: collectingLogger() });
    server = new LineServer();
    await server.start();
    pools = [];
  });

  afterEach(async () => {
    await Promise.all(pools.map((pool) => pool.close({ force: true })));
    scheduler.closeAll();
    await server.stop();
  });

  function pool(options: PoolOptions = {}, port = server.port): ConnectionPool<LineClient> {
    const made = new ConnectionPool(scheduler, { host: '127.0.0.1', port }, (context) => new LineClient(context), options);
    pools.push(made);
    return made;
  }

  /** Nothing left on the scheduler: no task, no timer. */
  const empty = () => scheduler.stats().liveTasks === 0 && scheduler.stats().pendingTimers === 0;

  it('connects up to size; the next caller waits for a release, and gets that connection', async () => {
    const p = pool({ size: 2 });
    expect(p.stats()).to.deep.equal(zero);
    const first = p.acquire();
    expect(p.stats()).to.include({ connecting: 1, waiting: 1, open: 0 });
    const a = await first;
    expect(p.stats()).to.deep.equal({ ...zero, open: 1, busy: 1, created: 1 });
    const b = await p.acquire();
    expect(b).to.not.equal(a);
    expect(p.stats()).to.deep.equal({ ...zero, open: 2, busy: 2, created: 2 });
    const third = track(p.acquire());
    await turns();
    expect(third.settled).to.equal(false);
    expect(p.stats()).to.deep.equal({ ...zero, open: 2, busy: 2, waiting: 1, created: 2 });
    p.release(a);
    await eventually(() => third.settled, 2000, 'third caller');
    expect(third.value).to.equal(a);
    expect(p.stats()).to.deep.equal({ ...zero, open: 2, busy: 2, created: 2 });
    expect(server.sockets.length).to.equal(2);
    a.write('still works\n');
    await eventually(() => a.lines.length === 1, 2000, 'echo');
  });

  it('serves waiters first come, first served', async () => {
    const p = pool({ size: 1 });
    const held = await p.acquire();
    const order: string[] = [];
    const waiters = ['a', 'b', 'c'].map((name) => p.acquire().then((task) => (order.push(name), task)));
    expect(p.stats().waiting).to.equal(3);
    p.release(held);
    p.release(await waiters[0]!);
    p.release(await waiters[1]!);
    expect(await waiters[2]).to.equal(held);
    expect(order).to.deep.equal(['a', 'b', 'c']);
    expect(p.stats()).to.deep.equal({ ...zero, open: 1, busy: 1, created: 1 });
  });

  it('hands out the most recently released idle connection first (LIFO)', async () => {
    const p = pool({ size: 2 });
    const [a, b] = await Promise.all([p.acquire(), p.acquire()]);
    p.release(a!);
    p.release(b!);
    expect(p.stats()).to.deep.equal({ ...zero, open: 2, idle: 2, created: 2 });
    expect(await p.acquire()).to.equal(b);
    expect(await p.acquire()).to.equal(a);
  });

  it('rejects PERCORE_ERR_POOL_FULL at once past maxWaiting', async () => {
    const p = pool({ size: 1, maxWaiting: 1 });
    await p.acquire();
    const waiting = track(p.acquire());
    const error = await rejection(p.acquire());
    expect(error.code).to.equal('PERCORE_ERR_POOL_FULL');
    expect(waiting.settled).to.equal(false);
    expect(p.stats()).to.deep.equal({ ...zero, open: 1, busy: 1, waiting: 1, created: 1 });
  });

  it('rejects PERCORE_ERR_POOL_TIMEOUT when nothing comes free within acquireTimeoutMs', async () => {
    const p = pool({ size: 1, acquireTimeoutMs: 20 });
    const held = await p.acquire();
    const error = await rejection(p.acquire());
    expect(error.code).to.equal('PERCORE_ERR_POOL_TIMEOUT');
    expect(error.message).to.contain('20 ms');
    expect(p.stats()).to.deep.equal({ ...zero, open: 1, busy: 1, created: 1 });
    expect(scheduler.stats().pendingTimers, 'the acquire timer is gone').to.equal(0);
    p.release(held);
    expect(p.stats().idle).to.equal(1);
  });

  it('closes a connection idle past idleTimeoutMs, on the timer wheel', async () => {
    const p = pool({ idleTimeoutMs: 20 });
    const task = await p.acquire();
    p.release(task);
    expect(p.stats()).to.deep.equal({ ...zero, open: 1, idle: 1, created: 1 });
    expect(scheduler.stats().pendingTimers, 'the idle timer').to.equal(1);
    await eventually(() => p.stats().closedIdle === 1, 2000, 'idle eviction');
    expect(p.stats()).to.deep.equal({ ...zero, created: 1, closedIdle: 1 });
    await eventually(() => task.closes.length === 1 && server.open === 0, 2000, 'closed on both sides');
    expect(task.closes).to.deep.equal(['timeout']);
    const next = await p.acquire();
    expect(next).to.not.equal(task);
    expect(p.stats().created).to.equal(2);
  });

  it('keeps idle connections with idleTimeoutMs 0', async () => {
    const p = pool({ idleTimeoutMs: 0 });
    p.release(await p.acquire());
    expect(scheduler.stats().pendingTimers).to.equal(0);
    expect(p.stats().idle).to.equal(1);
  });

  it('drops a busy task the server closes, and gives a waiter a fresh connection in its slot', async () => {
    const p = pool({ size: 1 });
    const lost = await p.acquire();
    const waiting = track(p.acquire());
    server.sockets[0]!.destroy();
    await eventually(() => waiting.settled, 2000, 'the waiter served');
    expect(waiting.value).to.be.instanceOf(LineClient);
    expect(waiting.value).to.not.equal(lost);
    expect(lost.closes).to.deep.equal(['peer-closed']);
    expect(p.stats()).to.deep.equal({ ...zero, open: 1, busy: 1, created: 2 });
    p.release(lost); // closed already: dropped, no error
    expect(p.stats()).to.deep.equal({ ...zero, open: 1, busy: 1, created: 2 });
  });

  it('drops an idle task the server closes', async () => {
    const p = pool();
    const task = await p.acquire();
    p.release(task);
    server.sockets[0]!.destroy();
    await eventually(() => p.stats().open === 0, 2000, 'left the pool');
    expect(p.stats()).to.deep.equal({ ...zero, created: 1 });
    expect(await p.acquire()).to.not.equal(task);
  });

  it('rejects each waiter with the connect error when the server refuses, freeing the slot', async () => {
    const p = pool({ size: 1 }, await closedPort());
    const errors = await Promise.all([1, 2, 3].map(() => rejection(p.acquire())));
    expect(errors.map((error) => error.code)).to.deep.equal([
      'PERCORE_ERR_CONNECT_REFUSED',
      'PERCORE_ERR_CONNECT_REFUSED',
      'PERCORE_ERR_CONNECT_REFUSED',
    ]);
    expect(p.stats()).to.deep.equal({ ...zero, failedConnects: 3 });
    expect(empty()).to.equal(true);
  });

  it('rejects a waiter with PERCORE_ERR_CONNECT_TIMEOUT when the connection is not made in time', async () => {
    const never: LookupFunction = () => {};
    const p = new ConnectionPool(scheduler, { host: 'stuck.example', port: 1 }, (context) => new LineClient(context), {
      timeoutMs: 20,
      lookup: never,
    });
    pools.push(p);
    const error = await rejection(p.acquire());
    expect(error.code).to.equal('PERCORE_ERR_CONNECT_TIMEOUT');
    expect(p.stats()).to.deep.equal({ ...zero, failedConnects: 1 });
  });

  it('use() releases the task after fn, and closes it when fn throws', async () => {
    const p = pool();
    const line = await p.use(async (task) => {
      task.write('ping\n');
      await eventually(() => task.lines.length === 1, 2000, 'echo');
      return task.lines[0];
    });
    expect(line).to.equal('ping');
    expect(p.stats()).to.deep.equal({ ...zero, open: 1, idle: 1, created: 1 });
    let used: LineClient | undefined;
    const failure = new Error('half a reply read');
    try {
      await p.use((task) => {
        used = task;
        throw failure;
      });
      expect.fail('use() should reject');
    } catch (error) {
      expect(error).to.equal(failure);
    }
    expect(p.stats()).to.deep.equal({ ...zero, created: 1 });
    await eventually(() => used!.closes.length === 1, 2000, 'closed');
    expect(used!.closes).to.deep.equal(['task-error']);
  });

  it('closes an idle connection that validate refuses, and hands out another', async () => {
    const refused = new Set<Task>();
    const p = pool({ validate: (task) => !refused.has(task) });
    const first = await p.acquire();
    p.release(first);
    refused.add(first);
    const second = await p.acquire();
    expect(second).to.not.equal(first);
    expect(first.closed).to.equal(true);
    expect(p.stats()).to.deep.equal({ ...zero, open: 1, busy: 1, created: 2 });
  });

  it('refuses to take back a task it did not lend', async () => {
    const p = pool();
    const task = await p.acquire();
    p.release(task);
    expect(() => p.release(task)).to.throw(PercoreError, /not a busy connection/);
    const stranger = await scheduler.connect({ host: '127.0.0.1', port: server.port }, (context) => new LineClient(context));
    expect(() => p.release(stranger)).to.throw(PercoreError, /not a busy connection/);
  });

  it('close(): rejects waiters, closes idle tasks now and busy ones on release, then resolves', async () => {
    const p = pool({ size: 3 });
    const [a, b, idle] = await Promise.all([p.acquire(), p.acquire(), p.acquire()]);
    p.release(idle!);
    const reused = await p.acquire();
    expect(reused).to.equal(idle);
    p.release(reused);
    const other = pool({ size: 1 });
    await other.acquire();
    const waiting = track(other.acquire());
    expect(p.stats()).to.deep.equal({ ...zero, open: 3, busy: 2, idle: 1, created: 3 });
    const closed = track(p.close());
    const otherClosed = track(other.close());
    await turns();
    expect(waiting.error?.code).to.equal('PERCORE_ERR_POOL_CLOSED');
    expect(p.stats()).to.deep.equal({ ...zero, open: 2, busy: 2, created: 3 });
    expect(idle!.closes).to.deep.equal(['shutdown']);
    expect(closed.settled, 'busy connections are still out').to.equal(false);
    expect(otherClosed.settled).to.equal(false);
    expect((await rejection(p.acquire())).code).to.equal('PERCORE_ERR_POOL_CLOSED');
    p.release(a!);
    expect(p.stats()).to.deep.equal({ ...zero, open: 1, busy: 1, created: 3 });
    p.release(b!);
    await eventually(() => closed.settled, 2000, 'closed');
    expect(p.stats()).to.deep.equal({ ...zero, created: 3 });
    expect([a!.closes, b!.closes]).to.deep.equal([['shutdown'], ['shutdown']]);
    await eventually(() => server.open === 1, 2000, "the server's side closed, but for the other pool's connection");
  });

  it('close({ force: true }) closes busy tasks at once too', async () => {
    const p = pool();
    const busy = await p.acquire();
    await p.close({ force: true });
    expect(busy.closes).to.deep.equal(['shutdown']);
    expect(p.stats()).to.deep.equal({ ...zero, created: 1 });
    p.release(busy); // closed: dropped
    expect(empty()).to.equal(true);
  });

  it('close() waits for a connection being made, and closes it when it comes', async () => {
    const p = pool();
    const acquiring = track(p.acquire());
    expect(p.stats().connecting).to.equal(1);
    await p.close();
    expect(acquiring.error?.code).to.equal('PERCORE_ERR_POOL_CLOSED');
    expect(p.stats()).to.deep.equal({ ...zero, created: 1 });
    expect(empty()).to.equal(true);
  });

  it('closes when the scheduler closes all', async () => {
    const p = pool();
    const busy = await p.acquire();
    const waiting = track(pool({ size: 1 }).acquire());
    scheduler.closeAll();
    expect((await rejection(p.acquire())).code).to.equal('PERCORE_ERR_POOL_CLOSED');
    await eventually(() => busy.closes.length === 1 && waiting.settled && empty(), 2000, 'everything closed');
    expect(busy.closes).to.deep.equal(['shutdown']);
  });

  it('refuses options out of range', () => {
    for (const options of [{ size: 0 }, { maxWaiting: -1 }, { acquireTimeoutMs: 0 }, { idleTimeoutMs: -5 }]) {
      expect(() => pool(options), JSON.stringify(options)).to.throw(PercoreError, /must be/);
    }
    pools.length = 0;
  });
});
