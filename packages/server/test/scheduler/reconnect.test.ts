import { expect } from 'chai';
import { createServer, type AddressInfo, type LookupFunction, type Server, type Socket } from 'node:net';
import { PercoreError } from '../../src/errors.js';
import { backoffDelay, GIVE_UP } from '../../src/scheduler/backoff.js';
import { Reconnector, type ReconnectHandlers, type ReconnectOptions } from '../../src/scheduler/reconnect.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import type { CloseReason } from '../../src/scheduler/task.js';
import { collectingLogger, eventually } from '../support/sockets.js';
import { LineClient } from '../support/line-client.js';

/** Turns of the event loop, to show that something did not happen in the meantime (not a timing). */
const turns = async (count = 5) => {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** A node:net line-echo server the test starts, drops and stops, on one port throughout. */
class LineServer {
  private server: Server | null = null;
  readonly sockets = new Set<Socket>();
  accepted = 0;
  port = 0;

  async start(): Promise<void> {
    const server = createServer((socket) => {
      this.accepted++;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => {});
      socket.on('data', (chunk) => socket.write(chunk));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** Closes every connection from the server's side. */
  dropAll(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === null) return;
    this.server = null;
    this.dropAll();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** Records every handler call, in order. */
function recorder() {
  const events: string[] = [];
  const tasks: LineClient[] = [];
  const connectedAttempts: number[] = [];
  const failures: Array<{ code: string; attempt: number; delayMs: number }> = [];
  const disconnects: CloseReason[] = [];
  const gaveUp: PercoreError[] = [];
  const handlers: ReconnectHandlers<LineClient> = {
    connected(task, attempt) {
      events.push('connected');
      tasks.push(task);
      connectedAttempts.push(attempt);
    },
    disconnected(reason) {
      events.push('disconnected');
      disconnects.push(reason);
    },
    attemptFailed(error, attempt, delayMs) {
      events.push('attemptFailed');
      failures.push({ code: error.code, attempt, delayMs });
    },
    gaveUp(error) {
      events.push('gaveUp');
      gaveUp.push(error);
    },
  };
  return { events, tasks, connectedAttempts, failures, disconnects, gaveUp, handlers };
}

/** A lookup that holds its callback until the test answers 127.0.0.1 (or never does). */
function heldLookup() {
  const held: Array<() => void> = [];
  const lookup: LookupFunction = (_hostname, options, callback) => {
    held.push(() => {
      if (options.all === true)
        (callback as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [
          { address: '127.0.0.1', family: 4 },
        ]);
      else callback(null, '127.0.0.1', 4);
    });
  };
  return { lookup, held };
}

describe('Task.addCloseListener', () => {
  it('tells a listener once, after onClose, with the reason; a late listener at once; a removed one never', async () => {
    const server = new LineServer();
    await server.start();
    const scheduler = new Scheduler({ timerResolutionMs: 5 });
    try {
      const task = await scheduler.connect({ host: '127.0.0.1', port: server.port }, (context) => new LineClient(context));
      const told: string[] = [];
      const removed = () => told.push('removed');
      task.addCloseListener((reason) => told.push(`first ${reason} after onClose=${task.closes.length}`));
      task.addCloseListener(removed);
      task.removeCloseListener(removed);
      server.dropAll();
      await eventually(() => told.length === 1, 2000, 'close listener');
      task.addCloseListener((reason) => told.push(`late ${reason}`));
      expect(told).to.deep.equal(['first peer-closed after onClose=1', 'late peer-closed']);
    } finally {
      scheduler.closeAll();
      await server.stop();
    }
  });
});

describe('backoffDelay', () => {
  const exact = { initialDelayMs: 100, maxDelayMs: 1000, jitter: 'none' } as const;

  it('doubles from initialDelayMs with each consecutive failure', () => {
    expect([1, 2, 3, 4].map((attempt) => backoffDelay(attempt, exact))).to.deep.equal([100, 200, 400, 800]);
  });

  it('stops doubling at maxDelayMs, even after very many failures', () => {
    expect([5, 6, 50, 5000].map((attempt) => backoffDelay(attempt, exact))).to.deep.equal([1000, 1000, 1000, 1000]);
  });

  it('uses 100 ms doubling to 10 s by default', () => {
    expect(backoffDelay(1, { jitter: 'none' })).to.equal(100);
    expect(backoffDelay(8, { jitter: 'none' })).to.equal(10_000);
  });

  it('with full jitter, picks uniformly below the capped delay from the random source', () => {
    const at = (random: number, attempt: number) => backoffDelay(attempt, { ...exact, jitter: 'full', random: () => random });
    expect(at(0, 3)).to.equal(0);
    expect(at(0.5, 3)).to.equal(200);
    expect(at(0.25, 9)).to.equal(250);
    expect(at(0.999999, 3)).to.be.within(399, 400);
    // Full jitter is the default.
    expect(backoffDelay(2, { initialDelayMs: 100, random: () => 0.5 })).to.equal(100);
  });

  it('returns GIVE_UP once maxAttempts attempts have failed', () => {
    const limited = { ...exact, maxAttempts: 3 };
    expect(backoffDelay(2, limited)).to.equal(200);
    expect(backoffDelay(3, limited)).to.equal(GIVE_UP);
    expect(backoffDelay(4, limited)).to.equal(GIVE_UP);
    expect(backoffDelay(1, { ...exact, maxAttempts: 1 })).to.equal(GIVE_UP);
  });

  it('refuses an attempt below 1', () => {
    expect(() => backoffDelay(0, exact)).to.throw(PercoreError, /attempt/);
  });
});

describe('Reconnector', () => {
  let scheduler: Scheduler;
  let server: LineServer;
  let reconnectors: Array<Reconnector<LineClient>>;
  let logger: ReturnType<typeof collectingLogger>;

  beforeEach(async () => {
    logger = collectingLogger();
    scheduler = new Scheduler({ timerResolutionMs: 2, logger });
    server = new LineServer();
    await server.start();
    reconnectors = [];
  });

  afterEach(async () => {
    for (const reconnector of reconnectors) reconnector.stop();
    scheduler.closeAll();
    await server.stop();
  });

  const fast: ReconnectOptions = { initialDelayMs: 5, maxDelayMs: 1000, jitter: 'none' };

  function reconnector(handlers: ReconnectHandlers<LineClient>, options: ReconnectOptions = fast, port = server.port) {
    const made = new Reconnector(scheduler, { host: '127.0.0.1', port }, (context) => new LineClient(context), handlers, options);
    reconnectors.push(made);
    return made;
  }

  /** Nothing left on the scheduler: no task, no timer. */
  const empty = () => scheduler.stats().liveTasks === 0 && scheduler.stats().pendingTimers === 0;

  it('connects, and the task it made exchanges lines', async () => {
    const log = recorder();
    const r = reconnector(log.handlers);
    expect(r.state).to.equal('stopped');
    r.start();
    expect(r.state).to.equal('connecting');
    await eventually(() => r.state === 'connected', 2000, 'connected');
    expect(log.connectedAttempts).to.deep.equal([1]);
    expect(r.task).to.equal(log.tasks[0]);
    r.task!.write('hi\n');
    await eventually(() => log.tasks[0]!.lines.length === 1, 2000, 'echo');
    expect(log.tasks[0]!.lines).to.deep.equal(['hi']);
    r.start(); // a second start does nothing
    await turns();
    expect(server.accepted).to.equal(1);
  });

  it('when the server closes the socket: disconnected, then connected again with a new task', async () => {
    const log = recorder();
    const r = reconnector(log.handlers);
    r.start();
    await eventually(() => r.state === 'connected', 2000, 'connected');
    server.dropAll();
    await eventually(() => log.connectedAttempts.length === 2, 2000, 'reconnected');
    expect(log.events).to.deep.equal(['connected', 'disconnected', 'connected']);
    expect(log.disconnects).to.deep.equal(['peer-closed']);
    expect(log.connectedAttempts).to.deep.equal([1, 1]);
    expect(log.tasks[1]).to.not.equal(log.tasks[0]);
    expect(log.tasks[0]!.closed).to.equal(true);
    expect(r.task).to.equal(log.tasks[1]);
    expect(server.accepted).to.equal(2);
  });

  it('while the server is down: refused attempts with doubling delays; connected once it is back, then the count resets', async () => {
    const log = recorder();
    const r = reconnector(log.handlers, { initialDelayMs: 5, maxDelayMs: 40, jitter: 'none' });
    r.start();
    await eventually(() => r.state === 'connected', 2000, 'connected');
    await server.stop();
    await eventually(() => log.failures.length >= 5, 5000, 'five refused attempts');
    expect(r.state).to.equal('waiting');
    await server.start();
    await eventually(() => log.connectedAttempts.length === 2, 5000, 'back');
    const failed = log.failures.length;
    expect(log.failures.every((failure) => failure.code === 'PERCORE_ERR_CONNECT_REFUSED')).to.equal(true);
    expect(log.failures.map((failure) => failure.attempt)).to.deep.equal(Array.from({ length: failed }, (_, i) => i + 1));
    expect(log.failures.map((failure) => failure.delayMs)).to.deep.equal(Array.from({ length: failed }, (_, i) => Math.min(40, 5 * 2 ** i)));
    expect(log.connectedAttempts).to.deep.equal([1, failed + 1]);
    // After a success the count starts over: the next loss is followed by attempt 1 again.
    await server.stop();
    await eventually(() => log.failures.length > failed, 5000, 'refused again');
    expect(log.failures[failed]).to.deep.equal({ code: 'PERCORE_ERR_CONNECT_REFUSED', attempt: 1, delayMs: 5 });
  });

  it('gives up after maxAttempts consecutive failures, with the last error as the cause, leaving nothing', async () => {
    await server.stop();
    const log = recorder();
    const r = reconnector(log.handlers, { ...fast, maxAttempts: 3 });
    r.start();
    await eventually(() => log.gaveUp.length === 1, 5000, 'gave up');
    expect(log.events).to.deep.equal(['attemptFailed', 'attemptFailed', 'gaveUp']);
    expect(log.failures.map((failure) => failure.delayMs)).to.deep.equal([5, 10]);
    const error = log.gaveUp[0]!;
    expect(error.code).to.equal('PERCORE_ERR_RECONNECT_GAVE_UP');
    expect((error.cause as PercoreError).code).to.equal('PERCORE_ERR_CONNECT_REFUSED');
    expect(error.message).to.contain('3 failed attempt');
    expect(r.state).to.equal('stopped');
    expect(empty()).to.equal(true);
    r.retryNow(); // stopped for good
    r.start();
    await turns();
    expect(log.events.length).to.equal(3);
  });

  it('reports a connect timeout (a DNS lookup that never answers) as PERCORE_ERR_CONNECT_TIMEOUT', async () => {
    const log = recorder();
    const r = new Reconnector(scheduler, { host: 'stuck.example', port: 1 }, (context) => new LineClient(context), log.handlers, {
      ...fast,
      timeoutMs: 20,
      lookup: () => {},
      maxAttempts: 2,
    });
    reconnectors.push(r);
    r.start();
    await eventually(() => log.gaveUp.length === 1, 5000, 'gave up');
    expect(log.failures.map((failure) => failure.code)).to.deep.equal(['PERCORE_ERR_CONNECT_TIMEOUT']);
    expect((log.gaveUp[0]!.cause as PercoreError).code).to.equal('PERCORE_ERR_CONNECT_TIMEOUT');
    expect(empty()).to.equal(true);
  });

  it('retryNow skips the wait', async () => {
    await server.stop();
    const log = recorder();
    const r = reconnector(log.handlers, { initialDelayMs: 60_000, jitter: 'none' });
    r.start();
    await eventually(() => log.failures.length === 1, 2000, 'refused');
    expect(r.state).to.equal('waiting');
    expect(scheduler.stats().pendingTimers).to.equal(1);
    await server.start();
    r.retryNow();
    expect(r.state).to.equal('connecting');
    await eventually(() => r.state === 'connected', 2000, 'connected');
    expect(log.connectedAttempts).to.deep.equal([2]);
    expect(scheduler.stats().pendingTimers).to.equal(0);
  });

  it('stop() while waiting cancels the timer and leaves nothing', async () => {
    await server.stop();
    const log = recorder();
    const r = reconnector(log.handlers, { initialDelayMs: 60_000, jitter: 'none' });
    r.start();
    await eventually(() => r.state === 'waiting', 2000, 'waiting');
    expect(scheduler.stats().pendingTimers).to.equal(1);
    r.stop();
    expect(r.state).to.equal('stopped');
    expect(empty()).to.equal(true);
  });

  it('stop() while connecting abandons the attempt: a task it still makes is closed, unseen', async () => {
    const { lookup, held } = heldLookup();
    const log = recorder();
    const made: LineClient[] = [];
    const r = new Reconnector(
      scheduler,
      { host: 'held.example', port: server.port },
      (context) => {
        const task = new LineClient(context);
        made.push(task);
        return task;
      },
      log.handlers,
      { ...fast, lookup },
    );
    reconnectors.push(r);
    r.start();
    await eventually(() => held.length === 1, 2000, 'lookup called');
    expect(r.state).to.equal('connecting');
    r.stop();
    expect(r.state).to.equal('stopped');
    held[0]!(); // the connection goes ahead now, to the real server
    await eventually(() => made.length === 1 && made[0]!.closes.length === 1, 2000, 'late task closed');
    await eventually(empty, 2000, 'nothing left');
    expect(log.events).to.deep.equal([]);
    expect(made[0]!.closes).to.deep.equal(['shutdown']);
    expect(server.accepted).to.equal(1);
  });

  it('stop() while connected closes the task with the given reason, telling no handler', async () => {
    const log = recorder();
    const r = reconnector(log.handlers);
    r.start();
    await eventually(() => r.state === 'connected', 2000, 'connected');
    const task = r.task!;
    r.stop('done');
    expect(r.task).to.equal(null);
    await eventually(empty, 2000, 'nothing left');
    expect(task.closes).to.deep.equal(['done']);
    expect(log.events).to.deep.equal(['connected']);
    expect(server.accepted).to.equal(1);
  });

  it('stops when the scheduler closes all, whether connected or waiting', async () => {
    const connectedLog = recorder();
    const connected = reconnector(connectedLog.handlers);
    connected.start();
    await eventually(() => connected.state === 'connected', 2000, 'connected');
    const waitingLog = recorder();
    const waiting = reconnector(waitingLog.handlers, { initialDelayMs: 60_000, jitter: 'none' }, await closedPort());
    waiting.start();
    await eventually(() => waiting.state === 'waiting', 2000, 'waiting');
    scheduler.closeAll();
    expect([connected.state, waiting.state]).to.deep.equal(['stopped', 'stopped']);
    await eventually(empty, 2000, 'nothing left');
    expect(connectedLog.events).to.deep.equal(['connected']);
    expect(server.accepted).to.equal(1);
  });

  it('stops when its parent task closes, and closes its task with it', async () => {
    const parent = await scheduler.connect({ host: '127.0.0.1', port: server.port }, (context) => new LineClient(context));
    const log = recorder();
    const r = reconnector(log.handlers, { ...fast, parent });
    r.start();
    await eventually(() => r.state === 'connected', 2000, 'connected');
    expect(r.task!.parent).to.equal(parent);
    parent.close();
    expect(r.state).to.equal('stopped');
    await eventually(empty, 2000, 'nothing left');
    expect(log.events).to.deep.equal(['connected']);
  });

  it('logs a handler that throws and carries on reconnecting', async () => {
    const log = recorder();
    const r = reconnector({
      ...log.handlers,
      connected(task, attempt) {
        log.handlers.connected(task, attempt);
        if (log.tasks.length === 1) throw new Error('handler bug');
      },
    });
    r.start();
    await eventually(() => r.state === 'connected', 2000, 'connected');
    expect(logger.entries.map((entry) => entry.code)).to.deep.equal(['PERCORE_ERR_TASK_FAILED']);
    server.dropAll();
    await eventually(() => log.tasks.length === 2 && r.state === 'connected', 2000, 'reconnected');
  });

  it('refuses backoff options that make no sense', () => {
    const make = (options: ReconnectOptions) => () =>
      new Reconnector(scheduler, { port: 1 }, (context) => new LineClient(context), recorder().handlers, options);
    for (const options of [{ initialDelayMs: -1 }, { maxDelayMs: 10, initialDelayMs: 20 }, { maxAttempts: 0 }, { maxAttempts: 1.5 }]) {
      expect(make(options), JSON.stringify(options)).to.throw(PercoreError, /must be/);
    }
  });
});

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
