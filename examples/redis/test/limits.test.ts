import { expect } from 'chai';
import { multibulk, startInProcess, type InProcessServer } from './support.js';

describe('redis per-client bounds', () => {
  let server: InProcessServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('refuses a bulk string over maxBulkLength, and a command over maxArguments, then closes', async () => {
    server = await startInProcess({ maxBulkLength: 10, maxArguments: 3 });
    const bulk = await server.connect();
    await bulk.send(multibulk('SET', 'k', '01234567890'));
    expect(await bulk.closedByPeer()).to.equal('-ERR Protocol error: invalid bulk length\r\n');
    const args = await server.connect();
    await args.send(multibulk('MSET', 'a', '1', 'b'));
    expect(await args.closedByPeer()).to.equal('-ERR Protocol error: invalid multibulk length\r\n');
    const fine = await server.connect();
    expect(await fine.command('SET', 'k', '0123456789')).to.equal('+OK\r\n');
  });

  it('closes a client whose incomplete command outgrows maxQueryBytes', async () => {
    server = await startInProcess({ maxQueryBytes: 1000 });
    const connection = await server.connect();
    await connection.send(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5000\r\n${'x'.repeat(2000)}`);
    expect(await connection.closedByPeer()).to.equal('');
  });

  it('disconnects a subscriber that does not read once its unread replies pass maxOutputBytes; others carry on', async function () {
    this.timeout(15_000);
    server = await startInProcess({ maxOutputBytes: 64 * 1024 });
    const subscriber = await server.connect();
    expect(await subscriber.command('SUBSCRIBE', 'flood')).to.equal('*3\r\n$9\r\nsubscribe\r\n$5\r\nflood\r\n:1\r\n');
    subscriber.socket.pause();
    const publisher = await server.connect();
    const payload = Buffer.alloc(256 * 1024, 0x61);
    let receivers = 1;
    for (let i = 0; i < 200 && receivers > 0; i++) receivers = Number((await publisher.command('PUBLISH', 'flood', payload)).slice(1, -2));
    expect(receivers, 'the subscriber was dropped').to.equal(0);
    expect(server.redis.info.counters.rejectedOutput).to.equal(1);
    expect(await publisher.command('PING')).to.equal('+PONG\r\n');
  });

  it('closes an idle client after `timeout` seconds on the wheel, but spares a subscriber', async function () {
    this.timeout(10_000);
    server = await startInProcess({ idleTimeoutSeconds: 1 });
    const idle = await server.connect();
    const subscriber = await server.connect();
    await subscriber.command('SUBSCRIBE', 'c');
    expect(await idle.closedByPeer(5000)).to.equal('');
    // The subscriber's own timeout came due with the idle client's; it is still served.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(subscriber.closed).to.equal(false);
    expect(await subscriber.command('PING')).to.equal('*2\r\n$4\r\npong\r\n$0\r\n\r\n');
  });

  it('keeps connections open by default (timeout 0)', async () => {
    server = await startInProcess();
    const connection = await server.connect();
    expect(server.scheduler.timers.size).to.equal(0);
    expect(await connection.command('PING')).to.equal('+PONG\r\n');
  });
});
