import { expect } from 'chai';
import { TimerWheel } from '@percore/server/scheduler';
import { Keyspace } from '../src/store/keyspace.js';
import { startInProcess, type InProcessServer } from './support.js';

async function until(predicate: () => boolean, what: string, deadlineMs = 3000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('redis expiry', () => {
  let server: InProcessServer;
  beforeEach(async () => (server = await startInProcess()));
  afterEach(() => server.close());

  it('EX and PX set deadlines that TTL and PTTL report (TTL rounded, PTTL in ms)', async () => {
    const connection = await server.connect();
    expect(await connection.command('SET', 'a', '1', 'EX', '50')).to.equal('+OK\r\n');
    expect(await connection.command('TTL', 'a')).to.equal(':50\r\n');
    expect(await connection.command('SET', 'b', '1', 'PX', '20000')).to.equal('+OK\r\n');
    const pttl = Number((await connection.command('PTTL', 'b')).slice(1, -2));
    expect(pttl).to.be.within(1, 20000);
    expect(await connection.command('TTL', 'b')).to.equal(':20\r\n');
  });

  it('the timer wheel deletes a key at its deadline, with nobody reading it', async () => {
    const connection = await server.connect();
    await connection.command('SET', 'soon', 'v', 'PX', '30');
    await connection.command('SET', 'kept', 'v');
    expect(server.redis.keyspace.size).to.equal(2);
    // DBSIZE counts the map without looking keys up: only the wheel can bring it to 1.
    await until(() => server.redis.keyspace.size === 1, 'the wheel expiring "soon"');
    expect(server.redis.keyspace.stats.expiredKeys).to.equal(1);
    expect(await connection.command('DBSIZE')).to.equal(':1\r\n');
    expect(await connection.command('GET', 'soon')).to.equal('$-1\r\n');
  });

  it('SET without KEEPTTL clears the deadline and cancels its timer; PERSIST does too', async () => {
    const connection = await server.connect();
    await connection.command('SET', 'k', 'v', 'PX', '100000');
    expect(server.scheduler.timers.size).to.equal(1);
    await connection.command('SET', 'k', 'v2');
    expect(server.scheduler.timers.size).to.equal(0);
    expect(await connection.command('TTL', 'k')).to.equal(':-1\r\n');
    await connection.command('EXPIRE', 'k', '100');
    await connection.command('SET', 'k', 'v3', 'KEEPTTL');
    expect(await connection.command('TTL', 'k')).to.equal(':100\r\n');
    await connection.command('PERSIST', 'k');
    expect(server.scheduler.timers.size).to.equal(0);
    await connection.command('EXPIRE', 'k', '100');
    await connection.command('DEL', 'k');
    expect(server.scheduler.timers.size).to.equal(0);
  });

  describe('with a clock the test moves (the wheel never turns by itself)', () => {
    let now: number;
    let wheel: TimerWheel;
    let keyspace: Keyspace;
    beforeEach(() => {
      now = 1_000_000;
      wheel = new TimerWheel({ resolutionMs: 10, now: () => now });
      keyspace = new Keyspace(wheel, () => now);
    });
    afterEach(() => wheel.clear());

    it('a key read after its deadline is gone although its timer has not fired (lazy expiry)', () => {
      const entry = keyspace.set('k', Buffer.from('v'));
      keyspace.setDeadline(entry, now + 100);
      now += 99;
      expect(keyspace.lookup('k')).to.equal(entry);
      now += 1;
      expect(keyspace.lookup('k')).to.equal(undefined);
      expect(keyspace.size).to.equal(0);
      expect(keyspace.stats.expiredKeys).to.equal(1);
      expect(wheel.size).to.equal(0);
    });

    it('a deadline beyond a day re-arms its timer until it is due', () => {
      const entry = keyspace.set('k', Buffer.from('v'));
      const threeDays = 3 * 24 * 3600 * 1000;
      keyspace.setDeadline(entry, now + threeDays);
      now += 24 * 3600 * 1000 + 100;
      wheel.advance();
      expect(keyspace.size, 'still there after the first day').to.equal(1);
      expect(wheel.size).to.equal(1);
      now += 2 * 24 * 3600 * 1000;
      for (let i = 0; i < 3; i++) wheel.advance();
      expect(keyspace.size).to.equal(0);
      expect(wheel.size).to.equal(0);
    });

    it('a deadline in the past deletes at once', () => {
      const entry = keyspace.set('k', Buffer.from('v'));
      keyspace.setDeadline(entry, now - 1);
      expect(keyspace.size).to.equal(0);
      expect(keyspace.expiringCount).to.equal(0);
    });
  });
});
