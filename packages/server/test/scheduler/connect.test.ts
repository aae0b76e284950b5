import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect as netConnect, createServer, type AddressInfo, type LookupFunction, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PercoreError } from '../../src/errors.js';
import { Listener } from '../../src/scheduler/listener.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { Task, type CloseReason, type TaskContext } from '../../src/scheduler/task.js';
import { collectingLogger, eventually } from '../support/sockets.js';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes `text` one byte per timer turn, so the peer reads it split into many chunks. */
async function dribble(task: Task, text: string): Promise<void> {
  for (const byte of text) {
    if (task.closed) return;
    task.write(byte);
    await delay(2);
  }
}

/** Reads LF-terminated lines, keeping a partial line until its LF comes (the sated rule). */
abstract class LineTask extends Task {
  readonly lines: string[] = [];
  readonly closes: Array<{ reason: CloseReason; error?: unknown }> = [];
  chunks = 0;
  private partial = '';

  override onData(chunk: Buffer): void {
    this.chunks++;
    this.partial += chunk.toString('latin1');
    let end: number;
    while ((end = this.partial.indexOf('\n')) !== -1) {
      const line = this.partial.slice(0, end);
      this.partial = this.partial.slice(end + 1);
      this.lines.push(line);
      this.onLine(line);
    }
  }

  abstract onLine(line: string): void;

  override onClose(reason: CloseReason, error?: unknown): void {
    this.closes.push({ reason, error });
  }
}

type ServerMode = 'echo' | 'dribble' | 'silent' | 'paused';

/** The server side: echoes each line at once, or byte by byte, or never answers, or never reads. */
class LineEchoServerTask extends LineTask {
  private output = Promise.resolve();

  constructor(
    context: TaskContext,
    readonly mode: ServerMode,
  ) {
    super(context);
    if (mode === 'paused') this.pauseReading();
  }

  override onLine(line: string): void {
    if (this.mode === 'echo') this.write(`${line}\n`);
    else if (this.mode === 'dribble') this.output = this.output.then(() => dribble(this, `${line}\n`));
  }
}

/** The client side: records the echoes; each test may add behaviour. */
class LineClientTask extends LineTask {
  drains = 0;
  timeouts = 0;

  constructor(
    context: TaskContext,
    private readonly hooks: { onOpen?: (task: LineClientTask) => void; onLine?: (line: string) => void } = {},
  ) {
    super(context);
    hooks.onOpen?.(this);
  }

  override onLine(line: string): void {
    this.hooks.onLine?.(line);
  }

  override onDrain(): void {
    this.drains++;
  }

  override onTimeout(): void {
    this.timeouts++;
    super.onTimeout();
  }
}

const client = (context: TaskContext) => new LineClientTask(context);

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A lookup that never answers: the connection stays in its DNS phase. */
const silentLookup: LookupFunction = () => {};

async function expectRejection(promise: Promise<unknown>): Promise<PercoreError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(PercoreError);
    return error as PercoreError;
  }
  throw new Error('expected the connection to fail');
}

