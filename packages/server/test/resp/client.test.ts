import { expect } from 'chai';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { PercoreError, type ErrorCode } from '../../src/errors.js';
import { RespClient } from '../../src/resp/client.js';
import type { RespClientOptions } from '../../src/resp/client-options.js';
import { RespReplyError, type RespValue } from '../../src/resp/values.js';
import { RedisServer, reapRedisServers, requireRedisServer } from '../support/redis-server.js';
import { eventually } from '../support/sockets.js';

/** Resolves with the rejection of `promise`, which must reject with a PercoreError of `code`. */
async function rejection(promise: Promise<unknown>, code: ErrorCode): Promise<PercoreError> {
  const error = await promise.then(
    (value) => {
      throw new Error(`expected ${code}, got the reply ${String(value)}`);
    },
    (error: unknown) => error,
  );
  expect(error, String(error)).to.be.instanceOf(PercoreError);
  expect((error as PercoreError).code, String(error)).to.equal(code);
  return error as PercoreError;
}

describe('RespClient against a real redis-server', function () {
  this.timeout(20_000);
  let server: RedisServer;
  const clients: RespClient[] = [];

  async function client(options: RespClientOptions = {}): Promise<RespClient> {
    const made = await RespClient.connect({ port: server.port, ...options });
    clients.push(made);
    return made;
  }

  before(async function () {
    requireRedisServer(this);
    server = await RedisServer.start({ args: ['--enable-debug-command', 'yes'] });
  });
  afterEach(async () => {
    for (const made of clients.splice(0)) made.destroy();
    if (server?.running) {
      const admin = await RespClient.connect({ port: server.port });
      await admin.command('FLUSHALL');
      await admin.close();
    }
  });
  after(reapRedisServers);

  describe('commands', () => {
    it('round-trips GET, SET, DEL, INCR, EXPIRE and TTL', async () => {
      const redis = await client();
      expect(redis.state).to.equal('ready');
      expect(await redis.set('k', 'v1')).to.equal('OK');
      expect(await redis.get('k')).to.equal('v1');
      expect(await redis.get('missing')).to.equal(null);
      expect(await redis.set('k', 'v2', { NX: true })).to.equal(null);
      expect(await redis.set('absent', 'x', { XX: true })).to.equal(null);
      expect(await redis.get('k')).to.equal('v1');
      expect(await redis.ttl('k')).to.equal(-1);
      expect(await redis.expire('k', 100)).to.equal(1);
      const ttl = await redis.ttl('k');
      expect(ttl).to.be.within(1, 100);
      expect(await redis.set('px', 'y', { PX: 60_000 })).to.equal('OK');
      expect(await redis.command('PTTL', 'px')).to.be.within(1, 60_000);
      expect(await redis.incr('n')).to.equal(1);
      expect(await redis.incr('n')).to.equal(2);
      expect(await redis.del('k', 'n', 'missing')).to.equal(2);
      expect(await redis.ttl('k')).to.equal(-2);
      expect(await redis.ping()).to.equal('PONG');
      expect(await redis.ping('hi')).to.equal('hi');
    });

    it('keeps strings byte-exact: multibyte UTF-8, Buffers, empty values and numbers as arguments', async () => {
      const redis = await client();
      await redis.set('utf8', 'héllo wörld ✓');
      expect(await redis.get('utf8')).to.equal('héllo wörld ✓');
      expect(await redis.command('STRLEN', 'utf8')).to.equal(Buffer.byteLength('héllo wörld ✓'));
      await redis.set(Buffer.from('bin'), Buffer.from([0, 255, 13, 10]));
      const buffers = await client({ bulkAs: 'buffer' });
      expect(await buffers.get('bin')).to.deep.equal(Buffer.from([0, 255, 13, 10]));
      await redis.set('empty', '');
      expect(await redis.get('empty')).to.equal('');
      await redis.set('num', 42);
      expect(await redis.command('INCRBY', 'num', 8n)).to.equal(50);
    });

    it('runs 10k pipelined INCRs from 50 concurrent callers: each resolves once, with every value from 1 to 10k', async () => {
      const redis = await client();
      const callers = Array.from({ length: 50 }, () => Promise.all(Array.from({ length: 200 }, () => redis.incr('counter'))));
      const values = (await Promise.all(callers)).flat();
      expect(values).to.have.length(10_000);
      expect(new Set(values).size).to.equal(10_000);
      expect(Math.min(...values)).to.equal(1);
      expect(Math.max(...values)).to.equal(10_000);
      expect(await redis.get('counter')).to.equal('10000');
      expect(redis.stats()).to.include({ pending: 0, queued: 0, inFlight: 0, written: 10_001 });
    });

    it('settles pipelined replies in order, and the callback form calls back later, never inside send()', async () => {
      const redis = await client();
      const order: string[] = [];
      let returned = false;
      const done = new Promise<void>((resolve) => {
        redis.send(['SET', 'a', '1'], (error, reply) => {
          expect(returned).to.equal(true);
          order.push(`set:${String(error)}:${String(reply)}`);
        });
        returned = true;
        redis.send(['GET', 'a'], (error, reply) => order.push(`get:${String(error)}:${String(reply)}`));
        redis.send(['NOSUCHCOMMAND'], (error) => order.push(`bad:${(error as RespReplyError).prefix}`));
        redis.send(['ECHO', 'last'], (error, reply) => {
          order.push(`echo:${String(error)}:${String(reply)}`);
          resolve();
        });
      });
      await done;
      expect(order).to.deep.equal(['set:null:OK', 'get:null:1', 'bad:ERR', 'echo:null:last']);
    });
  });

  describe('error replies', () => {
    it('rejects that command only with RespReplyError (ERR, WRONGTYPE), and the next one works', async () => {
      const redis = await client();
      await redis.set('text', 'abc');
      const notInteger = await rejection(redis.incr('text'), 'PERCORE_ERR_RESP_REPLY');
      expect(notInteger).to.be.instanceOf(RespReplyError);
      expect((notInteger as RespReplyError).prefix).to.equal('ERR');
      expect(notInteger.message).to.match(/not an integer/);
      const wrongType = (await rejection(redis.command('LPUSH', 'text', 'x'), 'PERCORE_ERR_RESP_REPLY')) as RespReplyError;
      expect(wrongType.prefix).to.equal('WRONGTYPE');
      expect(await redis.get('text')).to.equal('abc');
      // Pipelined: the error sits between two replies and settles only its own command.
      const [first, second, third] = await Promise.allSettled([redis.incr('n'), redis.incr('text'), redis.incr('n')]);
      expect(first).to.deep.equal({ status: 'fulfilled', value: 1 });
      expect(second.status).to.equal('rejected');
      expect(third).to.deep.equal({ status: 'fulfilled', value: 2 });
      expect(redis.stats().reconnects).to.equal(0);
    });

    it('refuses bad arguments, raw (P)SUBSCRIBE and MONITOR at once, sending nothing', async () => {
      const redis = await client();
      await rejection(redis.command('SET', 'k', undefined as unknown as string), 'PERCORE_ERR_INVALID_OPTION');
      await rejection(redis.command(), 'PERCORE_ERR_INVALID_OPTION');
      await rejection(redis.command('SUBSCRIBE', 'ch'), 'PERCORE_ERR_INVALID_OPTION');
      await rejection(redis.command('monitor'), 'PERCORE_ERR_INVALID_OPTION');
      await rejection(redis.set('k', 'v', { EX: 1, PX: 1 }), 'PERCORE_ERR_INVALID_OPTION');
      expect(redis.stats().written).to.equal(0);
      expect(await redis.get('k')).to.equal(null);
    });
  });

  describe('RESP3', () => {
    it('says HELLO 3 and gets maps, nulls, doubles and booleans', async () => {
      const redis = await client({ protocol: 3 });
      const hello = (await redis.command('HELLO', 3)) as Map<RespValue, RespValue>;
      expect(hello).to.be.instanceOf(Map);
      expect(hello.get('proto')).to.equal(3);
      await redis.command('HSET', 'h', 'f1', 'v1', 'f2', 'v2');
      const all = await redis.command('HGETALL', 'h');
      expect(all).to.be.instanceOf(Map);
      expect([...(all as Map<RespValue, RespValue>)]).to.deep.equal([
        ['f1', 'v1'],
        ['f2', 'v2'],
      ]);
      const config = (await redis.command('CONFIG', 'GET', 'appendonly')) as Map<RespValue, RespValue>;
      expect(config).to.be.instanceOf(Map);
      expect(config.get('appendonly')).to.equal('no');
      expect(await redis.get('missing')).to.equal(null);
      await redis.command('ZADD', 'z', '1.5', 'm');
      expect(await redis.command('ZSCORE', 'z', 'm')).to.equal(1.5);
      const members = await redis.command('SMEMBERS', 'nothing');
      expect(members).to.deep.equal([]);
    });

    it('under RESP2 the same replies are flat arrays and strings', async () => {
      const redis = await client();
      await redis.command('HSET', 'h', 'f1', 'v1');
      expect(await redis.command('HGETALL', 'h')).to.deep.equal(['f1', 'v1']);
      await redis.command('ZADD', 'z', '1.5', 'm');
      expect(await redis.command('ZSCORE', 'z', 'm')).to.equal('1.5');
    });
  });

  describe('SELECT', () => {
    it('isolates databases, on every connection of the client', async () => {
      const one = await client({ db: 1 });
      const two = await client({ db: 2 });
      await one.set('k', 'in db 1');
      expect(await two.get('k')).to.equal(null);
      expect(await one.get('k')).to.equal('in db 1');
      expect(await (await client()).get('k')).to.equal(null);
      const again = await client({ db: 1, protocol: 3 });
      expect(await again.get('k')).to.equal('in db 1');
    });

    it('rejects connect() with the server error for a db out of range', async () => {
      const error = (await rejection(RespClient.connect({ port: server.port, db: 99_999 }), 'PERCORE_ERR_RESP_REPLY')) as RespReplyError;
      expect(error.prefix).to.equal('ERR');
    });
  });

  describe('limits and timeouts', () => {
    it('maxPending: past it a command fails at once with QUEUE_FULL, and the others resolve', async () => {
      const redis = await client({ maxPending: 10 });
      const results = await Promise.allSettled(Array.from({ length: 15 }, () => redis.incr('n')));
      expect(results.slice(0, 10).map((result) => result.status)).to.deep.equal(Array(10).fill('fulfilled'));
      for (const result of results.slice(10)) {
        expect(result.status).to.equal('rejected');
        expect(((result as PromiseRejectedResult).reason as PercoreError).code).to.equal('PERCORE_ERR_RESP_QUEUE_FULL');
      }
      expect(await redis.get('n')).to.equal('10');
    });

    it('commandTimeoutMs: a reply not in time fails TIMEOUT, the rest in flight CONNECTION_LOST, and the client reconnects', async () => {
      const redis = await client({ commandTimeoutMs: 200, reconnect: { initialDelayMs: 20, jitter: 'none' } });
      const sleep = redis.command('DEBUG', 'SLEEP', '1');
      const behind = redis.incr('n');
      await rejection(sleep, 'PERCORE_ERR_RESP_TIMEOUT');
      const lost = await rejection(behind, 'PERCORE_ERR_RESP_CONNECTION_LOST');
      expect((lost.cause as PercoreError).code).to.equal('PERCORE_ERR_RESP_TIMEOUT');
      // A client without a timeout waits for the server to wake up; then the new connection works,
      // and the INCR lost in flight ran at most once.
      const patient = await client();
      expect(await patient.ping()).to.equal('PONG');
      expect(await redis.incr('n')).to.be.oneOf([1, 2]);
      expect(redis.stats().reconnects).to.equal(1);
    });

    it('backpressure: a value bigger than the socket buffer, then 1000 commands behind it, all in order', async () => {
      const redis = await client();
      const big = 'x'.repeat(16 * 1024 * 1024);
      const set = redis.set('big', big);
      const incrs = Array.from({ length: 1000 }, () => redis.incr('after'));
      expect(await set).to.equal('OK');
      expect(await Promise.all(incrs)).to.deep.equal(Array.from({ length: 1000 }, (_, index) => index + 1));
      expect(await redis.command('STRLEN', 'big')).to.equal(big.length);
    });
  });

  describe('close and destroy', () => {
    it('close() sends what is queued, waits for the replies in flight, then later commands fail CLOSED', async () => {
      const redis = await client();
      const incrs = Array.from({ length: 100 }, () => redis.incr('n'));
      const closed = redis.close();
      expect(redis.state).to.equal('closed');
      await rejection(redis.get('n'), 'PERCORE_ERR_RESP_CLOSED');
      expect(await Promise.all(incrs)).to.have.length(100);
      await closed;
      expect(redis.stats()).to.include({ state: 'closed', pending: 0, inFlight: 0 });
      await rejection(redis.get('n'), 'PERCORE_ERR_RESP_CLOSED');
      await rejection(
        redis.subscribe('ch', () => {}),
        'PERCORE_ERR_RESP_CLOSED',
      );
      expect(await (await client()).get('n')).to.equal('100');
      expect(redis.scheduler.stats().liveTasks).to.equal(0);
    });

    it('destroy() fails everything queued and in flight with CLOSED, at once', async () => {
      const redis = await client();
      const inFlight = redis.command('DEBUG', 'SLEEP', '0.3');
      await eventually(() => redis.stats().inFlight === 1, 2000, 'the command in flight');
      const queued = redis.incr('n');
      redis.destroy();
      expect(redis.stats()).to.include({ state: 'closed', pending: 0 });
      await rejection(inFlight, 'PERCORE_ERR_RESP_CLOSED');
      await rejection(queued, 'PERCORE_ERR_RESP_CLOSED');
      await rejection(redis.incr('n'), 'PERCORE_ERR_RESP_CLOSED');
      await redis.close();
      await eventually(() => redis.scheduler.stats().liveTasks === 0, 2000, 'the task closed');
    });

    it('scheduler.closeAll() ends a client on that scheduler: what is pending fails CLOSED, and it stops reconnecting', async () => {
      const { Scheduler } = await import('../../src/scheduler/scheduler.js');
      const scheduler = new Scheduler();
      const redis = await client({ scheduler });
      const inFlight = redis.command('DEBUG', 'SLEEP', '0.2');
      await eventually(() => redis.stats().inFlight === 1, 2000, 'the command in flight');
      scheduler.closeAll();
      expect(redis.state).to.equal('closed');
      await rejection(inFlight, 'PERCORE_ERR_RESP_CLOSED');
      await rejection(redis.ping(), 'PERCORE_ERR_RESP_CLOSED');
      await eventually(() => scheduler.stats().liveTasks === 0, 2000, 'the task closed');
      expect(scheduler.stats().pendingTimers).to.equal(0);
    });
  });
});

