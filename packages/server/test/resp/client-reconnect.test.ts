import { expect } from 'chai';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { PercoreError } from '../../src/errors.js';
import { RespClient } from '../../src/resp/client.js';
import type { RespClientOptions } from '../../src/resp/client-options.js';
import type { RespValue } from '../../src/resp/values.js';
import { RedisServer, reapRedisServers, requireRedisServer } from '../support/redis-server.js';
import { eventually } from '../support/sockets.js';

const fastReconnect = { initialDelayMs: 10, maxDelayMs: 100 };

/** Every value from 1 to values.length, once each: what one server lifetime's INCR replies must be. */
function expectOneToN(values: number[], what: string): void {
  const sorted = [...values].sort((a, b) => a - b);
  const gaps = sorted.filter((value, index) => value !== index + 1);
  expect(gaps.slice(0, 5), `${what}: ${sorted.length} values, not 1..${sorted.length}`).to.deep.equal([]);
}

describe('RespClient reconnecting to a real redis-server', function () {
  this.timeout(60_000);
  let server: RedisServer;
  const clients: RespClient[] = [];

  async function client(options: RespClientOptions = {}): Promise<RespClient> {
    const made = await RespClient.connect({ port: server.port, reconnect: fastReconnect, ...options });
    clients.push(made);
    return made;
  }

  before(function () {
    requireRedisServer(this);
  });
  beforeEach(async () => {
    server = await RedisServer.start();
  });
  afterEach(async () => {
    for (const made of clients.splice(0)) made.destroy();
    await reapRedisServers();
  });

  it('kill and restart mid-load: commands in flight fail CONNECTION_LOST, none is duplicated, and the subscriber is resubscribed', async () => {
    const redis = await client();
    const subscriber = await client();
    const messages: RespValue[] = [];
    await subscriber.subscribe('news', (message) => messages.push(message));

    // 50 callers INCR one counter in a loop. Each reply is filed under the server lifetime it came
    // from (the client's reconnect count when it settles): within a lifetime the values must be
    // 1..n, each once, and after the run the second server's counter must equal its n.
    const lifetimes: number[][] = [[], []];
    const failures = new Map<string, number>();
    let stopping = false;
    const incr = () =>
      new Promise<void>((resolve) => {
        redis.send(['INCR', 'counter'], (error, reply) => {
          if (error === null) lifetimes[redis.stats().reconnects]!.push(reply as number);
          else {
            const code = error instanceof PercoreError ? error.code : String(error);
            failures.set(code, (failures.get(code) ?? 0) + 1);
          }
          resolve();
        });
      });
    const callers = Array.from({ length: 50 }, async () => {
      while (!stopping) await incr();
    });

    await eventually(() => lifetimes[0]!.length >= 3000, 20_000, '3000 INCRs on the first server');
    await server.kill();
    await eventually(() => redis.state === 'reconnecting', 5000, 'the client noticing');
    await server.start();
    await eventually(() => lifetimes[1]!.length >= 3000, 20_000, '3000 INCRs on the restarted server');
    stopping = true;
    await Promise.all(callers);

    expect([...failures.keys()].filter((code) => code !== 'PERCORE_ERR_RESP_CONNECTION_LOST')).to.deep.equal([]);
    expectOneToN(lifetimes[0]!, 'the first server');
    expectOneToN(lifetimes[1]!, 'the restarted server');
    // A command sent twice would have counted on the server without a reply of its own here.
    const checker = await client();
    expect(Number(await checker.get('counter'))).to.equal(lifetimes[1]!.length);
    expect(redis.stats()).to.include({ reconnects: 1, pending: 0, state: 'ready' });

    // The subscriber reconnected and subscribed again: a message published now arrives.
    await eventually(() => subscriber.stats().reconnects === 1, 5000, 'the subscriber reconnecting');
    let receivers = 0;
    for (let tries = 0; receivers === 0 && tries < 200; tries++) {
      receivers = await checker.publish('news', 'after the restart');
      if (receivers === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(receivers).to.equal(1);
    await eventually(() => messages.length > 0, 2000, 'the message');
    expect(messages[0]).to.equal('after the restart');
  });

  it('commands issued while the server is down wait, and are sent once after the reconnect, in order', async () => {
    const redis = await client();
    await server.kill();
    await eventually(() => redis.state === 'reconnecting', 5000, 'the client noticing');
    const queued = Array.from({ length: 5 }, () => redis.incr('n'));
    expect(redis.stats()).to.include({ queued: 5, pending: 5, inFlight: 0 });
    await server.start();
    expect(await Promise.all(queued)).to.deep.equal([1, 2, 3, 4, 5]);
    expect(await redis.get('n')).to.equal('5');
  });

  it('offlineQueue: false fails fast with CONNECTION_LOST while down, and works again after', async () => {
    const redis = await client({ offlineQueue: false });
    await server.kill();
    await eventually(() => redis.state === 'reconnecting', 5000, 'the client noticing');
    const error = await redis.incr('n').catch((caught: unknown) => caught);
    expect((error as PercoreError).code).to.equal('PERCORE_ERR_RESP_CONNECTION_LOST');
    expect(redis.stats().pending).to.equal(0);
    await server.start();
    await eventually(() => redis.state === 'ready', 5000, 'the reconnect');
    expect(await redis.incr('n')).to.equal(1);
  });

  it('reconnect: false: the first lost connection closes the client, and commands then fail CLOSED', async () => {
    const redis = await client({ reconnect: false });
    const sleeping = redis.command('BLPOP', 'never', '0').catch((caught: unknown) => caught);
    await eventually(() => redis.stats().inFlight === 1, 2000, 'the BLPOP in flight');
    await server.stop();
    const lost = await sleeping;
    expect((lost as PercoreError).code).to.equal('PERCORE_ERR_RESP_CONNECTION_LOST');
    expect(redis.state).to.equal('closed');
    expect(((await redis.get('k').catch((caught: unknown) => caught)) as PercoreError).code).to.equal('PERCORE_ERR_RESP_CLOSED');
  });

  it('AUTH, SELECT and HELLO 3 again on the new connection, then the subscriptions, then the queue', async () => {
    await server.dispose();
    server = await RedisServer.start({ args: ['--requirepass', 'pw'] });
    const redis = await client({ password: 'pw', db: 3, protocol: 3 });
    const got: string[] = [];
    await redis.subscribe('ch', (message) => got.push(String(message)));
    await redis.set('k', 'before');
    await server.kill();
    await eventually(() => redis.state === 'reconnecting', 5000, 'the client noticing');
    const queued = redis.set('k', 'after');
    await server.start();
    expect(await queued).to.equal('OK');
    expect(await redis.command('CLIENT', 'INFO')).to.match(/ db=3 .*resp=3/);
    const other = await client({ password: 'pw', db: 3 });
    expect(await other.get('k')).to.equal('after');
    expect(await other.publish('ch', 'again')).to.equal(1);
    await eventually(() => got.length === 1, 2000, 'the message');
  });

  it('a subscribe() issued while down resolves once the next connection subscribed', async () => {
    const subscriber = await client();
    await server.kill();
    await eventually(() => subscriber.state === 'reconnecting', 5000, 'the client noticing');
    const got: string[] = [];
    let subscribed = false;
    const subscribing = subscriber.subscribe('late', (message) => got.push(String(message))).then(() => (subscribed = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(subscribed).to.equal(false);
    await server.start();
    await subscribing;
    const publisher = await client();
    expect(await publisher.publish('late', 'hi')).to.equal(1);
    await eventually(() => got.length === 1, 2000, 'the message');
  });

  it('destroy() while reconnecting fails the queue with CLOSED and stops reconnecting', async () => {
    const redis = await client();
    await server.kill();
    await eventually(() => redis.state === 'reconnecting', 5000, 'the client noticing');
    const queued = redis.incr('n');
    redis.destroy();
    expect(((await queued.catch((caught: unknown) => caught)) as PercoreError).code).to.equal('PERCORE_ERR_RESP_CLOSED');
    await server.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(redis.state).to.equal('closed');
    expect(redis.scheduler.stats()).to.include({ liveTasks: 0, pendingTimers: 0 });
    const checker = await client();
    expect(await checker.command('CLIENT', 'LIST')).to.not.match(/\n.*\n/); // only the checker itself
  });
});

describe('RespClient never sends a command twice', function () {
  this.timeout(20_000);
  let fake: Server | null = null;

  after(async () => {
    if (fake !== null) await new Promise((resolve) => fake!.close(resolve));
  });

  /**
   * A server that takes `ECHO id` commands and records every id it received, per connection. The
   * first connection answers the first `answerFirst` commands, then drops the socket without
   * answering the rest: those were received (they may have run), and must not come again.
   */
  async function droppingServer(answerFirst: number): Promise<{ port: number; received: string[][] }> {
    const received: string[][] = [];
    fake = createServer((socket: Socket) => {
      const ids: string[] = [];
      const connection = received.push(ids);
      let buffered = '';
      socket.on('error', () => {});
      socket.on('data', (chunk) => {
        buffered += chunk.toString('latin1');
        let match: RegExpExecArray | null;
        // One command: *2 $4 ECHO $n id
        while ((match = /^\*2\r\n\$4\r\nECHO\r\n\$(\d+)\r\n/.exec(buffered)) !== null) {
          const start = match[0].length;
          const length = Number(match[1]);
          if (buffered.length < start + length + 2) break;
          const id = buffered.slice(start, start + length);
          buffered = buffered.slice(start + length + 2);
          ids.push(id);
          if (connection === 1 && ids.length > answerFirst) {
            socket.destroy();
            return;
          }
          socket.write(`$${id.length}\r\n${id}\r\n`);
        }
      });
    });
    await new Promise<void>((resolve) => fake!.listen(0, '127.0.0.1', resolve));
    return { port: (fake.address() as AddressInfo).port, received };
  }

  it('commands the server received before the drop fail CONNECTION_LOST and are not sent on the new connection', async () => {
    const { port, received } = await droppingServer(5);
    const redis = await RespClient.connect({ port, reconnect: fastReconnect });
    const first = await Promise.allSettled(Array.from({ length: 20 }, (_, index) => redis.command('ECHO', `id${index + 1}`)));
    expect(first.slice(0, 5)).to.deep.equal(Array.from({ length: 5 }, (_, index) => ({ status: 'fulfilled', value: `id${index + 1}` })));
    for (const result of first.slice(5)) {
      expect(((result as PromiseRejectedResult).reason as PercoreError).code).to.equal('PERCORE_ERR_RESP_CONNECTION_LOST');
    }
    const after = await Promise.all(Array.from({ length: 5 }, (_, index) => redis.command('ECHO', `id${index + 21}`)));
    expect(after).to.deep.equal(['id21', 'id22', 'id23', 'id24', 'id25']);
    expect(received[0]!.slice(0, 6)).to.deep.equal(['id1', 'id2', 'id3', 'id4', 'id5', 'id6']);
    expect(received.slice(1).flat()).to.deep.equal(['id21', 'id22', 'id23', 'id24', 'id25']);
    redis.destroy();
  });
});
