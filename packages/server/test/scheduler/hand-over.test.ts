import { expect } from 'chai';
import type { Socket } from 'node:net';
import { isPercoreError } from '../../src/errors.js';
import { Listener } from '../../src/scheduler/listener.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { Task, type CloseReason, type TaskContext } from '../../src/scheduler/task.js';
import { collectingLogger, connectTo, eventually, readUntil } from '../support/sockets.js';

/** The first protocol: reads lines until one says "switch", then hands the rest over. */
class FirstTask extends Task {
  readonly closes: CloseReason[] = [];
  successorTask: EchoTask | null = null;
  constructor(
    context: TaskContext,
    private readonly onFirstData?: (task: FirstTask, chunk: Buffer) => boolean,
  ) {
    super(context);
  }

  override onData(chunk: Buffer): void {
    if (this.onFirstData?.(this, chunk) === false) return;
    const at = chunk.indexOf('switch\n');
    if (at === -1) {
      this.write(`first:${chunk.toString()}`);
      return;
    }
    this.successorTask = this.handOver((context, head) => new EchoTask(context, head), chunk.subarray(at + 7));
  }

  override onClose(reason: CloseReason): void {
    this.closes.push(reason);
  }
}

/** The second protocol: echoes every byte upper-cased, and records what it was given. */
class EchoTask extends Task {
  readonly received: Buffer[] = [];
  readonly closes: CloseReason[] = [];
  ends = 0;
  constructor(
    context: TaskContext,
    readonly head: Buffer,
  ) {
    super(context);
  }

  override onData(chunk: Buffer): void {
    this.received.push(Buffer.from(chunk));
    this.write(chunk.toString().toUpperCase());
  }

  override onEnd(): void {
    this.ends++;
    super.onEnd();
  }

  override onClose(reason: CloseReason): void {
    this.closes.push(reason);
  }
}