describe('RespClient with AUTH', function () {
  this.timeout(20_000);
  let server: RedisServer;

  before(async function () {
    requireRedisServer(this);
    server = await RedisServer.start({ args: ['--requirepass', 's3cret'] });
  });
  after(reapRedisServers);

  for (const protocol of [2, 3] as const) {
    it(`RESP${protocol}: the right password works; a wrong one rejects connect() with WRONGPASS`, async () => {
      const redis = await RespClient.connect({ port: server.port, password: 's3cret', protocol });
      expect(await redis.set('k', 'v')).to.equal('OK');
      await redis.close();
      const named = await RespClient.connect({ port: server.port, username: 'default', password: 's3cret', protocol });
      expect(await named.get('k')).to.equal('v');
      await named.close();
      const wrong = (await rejection(
        RespClient.connect({ port: server.port, password: 'nope', protocol }),
        'PERCORE_ERR_RESP_REPLY',
      )) as RespReplyError;
      expect(wrong.prefix).to.equal('WRONGPASS');
    });
  }

  it('without a password the commands get NOAUTH', async () => {
    const redis = await RespClient.connect({ port: server.port });
    const error = (await rejection(redis.get('k'), 'PERCORE_ERR_RESP_REPLY')) as RespReplyError;
    expect(error.prefix).to.equal('NOAUTH');
    redis.destroy();
  });
});

