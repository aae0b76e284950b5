import { expect } from 'chai';
import type { Socket } from 'node:net';
import { Listener } from '../../src/scheduler/listener.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { Task } from '../../src/scheduler/task.js';
import { collectingLogger, connectTo, eventually, readUntil } from '../support/sockets.js';

/** Echoes lines back; the line "throw" makes it throw. Keeps a partial line (the sated rule). */
class LineEchoTask extends Task {
  private rest = '';

  override onData(chunk: Buffer): void {
    const text = this.rest + chunk.toString('latin1');
    const lines = text.split('\n');
    this.rest = lines.pop()!;
    for (const line of lines) {
      if (line === 'throw') throw new Error('this task fails on purpose');
      this.write(`${line}\n`);
    }
  }
}

describe('Scheduler', () => {
  describe('defer', () => {
    it('runs callbacks on a later turn, in order, once each', async () => {
      const scheduler = new Scheduler();
      const log: number[] = [];
      scheduler.defer(() => log.push(1));
      scheduler.defer(() => {
        log.push(2);
        scheduler.defer(() => log.push(4)); // deferred from a deferred callback: the next batch
      });
      scheduler.defer(() => log.push(3));
      expect(log).to.deep.equal([]);
      await eventually(() => log.length === 4, 1000, 'deferred callbacks');
      expect(log).to.deep.equal([1, 2, 3, 4]);
    });

    it('isolates a throwing callback: it is logged and counted, and the rest still run', async () => {
      const logger = collectingLogger();
      const scheduler = new Scheduler({ logger });
      const log: string[] = [];
      scheduler.defer(() => {
        throw new Error('deferred failure');
      });
      scheduler.defer(() => log.push('after'));
      await eventually(() => log.length === 1, 1000, 'deferred callbacks');
      expect(logger.entries.map((entry) => entry.code)).to.deep.equal(['PERCORE_ERR_TASK_FAILED']);
      expect(scheduler.stats().taskErrors).to.equal(1);
    });

    it('runs 500,000 deferred callbacks', async () => {
      const scheduler = new Scheduler();
      const count = 500_000;
      let ran = 0;
      for (let i = 0; i < count; i++) scheduler.defer(() => ran++);
      await eventually(() => ran === count, 5000, 'all deferred callbacks');
      expect(ran).to.equal(count);
    });
  });

  describe('tasks on real connections', () => {
    let scheduler: Scheduler;
    let listener: Listener;
    let logger: ReturnType<typeof collectingLogger>;
    const clients: Socket[] = [];

    beforeEach(async () => {
      logger = collectingLogger();
      scheduler = new Scheduler({ logger });
      listener = new Listener(scheduler, { factory: (context) => new LineEchoTask(context) });
      await listener.listen({ port: 0, host: '127.0.0.1' });
    });

    afterEach(async () => {
      for (const client of clients.splice(0)) client.destroy();
      await listener.close({ graceMs: 0 });
    });

    async function client(): Promise<Socket> {
      const socket = await connectTo(listener.address!.port);
      clients.push(socket);
      return socket;
    }

    it('closes only the task that threw, with a logged error code, and serves the others', async () => {
      const healthy = await Promise.all([client(), client(), client()]);
      const failing = await client();
      await eventually(() => scheduler.stats().liveTasks === 4, 2000, 'four tasks');

      failing.write('throw\n');
      const { closed } = await readUntil(failing, () => false, 2000);
      expect(closed, 'the failing task was closed').to.equal(true);

      for (const [index, socket] of healthy.entries()) {
        socket.write(`still here ${index}\n`);
        const { data } = await readUntil(socket, (received) => received.includes(0x0a));
        expect(data.toString()).to.equal(`still here ${index}\n`);
      }
      expect(logger.entries.map((entry) => entry.code)).to.deep.equal(['PERCORE_ERR_TASK_FAILED']);
      expect((logger.entries[0]!.error as Error).message).to.equal('this task fails on purpose');
      await eventually(() => scheduler.stats().liveTasks === 3, 2000, 'three tasks');
      expect(scheduler.stats().taskErrors).to.equal(1);
    });

    it('counts live, peak, opened and closed tasks, and bytes in and out', async () => {
      const sockets = await Promise.all([client(), client()]);
      await eventually(() => scheduler.stats().liveTasks === 2, 2000, 'two tasks');
      sockets[0]!.write('hello\n');
      await readUntil(sockets[0]!, (received) => received.length === 6);
      sockets[0]!.destroy();
      await eventually(() => scheduler.stats().closedTasks === 1, 2000, 'one closed');
      const stats = scheduler.stats();
      expect(stats).to.include({ liveTasks: 1, peakTasks: 2, openedTasks: 2, closedTasks: 1, taskErrors: 0 });
      expect(stats.bytesIn).to.equal(6);
      expect(stats.bytesOut).to.equal(6);
      expect([...scheduler.liveTasks()]).to.have.length(1);
    });

    it('closes every live task on closeAll', async () => {
      const sockets = await Promise.all([client(), client()]);
      await eventually(() => scheduler.stats().liveTasks === 2, 2000, 'two tasks');
      scheduler.closeAll();
      for (const socket of sockets) expect((await readUntil(socket, () => false)).closed).to.equal(true);
      await eventually(() => scheduler.stats().liveTasks === 0, 2000, 'no tasks');
    });
  });
});