describe('Task.handOver', () => {
  let scheduler: Scheduler;
  let listener: Listener;
  let firsts: FirstTask[];
  let clients: Socket[];
  let onFirstData: ((task: FirstTask, chunk: Buffer) => boolean) | undefined;

  beforeEach(async () => {
    scheduler = new Scheduler({ timerResolutionMs: 5, logger: collectingLogger() });
    firsts = [];
    clients = [];
    onFirstData = undefined;
    listener = new Listener(scheduler, {
      factory: (context) => {
        const task = new FirstTask(context, onFirstData);
        firsts.push(task);
        return task;
      },
    });
    await listener.listen({ port: 0, host: '127.0.0.1' });
  });

  afterEach(async () => {
    for (const client of clients) client.destroy();
    await listener.close({ graceMs: 0 });
  });

  async function open(): Promise<{ client: Socket; first: FirstTask }> {
    const client = await connectTo(listener.address!.port);
    clients.push(client);
    await eventually(() => firsts.length === clients.length, 2000, 'task creation');
    return { client, first: firsts[firsts.length - 1]! };
  }

  it('gives the head bytes to the new task first, then later reads, with the socket left open', async () => {
    const { client, first } = await open();
    client.write('switch\nab');
    await eventually(() => first.successorTask !== null, 2000, 'hand-over');
    const next = first.successorTask!;
    expect(next.head.toString()).to.equal('ab');
    expect(next.received.map(String)).to.deep.equal(['ab']);
    client.write('cd');
    const { data, closed } = await readUntil(client, (received) => received.length >= 4);
    expect(data.toString()).to.equal('ABCD');
    expect(closed).to.equal(false);
    expect(Buffer.concat(next.received).toString()).to.equal('abcd');
  });

  it("ends the old task at once with 'handed-over', and keeps it off the socket", async () => {
    const { client, first } = await open();
    client.write('switch\n');
    await eventually(() => first.successorTask !== null, 2000, 'hand-over');
    expect(first.closes).to.deep.equal(['handed-over']);
    expect(first.closed).to.equal(true);
    expect(first.current).to.equal(first.successorTask);
    // The socket's listeners moved: one of each, now for the new task ('drain' is added only once a write is refused).
    for (const event of ['data', 'error']) expect(first.socket.listenerCount(event), event).to.equal(1);
    expect(first.socket.listenerCount('drain'), 'drain').to.equal(0);
    // The old task can no longer write to, pause or close the socket.
    expect(first.write('late')).to.equal(false);
    first.pauseReading();
    first.close('done');
    expect(first.socket.destroyed).to.equal(false);
    expect(first.socket.isPaused()).to.equal(false);
    client.write('x');
    const { data } = await readUntil(client, (received) => received.length >= 1);
    expect(data.toString()).to.equal('X');
    expect(first.closes).to.deep.equal(['handed-over']);
  });

  it('refuses to hand over a task that has closed', async () => {
    let thrown: unknown = null;
    onFirstData = (task) => {
      task.halfClose();
      try {
        task.handOver((context, head) => new EchoTask(context, head));
      } catch (error) {
        thrown = error;
      }
      return false;
    };
    const { client } = await open();
    client.write('x');
    await eventually(() => thrown !== null, 2000, 'refusal');
    expect(isPercoreError(thrown) && thrown.code).to.equal('PERCORE_ERR_TASK_CLOSED');
  });

  it('resumes reading for the new task when the old one had paused it', async () => {
    onFirstData = (task, chunk) => {
      if (chunk.includes('switch')) task.pauseReading();
      return true;
    };
    const { client, first } = await open();
    client.write('switch\n');
    await eventually(() => first.successorTask !== null, 2000, 'hand-over');
    expect(first.socket.isPaused()).to.equal(false);
    client.write('go');
    const { data } = await readUntil(client, (received) => received.length >= 2);
    expect(data.toString()).to.equal('GO');
  });

  it('passes a full write buffer on: the new task sees writeBlocked, then onDrain when the peer reads', async () => {
    const big = Buffer.alloc(1024 * 1024, 0x61);
    onFirstData = (task, chunk) => {
      if (!chunk.includes('switch')) return true;
      for (let i = 0; i < 64 && task.write(big); i++);
      return true;
    };
    const { client, first } = await open();
    client.pause();
    client.write('switch\n');
    await eventually(() => first.successorTask !== null, 2000, 'hand-over');
    const next = first.successorTask!;
    expect(next.writeBlocked, 'the new task inherits the full buffer').to.equal(true);
    expect(next.socket.isPaused(), 'and reading stays paused for it').to.equal(true);
    let drained = 0;
    next.onDrain = () => drained++;
    client.resume();
    await eventually(() => drained === 1, 5000, 'drain');
    expect(next.writeBlocked).to.equal(false);
    expect(next.socket.isPaused()).to.equal(false);
  });

  it('counts one connection in the listener and scheduler until the socket closes', async () => {
    const { client, first } = await open();
    client.write('switch\n');
    await eventually(() => first.successorTask !== null, 2000, 'hand-over');
    const next = first.successorTask!;
    expect(listener.stats().connections).to.equal(1);
    expect(scheduler.stats().liveTasks).to.equal(1);
    expect([...scheduler.liveTasks()]).to.deep.equal([next]);
    client.end();
    await eventually(() => next.closes.length === 1, 2000, 'close');
    expect(next.ends).to.equal(1);
    expect(next.closes).to.deep.equal(['peer-closed']);
    await eventually(() => listener.stats().connections === 0, 2000, 'listener release');
    expect(scheduler.stats().liveTasks).to.equal(0);
    expect(first.closes).to.deep.equal(['handed-over']);
  });

  it('splits the byte counts at the hand-over, so the scheduler counts each byte once', async () => {
    const { client, first } = await open();
    client.write('switch\nab');
    await eventually(() => first.successorTask !== null, 2000, 'hand-over');
    const next = first.successorTask!;
    client.write('cde');
    await readUntil(client, (received) => received.length >= 5);
    expect(first.bytesRead, 'the old task read the upgrade and the head').to.equal(9);
    expect(next.bytesRead).to.equal(3);
    expect(next.bytesWritten).to.equal(5);
    expect(scheduler.stats().bytesIn).to.equal(12);
    client.end();
    await eventually(() => next.closes.length === 1, 2000, 'close');
    expect(scheduler.stats().bytesIn).to.equal(12);
    expect(scheduler.stats().bytesOut).to.equal(5);
  });

  it('shuts down the new task when the listener closes', async () => {
    const { client, first } = await open();
    client.write('switch\n');
    await eventually(() => first.successorTask !== null, 2000, 'hand-over');
    const next = first.successorTask!;
    await listener.close({ graceMs: 0 });
    await eventually(() => next.closes.length === 1, 2000, 'close');
    expect(next.closes).to.deep.equal(['shutdown']);
    const { closed } = await readUntil(client, () => false);
    expect(closed).to.equal(true);
  });
});