describe('RespClient connecting and reading', function () {
  this.timeout(20_000);
  let fake: Server | null = null;

  afterEach(async () => {
    if (fake !== null) await new Promise((resolve) => fake!.close(resolve));
    fake = null;
  });

  /** A node:net server speaking just enough RESP for one test; returns its port. */
  async function fakeRedis(onData: (socket: Socket, chunk: string, connection: number) => void): Promise<number> {
    let connections = 0;
    fake = createServer((socket) => {
      const connection = ++connections;
      socket.on('data', (chunk) => onData(socket, chunk.toString('latin1'), connection));
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => fake!.listen(0, '127.0.0.1', resolve));
    return (fake.address() as AddressInfo).port;
  }

  async function closedPort(): Promise<number> {
    const port = await fakeRedis(() => {});
    await new Promise((resolve) => fake!.close(resolve));
    fake = null;
    return port;
  }

  it('connect refused with reconnect: false rejects PERCORE_ERR_CONNECT_REFUSED', async () => {
    const port = await closedPort();
    await rejection(RespClient.connect({ port, reconnect: false }), 'PERCORE_ERR_CONNECT_REFUSED');
  });

  it('connect refused with reconnect keeps trying: gives up after maxAttempts with the refusal as the cause', async () => {
    const port = await closedPort();
    const error = await rejection(
      RespClient.connect({ port, reconnect: { maxAttempts: 3, initialDelayMs: 5, jitter: 'none' } }),
      'PERCORE_ERR_RECONNECT_GAVE_UP',
    );
    expect((error.cause as PercoreError).code).to.equal('PERCORE_ERR_CONNECT_REFUSED');
  });

  it('connect refused with reconnect keeps trying until the server is up', async function () {
    requireRedisServer(this);
    const redis = await RedisServer.start();
    await redis.stop();
    let settled = false;
    const connecting = RespClient.connect({ port: redis.port, reconnect: { initialDelayMs: 10, maxDelayMs: 50 } });
    void connecting.finally(() => (settled = true)).catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(settled).to.equal(false);
    await redis.start();
    const client = await connecting;
    expect(await client.ping()).to.equal('PONG');
    await client.close();
    await redis.dispose();
  });

  it('a malformed reply closes the connection: in flight fails CONNECTION_LOST with the protocol error as cause, then it reconnects', async () => {
    const port = await fakeRedis((socket, chunk, connection) => {
      // Each command here is one PING; the first connection answers its second one with a bad type byte.
      const pings = chunk.split('PING').length - 1;
      for (let index = 0; index < pings; index++) socket.write(connection === 1 && index === 1 ? '@what\r\n' : '+PONG\r\n');
    });
    const logged: string[] = [];
    const { Scheduler } = await import('../../src/scheduler/scheduler.js');
    const scheduler = new Scheduler({ logger: { error: (code) => logged.push(code), warn: (code) => logged.push(code) } });
    const redis = await RespClient.connect({ port, scheduler, reconnect: { initialDelayMs: 5, jitter: 'none' } });
    const [first, second, third] = await Promise.allSettled([redis.ping(), redis.ping(), redis.ping()]);
    expect(first).to.deep.equal({ status: 'fulfilled', value: 'PONG' });
    for (const result of [second, third]) {
      const reason = (result as PromiseRejectedResult).reason as PercoreError;
      expect(reason.code).to.equal('PERCORE_ERR_RESP_CONNECTION_LOST');
      expect((reason.cause as PercoreError).code).to.equal('PERCORE_ERR_RESP_PROTOCOL');
    }
    expect(await redis.ping()).to.equal('PONG');
    expect(redis.stats().reconnects).to.equal(1);
    expect(logged).to.deep.equal(['PERCORE_ERR_RESP_PROTOCOL']);
    redis.destroy();
  });

  it('a reply nobody asked for is a protocol error too', async () => {
    const port = await fakeRedis((socket, _chunk, connection) => socket.write(connection === 1 ? '+PONG\r\n+EXTRA\r\n' : '+PONG\r\n'));
    const { Scheduler } = await import('../../src/scheduler/scheduler.js');
    const scheduler = new Scheduler({ logger: { error: () => {}, warn: () => {} } });
    const redis = await RespClient.connect({ port, scheduler, reconnect: { initialDelayMs: 5, jitter: 'none' } });
    expect(await redis.ping()).to.equal('PONG');
    await eventually(() => redis.stats().reconnects === 1, 3000, 'the reconnect');
    expect(await redis.ping()).to.equal('PONG');
    redis.destroy();
  });

  it('the handshake is bounded by connectTimeoutMs against a server that never answers: connect() rejects TIMEOUT', async () => {
    const port = await fakeRedis(() => {});
    await rejection(RespClient.connect({ port, password: 'x', connectTimeoutMs: 100 }), 'PERCORE_ERR_RESP_TIMEOUT');
  });

  it('refuses bad options with PERCORE_ERR_INVALID_OPTION', async () => {
    for (const options of [{ protocol: 4 }, { maxPending: 0 }, { commandTimeoutMs: -1 }, { db: -1 }, { username: 'u' }, { bulkAs: 'hex' }]) {
      await rejection(
        (async () => RespClient.connect({ port: 1, reconnect: false, ...(options as RespClientOptions) }))(),
        'PERCORE_ERR_INVALID_OPTION',
      );
    }
  });
});
