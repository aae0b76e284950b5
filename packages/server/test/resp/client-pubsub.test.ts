import { expect } from 'chai';
import { PercoreError } from '../../src/errors.js';
import { RespClient } from '../../src/resp/client.js';
import type { RespClientOptions } from '../../src/resp/client-options.js';
import type { RespPush, RespValue } from '../../src/resp/values.js';
import { RedisServer, reapRedisServers, requireRedisServer } from '../support/redis-server.js';
import { eventually } from '../support/sockets.js';

describe('RespClient pub/sub against a real redis-server', function () {
  this.timeout(20_000);
  let server: RedisServer;
  let publisher: RespClient;
  const clients: RespClient[] = [];

  async function client(options: RespClientOptions = {}): Promise<RespClient> {
    const made = await RespClient.connect({ port: server.port, ...options });
    clients.push(made);
    return made;
  }

  before(async function () {
    requireRedisServer(this);
    server = await RedisServer.start();
    publisher = await RespClient.connect({ port: server.port });
  });
  afterEach(() => {
    for (const made of clients.splice(0)) made.destroy();
  });
  after(async () => {
    publisher?.destroy();
    await reapRedisServers();
  });

  for (const protocol of [2, 3] as const) {
    describe(`RESP${protocol}`, () => {
      it('subscribe: a message published from a second client arrives, with its channel', async () => {
        const subscriber = await client({ protocol });
        const messages: Array<[RespValue, string]> = [];
        await subscriber.subscribe('news', (message, channel) => messages.push([message, channel]));
        expect(subscriber.stats().subscriptions).to.equal(1);
        expect(await publisher.publish('news', 'hello')).to.equal(1);
        expect(await publisher.publish('other', 'not for us')).to.equal(0);
        await eventually(() => messages.length === 1, 2000, 'the message');
        expect(messages).to.deep.equal([['hello', 'news']]);
      });

      it('one SUBSCRIBE of several channels settles after all its confirmations, with messages arriving between them', async () => {
        const subscriber = await client({ protocol });
        const counts = new Map<string, number>();
        const listener = (_message: RespValue, channel: string) => counts.set(channel, (counts.get(channel) ?? 0) + 1);
        await subscriber.subscribe('a', listener);
        // Flood 'a' while a SUBSCRIBE of three channels is confirmed: messages on 'a' land between the confirmations.
        let published = 0;
        let flooding = true;
        const flood = (async () => {
          while (flooding)
            published += (await Promise.all(Array.from({ length: 20 }, () => publisher.publish('a', 'm')))).reduce((x, y) => x + y, 0);
        })();
        await new Promise((resolve) => setTimeout(resolve, 20));
        for (let round = 0; round < 20; round++) {
          await subscriber.subscribe(['b', 'c', 'd'], listener);
          await subscriber.unsubscribe(['b', 'c', 'd']);
        }
        await subscriber.subscribe(['b', 'c'], listener);
        flooding = false;
        await flood;
        // PING answers in order behind everything (["pong", ""] under RESP2 subscriber mode).
        expect(await subscriber.ping()).to.equal('PONG');
        expect(await publisher.publish('b', 'x')).to.equal(1);
        expect(await publisher.publish('c', 'y')).to.equal(1);
        await eventually(() => counts.get('a') === published && counts.get('b') === 1 && counts.get('c') === 1, 3000, 'every message');
        expect(counts.get('d')).to.equal(undefined);
        expect(published).to.be.greaterThan(0);
      });

      it('psubscribe: a message on a matching channel arrives with its channel and the pattern', async () => {
        const subscriber = await client({ protocol });
        const got: Array<[RespValue, string, string]> = [];
        await subscriber.psubscribe('news.*', (message, channel, pattern) => got.push([message, channel, pattern]));
        expect(await publisher.publish('news.sport', 'goal')).to.equal(1);
        expect(await publisher.publish('weather', 'rain')).to.equal(0);
        await eventually(() => got.length === 1, 2000, 'the message');
        expect(got).to.deep.equal([['goal', 'news.sport', 'news.*']]);
        await subscriber.punsubscribe();
        expect(subscriber.stats().subscriptions).to.equal(0);
        expect(await publisher.publish('news.sport', 'again')).to.equal(0);
      });

      it('unsubscribe stops the messages; with no names it drops every channel', async () => {
        const subscriber = await client({ protocol });
        const got: string[] = [];
        await subscriber.subscribe(['x', 'y'], (message) => got.push(String(message)));
        await subscriber.unsubscribe('x');
        expect(await publisher.publish('x', '1')).to.equal(0);
        expect(await publisher.publish('y', '2')).to.equal(1);
        await eventually(() => got.length === 1, 2000, 'the message on y');
        await subscriber.unsubscribe();
        expect(await publisher.publish('y', '3')).to.equal(0);
        // Nothing subscribed: commands are allowed again, under both protocols.
        expect(await subscriber.get('nothing')).to.equal(null);
        expect(got).to.deep.equal(['2']);
      });
    });
  }

  it('RESP2 subscriber mode refuses GET with PERCORE_ERR_RESP_SUBSCRIBER_MODE, sending nothing', async () => {
    const subscriber = await client();
    await subscriber.subscribe('ch', () => {});
    const written = subscriber.stats().written;
    const error = await subscriber.get('k').catch((caught: unknown) => caught);
    expect((error as PercoreError).code).to.equal('PERCORE_ERR_RESP_SUBSCRIBER_MODE');
    expect(subscriber.stats().written).to.equal(written);
    expect(await subscriber.ping()).to.equal('PONG');
    expect(await subscriber.ping('echo')).to.equal('echo');
  });

  it('RESP3 takes commands and messages on one connection', async () => {
    const subscriber = await client({ protocol: 3 });
    const got: string[] = [];
    await subscriber.subscribe('ch', (message) => got.push(String(message)));
    await subscriber.set('k', 'v');
    const replies = await Promise.all([
      subscriber.get('k'),
      publisher.publish('ch', 'm1'),
      subscriber.incr('n'),
      publisher.publish('ch', 'm2'),
    ]);
    expect(replies).to.deep.equal(['v', 1, 1, 1]);
    await eventually(() => got.length === 2, 2000, 'both messages');
    expect(got).to.deep.equal(['m1', 'm2']);
  });

  it('RESP3 pushes other than messages reach onPush (client-side caching invalidations)', async () => {
    const tracked = await client({ protocol: 3 });
    const pushes: RespPush[] = [];
    tracked.onPush((push) => pushes.push(push));
    expect(await tracked.command('CLIENT', 'TRACKING', 'ON')).to.equal('OK');
    await publisher.set('cached', '1');
    expect(await tracked.get('cached')).to.equal('1');
    await publisher.set('cached', '2');
    await eventually(() => pushes.length === 1, 2000, 'the invalidation');
    expect(pushes[0]!.kind).to.equal('invalidate');
    expect(pushes[0]!.data).to.deep.equal([['cached']]);
  });

  it("bulkAs 'buffer': messages are Buffers, channels strings", async () => {
    const subscriber = await client({ bulkAs: 'buffer' });
    const got: Array<[RespValue, string, string?]> = [];
    await subscriber.subscribe('bin', (message, channel) => got.push([message, channel]));
    await subscriber.psubscribe('b*', (message, channel, pattern) => got.push([message, channel, pattern]));
    await publisher.publish('bin', Buffer.from([1, 2, 3]));
    await eventually(() => got.length === 2, 2000, 'both deliveries');
    expect(got).to.deep.include([Buffer.from([1, 2, 3]), 'bin']);
    expect(got).to.deep.include([Buffer.from([1, 2, 3]), 'bin', 'b*']);
  });

  it('a listener that throws is logged and the others still get the message', async () => {
    const { Scheduler } = await import('../../src/scheduler/scheduler.js');
    const logged: string[] = [];
    const scheduler = new Scheduler({ logger: { error: (code) => logged.push(code) } });
    const subscriber = await client({ scheduler });
    const got: string[] = [];
    await subscriber.subscribe('ch', () => {
      throw new Error('listener bug');
    });
    await subscriber.subscribe('ch', (message) => got.push(String(message)));
    await publisher.publish('ch', 'still delivered');
    await eventually(() => got.length === 1, 2000, 'the message');
    expect(logged).to.deep.equal(['PERCORE_ERR_TASK_FAILED']);
    expect(await subscriber.ping()).to.equal('PONG');
  });
});