describe('Scheduler.connect', () => {
  let scheduler: Scheduler;
  let logger: ReturnType<typeof collectingLogger>;
  let listener: Listener;
  let mode: ServerMode;
  let serverTasks: LineEchoServerTask[];
  let port: number;

  beforeEach(async () => {
    logger = collectingLogger();
    scheduler = new Scheduler({ timerResolutionMs: 5, logger });
    mode = 'echo';
    serverTasks = [];
    listener = new Listener(scheduler, {
      factory: (context) => {
        const task = new LineEchoServerTask(context, mode);
        serverTasks.push(task);
        return task;
      },
    });
    port = (await listener.listen({ port: 0, host: '127.0.0.1' })).port;
  });

  afterEach(async () => {
    scheduler.closeAll();
    await listener.close({ graceMs: 0 });
  });

  const echoServer = () => ({ host: '127.0.0.1', port });

  it('makes a client task on an outbound socket that exchanges whole lines with a server task', async () => {
    const task = await scheduler.connect(echoServer(), client);
    expect(task).to.be.instanceOf(LineClientTask);
    expect(task.parent).to.equal(null);
    task.write('one\ntwo\nthree\n');
    await eventually(() => task.lines.length === 3, 2000, 'three echoes');
    expect(task.lines).to.deep.equal(['one', 'two', 'three']);
    expect(serverTasks[0]!.lines).to.deep.equal(['one', 'two', 'three']);
    // Both ends are tasks of the one scheduler.
    expect(scheduler.stats().liveTasks).to.equal(2);
    expect(task.bytesWritten).to.equal(14);
  });

  it('echoes lines fed byte by byte in both directions', async () => {
    mode = 'dribble';
    const task = await scheduler.connect(echoServer(), client);
    const text = 'hello\nsplit world\n';
    await dribble(task, text);
    await eventually(() => task.lines.length === 2, 4000, 'two echoes');
    expect(task.lines).to.deep.equal(['hello', 'split world']);
    expect(serverTasks[0]!.lines).to.deep.equal(['hello', 'split world']);
    // The bytes really came split: many more reads than lines, on each side.
    expect(serverTasks[0]!.chunks).to.be.greaterThan(4);
    expect(task.chunks).to.be.greaterThan(4);
  });

  it('connects to a Unix domain socket path', async () => {
    const path = join(tmpdir(), `percore-connect-${process.pid}-${Date.now()}.sock`);
    const local = new Listener(scheduler, { factory: (context) => new LineEchoServerTask(context, 'echo') });
    await local.listen({ path });
    try {
      const task = await scheduler.connect({ path }, client);
      task.write('over a path\n');
      await eventually(() => task.lines.length === 1, 2000, 'echo');
      expect(task.lines).to.deep.equal(['over a path']);
    } finally {
      await local.close({ graceMs: 0 });
    }
  });

  it('rejects with PERCORE_ERR_CONNECT_REFUSED when nothing listens', async () => {
    const refusedPort = await closedPort();
    let made = 0;
    const error = await expectRejection(scheduler.connect({ host: '127.0.0.1', port: refusedPort }, (context) => (made++, client(context))));
    expect(error.code).to.equal('PERCORE_ERR_CONNECT_REFUSED');
    expect((error.cause as NodeJS.ErrnoException).code).to.equal('ECONNREFUSED');
    expect(error.message).to.contain(`127.0.0.1:${refusedPort}`);
    expect(made).to.equal(0);
    expect(scheduler.stats().pendingTimers).to.equal(0);
  });

  it('rejects with PERCORE_ERR_CONNECT_TIMEOUT when a loopback listener never completes the handshake', async function () {
    // A listener with a full accept queue (backlog 0, never accepting): Linux drops further SYNs.
    const python = spawn(
      'python3',
      [
        '-c',
        [
          'import socket, sys',
          's = socket.socket()',
          "s.bind(('127.0.0.1', 0))",
          's.listen(0)',
          'print(s.getsockname()[1], flush=True)',
          'sys.stdin.read()',
        ].join('\n'),
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const fillers: Socket[] = [];
    try {
      const fullPort = await portOf(python);
      const first = netConnect({ host: '127.0.0.1', port: fullPort });
      fillers.push(first, netConnect({ host: '127.0.0.1', port: fullPort }));
      for (const filler of fillers) filler.on('error', () => {});
      await new Promise((resolve) => first.once('connect', resolve));
      await delay(20);
      const started = Date.now();
      const error = await expectRejection(scheduler.connect({ host: '127.0.0.1', port: fullPort }, client, { timeoutMs: 150 }));
      expect(error.code).to.equal('PERCORE_ERR_CONNECT_TIMEOUT');
      expect(Date.now() - started).to.be.within(140, 1500);
      expect(scheduler.stats().pendingTimers).to.equal(0);
      expect(scheduler.stats().liveTasks).to.equal(0);
    } finally {
      for (const filler of fillers) filler.destroy();
      python.kill();
    }
  });

  it('times out a connection stuck in its DNS lookup, on the timer wheel', async () => {
    const connecting = scheduler.connect({ host: 'stuck.example', port: 1 }, client, { timeoutMs: 40, lookup: silentLookup });
    expect(scheduler.stats().pendingTimers, 'the connect timeout is a wheel timer').to.equal(1);
    const error = await expectRejection(connecting);
    expect(error.code).to.equal('PERCORE_ERR_CONNECT_TIMEOUT');
    expect(error.message).to.contain('stuck.example:1');
  });

  it('rejects a DNS failure with PERCORE_ERR_CONNECT_FAILED, keeping the system error as its cause', async () => {
    const notFound: LookupFunction = (hostname, _options, callback) => {
      const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
      process.nextTick(() => callback(error, '', 4));
    };
    const error = await expectRejection(scheduler.connect({ host: 'nowhere.invalid', port: 80 }, client, { lookup: notFound }));
    expect(error.code).to.equal('PERCORE_ERR_CONNECT_FAILED');
    expect((error.cause as NodeJS.ErrnoException).code).to.equal('ENOTFOUND');
    expect(scheduler.stats().pendingTimers).to.equal(0);
  });

  it('rejects a task factory that throws with PERCORE_ERR_CONNECT_FAILED, and drops the socket', async () => {
    const error = await expectRejection(
      scheduler.connect(echoServer(), () => {
        throw new Error('no task today');
      }),
    );
    expect(error.code).to.equal('PERCORE_ERR_CONNECT_FAILED');
    expect((error.cause as Error).message).to.equal('no task today');
    expect(logger.entries.map((entry) => entry.code)).to.deep.equal(['PERCORE_ERR_CONNECT_FAILED']);
    await eventually(() => serverTasks.length === 1 && serverTasks[0]!.closes.length === 1, 2000, 'server side closed');
    expect(serverTasks[0]!.closes[0]!.reason).to.equal('peer-closed');
  });

  it('rejects a timeout that is not a positive number', async () => {
    const error = await expectRejection(scheduler.connect(echoServer(), client, { timeoutMs: 0 }));
    expect(error.code).to.equal('PERCORE_ERR_INVALID_OPTION');
  });

  it('rejects a malformed address with PERCORE_ERR_INVALID_OPTION, leaving nothing pending', async () => {
    const error = await expectRejection(scheduler.connect({ host: '127.0.0.1', port: 70_000 }, client));
    expect(error.code).to.equal('PERCORE_ERR_INVALID_OPTION');
    expect((error.cause as NodeJS.ErrnoException).code).to.equal('ERR_SOCKET_BAD_PORT');
    expect(scheduler.stats().pendingTimers).to.equal(0);
  });

  it('runs a task idle timeout when the server accepts but never answers', async () => {
    mode = 'silent';
    const task = await scheduler.connect(echoServer(), (context) => new LineClientTask(context, { onOpen: (t) => t.setTimeout(50) }));
    task.write('anyone there?\n');
    await eventually(() => task.closes.length === 1, 2000, 'idle close');
    expect(task.timeouts).to.equal(1);
    expect(task.closes[0]!.reason).to.equal('timeout');
    expect(serverTasks[0]!.lines).to.deep.equal(['anyone there?']);
  });

  it('stops reading while its writes are blocked, and resumes with onDrain once the server reads', async () => {
    mode = 'paused';
    const task = await scheduler.connect(echoServer(), client);
    const big = Buffer.alloc(256 * 1024, 0x61);
    let writes = 0;
    while (writes < 256 && task.write(big)) writes++;
    expect(writes).to.be.lessThan(256);
    expect(task.writeBlocked).to.equal(true);
    expect(task.socket.isPaused()).to.equal(true);
    await eventually(() => serverTasks.length === 1, 2000, 'server task');
    serverTasks[0]!.resumeReading();
    await eventually(() => task.drains === 1, 5000, 'drain');
    expect(task.writeBlocked).to.equal(false);
    expect(task.socket.isPaused()).to.equal(false);
  });

  it('isolates a client task that throws: only it closes', async () => {
    const failing = await scheduler.connect(
      echoServer(),
      (context) =>
        new LineClientTask(context, {
          onLine: () => {
            throw new Error('client bug');
          },
        }),
    );
    const healthy = await scheduler.connect(echoServer(), client);
    failing.write('boom\n');
    await eventually(() => failing.closes.length === 1, 2000, 'failing task closed');
    expect(failing.closes[0]!.reason).to.equal('task-error');
    expect((failing.closes[0]!.error as Error).message).to.equal('client bug');
    expect(logger.entries.map((entry) => entry.code)).to.deep.equal(['PERCORE_ERR_TASK_FAILED']);
    expect(scheduler.stats().taskErrors).to.equal(1);
    healthy.write('still here\n');
    await eventually(() => healthy.lines.length === 1, 2000, 'healthy echo');
    expect(healthy.closed).to.equal(false);
    await eventually(() => serverTasks[0]!.closes.length === 1, 2000, 'its server task closed');
    expect(serverTasks[0]!.closes[0]!.reason).to.equal('peer-closed');
    expect(serverTasks[1]!.closed).to.equal(false);
  });

  describe('child tasks', () => {
    /** An inbound server task, reached through an outbound client: the parent of the children. */
    async function inboundParent(): Promise<{ peer: LineClientTask; parent: LineEchoServerTask }> {
      const peer = await scheduler.connect(echoServer(), client);
      await eventually(() => serverTasks.length >= 1, 2000, 'inbound task');
      return { peer, parent: serverTasks[serverTasks.length - 1]! };
    }

    it('closes an outbound child when its inbound parent closes', async () => {
      const { parent } = await inboundParent();
      const child = await scheduler.connect(echoServer(), client, { parent });
      const other = await scheduler.connect(echoServer(), client);
      expect(child.parent).to.equal(parent);
      expect(parent.childCount).to.equal(1);
      parent.close();
      await eventually(() => child.closes.length === 1 && parent.closes.length === 1, 2000, 'both closed');
      expect(parent.closes[0]!.reason).to.equal('done');
      expect(child.closes[0]!.reason).to.equal('parent-closed');
      expect(parent.childCount).to.equal(0);
      expect(other.closed, 'a task that is not its child stays open').to.equal(false);
    });

    it('closes the children of a parent whose peer went away, and grandchildren with them', async () => {
      const { peer, parent } = await inboundParent();
      const child = await scheduler.connect(echoServer(), client, { parent });
      const grandchild = await scheduler.connect(echoServer(), client, { parent: child });
      peer.close();
      await eventually(() => grandchild.closes.length === 1, 2000, 'grandchild closed');
      expect(parent.closes[0]!.reason).to.equal('peer-closed');
      expect(child.closes[0]!.reason).to.equal('parent-closed');
      expect(grandchild.closes[0]!.reason).to.equal('parent-closed');
    });

    it('takes a child that closes out of its parent, which stays open', async () => {
      const { parent } = await inboundParent();
      const first = await scheduler.connect(echoServer(), client, { parent });
      const second = await scheduler.connect(echoServer(), client, { parent });
      expect(parent.childCount).to.equal(2);
      first.close();
      await eventually(() => parent.childCount === 1, 2000, 'child left');
      expect(first.closes[0]!.reason).to.equal('done');
      expect(parent.closed).to.equal(false);
      parent.close();
      await eventually(() => second.closes.length === 1, 2000, 'second child closed');
      expect(second.closes[0]!.reason).to.equal('parent-closed');
      expect(first.closes.length, 'onClose runs once').to.equal(1);
    });

    it('abandons a connection still being made when its parent closes', async () => {
      const { parent } = await inboundParent();
      let made = 0;
      const connecting = scheduler.connect({ host: 'slow.example', port: 1 }, (context) => (made++, client(context)), {
        parent,
        lookup: silentLookup,
      });
      expect(parent.childCount, 'the pending connection is a child').to.equal(1);
      parent.close();
      const error = await expectRejection(connecting);
      expect(error.code).to.equal('PERCORE_ERR_CONNECT_ABORTED');
      expect(made).to.equal(0);
      expect(parent.childCount).to.equal(0);
      expect(scheduler.stats().pendingTimers).to.equal(0);
    });

    it('refuses to connect for a parent that has closed already', async () => {
      const { parent } = await inboundParent();
      parent.close();
      let made = 0;
      const error = await expectRejection(scheduler.connect(echoServer(), (context) => (made++, client(context)), { parent }));
      expect(error.code).to.equal('PERCORE_ERR_CONNECT_ABORTED');
      await delay(30);
      expect(made).to.equal(0);
      expect(serverTasks.length, 'no connection was opened').to.equal(1);
    });

    it('puts the task a child hands its socket over to in its place under the parent', async () => {
      const { parent } = await inboundParent();
      const child = await scheduler.connect(echoServer(), client, { parent });
      const successor = child.handOver((context) => new LineClientTask(context));
      expect(child.closes[0]!.reason).to.equal('handed-over');
      expect(successor.parent).to.equal(parent);
      expect(parent.childCount).to.equal(1);
      successor.write('after hand-over\n');
      await eventually(() => successor.lines.length === 1, 2000, 'echo to the successor');
      parent.close();
      await eventually(() => successor.closes.length === 1, 2000, 'successor closed');
      expect(successor.closes[0]!.reason).to.equal('parent-closed');
    });

    it('passes the children of a parent that hands over to the new task', async () => {
      const parent = await scheduler.connect(echoServer(), client);
      const kept = await scheduler.connect(echoServer(), client, { parent });
      const leaving = await scheduler.connect(echoServer(), client, { parent });
      const successor = parent.handOver((context) => new LineClientTask(context));
      expect(parent.childCount).to.equal(0);
      expect(successor.childCount).to.equal(2);
      expect(kept.parent).to.equal(successor);
      leaving.close();
      await eventually(() => successor.childCount === 1, 2000, 'child left the successor');
      successor.close();
      await eventually(() => kept.closes.length === 1, 2000, 'child closed');
      expect(kept.closes[0]!.reason).to.equal('parent-closed');
    });

    it('moves a connection being made along with a hand-over', async () => {
      const parent = await scheduler.connect(echoServer(), client);
      const connecting = scheduler.connect({ host: 'slow.example', port: 1 }, client, { parent, lookup: silentLookup });
      const successor = parent.handOver((context) => new LineClientTask(context));
      expect(successor.childCount).to.equal(1);
      successor.close();
      expect((await expectRejection(connecting)).code).to.equal('PERCORE_ERR_CONNECT_ABORTED');
      expect(successor.childCount).to.equal(0);
    });

    it('abandons connections still being made when the scheduler closes all', async () => {
      const connecting = scheduler.connect({ host: 'slow.example', port: 1 }, client, { lookup: silentLookup });
      scheduler.closeAll();
      const error = await expectRejection(connecting);
      expect(error.code).to.equal('PERCORE_ERR_CONNECT_ABORTED');
      expect(error.message).to.contain('shutdown');
    });
  });
});

function portOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', (data: Buffer) => resolve(Number(data.toString().trim())));
  });
}
