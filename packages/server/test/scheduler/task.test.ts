import { expect } from 'chai';
import type { Socket } from 'node:net';
import { Listener } from '../../src/scheduler/listener.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { Task, type CloseReason, type TaskContext } from '../../src/scheduler/task.js';
import { collectingLogger, connectTo, eventually, readUntil } from '../support/sockets.js';

/** A task whose behaviour each test supplies, recording what the scheduler tells it. */
class ProbeTask extends Task {
  readonly received: Buffer[] = [];
  readonly closes: Array<{ reason: CloseReason; error?: unknown }> = [];
  drains = 0;
  timeouts = 0;

  constructor(
    context: TaskContext,
    readonly behaviour: {
      onData?: (task: ProbeTask, chunk: Buffer) => void;
      onTimeout?: (task: ProbeTask) => void;
      onOpen?: (task: ProbeTask) => void;
    },
  ) {
    super(context);
    behaviour.onOpen?.(this);
  }

  override onData(chunk: Buffer): void {
    this.received.push(chunk);
    this.behaviour.onData?.(this, chunk);
  }

  override onDrain(): void {
    this.drains++;
  }

  override onTimeout(): void {
    this.timeouts++;
    if (this.behaviour.onTimeout) this.behaviour.onTimeout(this);
    else super.onTimeout();
  }

  override onClose(reason: CloseReason, error?: unknown): void {
    this.closes.push({ reason, error });
  }

  get paused(): boolean {
    return this.socket.isPaused();
  }
}

describe('Task', () => {
  let scheduler: Scheduler;
  let listener: Listener;
  let tasks: ProbeTask[];
  let clients: Socket[];
  let behaviour: ConstructorParameters<typeof ProbeTask>[1];

  beforeEach(async () => {
    scheduler = new Scheduler({ timerResolutionMs: 5, logger: collectingLogger() });
    tasks = [];
    clients = [];
    behaviour = {};
    listener = new Listener(scheduler, {
      factory: (context) => {
        const task = new ProbeTask(context, behaviour);
        tasks.push(task);
        return task;
      },
    });
    await listener.listen({ port: 0, host: '127.0.0.1' });
  });

  afterEach(async () => {
    for (const client of clients) client.destroy();
    await listener.close({ graceMs: 0 });
  });

  async function open(): Promise<{ client: Socket; task: ProbeTask }> {
    const client = await connectTo(listener.address!.port);
    clients.push(client);
    await eventually(() => tasks.length === clients.length, 2000, 'task creation');
    return { client, task: tasks[tasks.length - 1]! };
  }

  it('hands every byte to onData exactly once, in order', async () => {
    behaviour.onData = (task, chunk) => task.write(chunk);
    const { client, task } = await open();
    const payload = Buffer.from(Array.from({ length: 100_000 }, (_, i) => i % 251));
    client.write(payload);
    const { data } = await readUntil(client, (received) => received.length >= payload.length);
    expect(Buffer.compare(data, payload)).to.equal(0);
    expect(Buffer.compare(Buffer.concat(task.received), payload)).to.equal(0);
  });

  it('stops reading while its writes are blocked, and resumes with onDrain when the peer reads', async () => {
    const big = Buffer.alloc(1024 * 1024, 0x61);
    let writes = 0;
    let blockedWhilePaused = false;
    behaviour.onData = (task) => {
      // Write until the socket's buffer is full.
      for (let i = 0; i < 64 && task.write(big); i++) writes++;
      blockedWhilePaused = task.writeBlocked && task.paused;
    };
    const { client, task } = await open();
    client.pause();
    client.write('go');
    await eventually(() => task.received.length === 1, 2000, 'first data');
    expect(blockedWhilePaused, 'blocked writes pause reading').to.equal(true);
    expect(writes).to.be.lessThan(64);
    client.resume();
    await eventually(() => task.drains === 1, 5000, 'drain');
    expect(task.writeBlocked).to.equal(false);
    expect(task.paused, 'reading resumes after drain').to.equal(false);
  });

  it('half-closes by flushing everything queued, then closing', async () => {
    const payload = Buffer.alloc(3 * 1024 * 1024, 0x62);
    behaviour.onData = (task) => {
      task.write(payload);
      task.halfClose();
    };
    const { client, task } = await open();
    client.write('x');
    const { data, closed } = await readUntil(client, () => false, 5000);
    expect(closed).to.equal(true);
    expect(data.length).to.equal(payload.length);
    await eventually(() => task.closes.length === 1, 2000, 'close');
    expect(task.closes[0]!.reason).to.equal('done');
  });

  it('closes a half-closed task after the linger time if the peer never closes', async () => {
    behaviour.onData = (task) => task.halfClose(50);
    const { client, task } = await open();
    client.write('x');
    // The client neither reads to the end nor closes.
    await eventually(() => task.closes.length === 1, 2000, 'linger close');
    expect(task.closes[0]!.reason).to.equal('done');
  });

  it('runs per-task timeouts on the scheduler wheel, and closes by default', async () => {
    behaviour.onOpen = (task) => task.setTimeout(30);
    const { task } = await open();
    expect(scheduler.stats().pendingTimers).to.equal(1);
    await eventually(() => task.closes.length === 1, 2000, 'timeout close');
    expect(task.timeouts).to.equal(1);
    expect(task.closes[0]!.reason).to.equal('timeout');
    expect(scheduler.stats().pendingTimers).to.equal(0);
  });

  it('re-arms a timeout on activity, and clears it', async () => {
    behaviour.onOpen = (task) => task.setTimeout(80);
    behaviour.onData = (task, chunk) => {
      if (chunk.toString() === 'stop') task.clearTimeout();
      else task.setTimeout(80);
    };
    const { client, task } = await open();
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 40));
      client.write('ping');
      await eventually(() => task.received.length === i + 1, 1000, 'data');
    }
    expect(task.timeouts, 'activity kept re-arming the timeout').to.equal(0);
    client.write('stop');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(task.timeouts, 'a cleared timeout never fires').to.equal(0);
    expect(task.closed).to.equal(false);
  });

  it('by default half-closes when the peer ends, reporting peer-closed', async () => {
    const { client, task } = await open();
    client.end();
    await eventually(() => task.closes.length === 1, 2000, 'close');
    expect(task.closes[0]!.reason).to.equal('peer-closed');
  });

  it('calls onClose exactly once, even when closed repeatedly', async () => {
    const { client, task } = await open();
    task.close('done');
    task.close('timeout');
    task.halfClose();
    client.destroy();
    await eventually(() => task.closes.length > 0, 2000, 'close');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(task.closes).to.have.length(1);
    expect(task.closes[0]!.reason).to.equal('done');
    expect(task.write('late')).to.equal(false);
  });

  it('closes what was tied to it with addChild when it closes, and at once once closed', async () => {
    const { task } = await open();
    const closedWith: CloseReason[] = [];
    const child = { close: (reason: CloseReason) => closedWith.push(reason) };
    const untied = { close: (reason: CloseReason) => closedWith.push(reason) };
    task.addChild(child);
    task.addChild(untied);
    task.removeChild(untied);
    expect(task.childCount).to.equal(1);
    task.close();
    expect(closedWith).to.deep.equal(['parent-closed']);
    expect(task.childCount).to.equal(0);
    task.addChild(child);
    expect(closedWith).to.deep.equal(['parent-closed', 'parent-closed']);
  });
});
