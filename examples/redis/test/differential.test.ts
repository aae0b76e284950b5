// The same commands to the small server and to Debian's redis-server, replies compared byte for
// byte: the arities, the options, the integer rules and the error words are Redis's own.
import { expect } from 'chai';
import { hasRedisServer, RespConnection, startInProcess, startRealRedis, type InProcessServer, type RealRedis } from './support.js';

const LONG = 'x'.repeat(200);

/** Commands whose replies do not depend on the clock or the process (TTLs are whole seconds of long deadlines). */
const COMMANDS: string[][] = [
  ['PING'],
  ['ping', 'hi'],
  ['PING', 'a', 'b'],
  ['ECHO', 'x'],
  ['ECHO'],
  ['GET', 'missing'],
  ['GET'],
  ['GET', 'a', 'b'],
  ['SET', 'k'],
  ['SET', 'k', 'v'],
  ['GET', 'k'],
  ['SET', 'k', 'v2', 'NX'],
  ['SET', 'k', 'v3', 'XX'],
  ['SET', 'new', 'v', 'XX'],
  ['GET', 'new'],
  ['SET', 'k', 'v4', 'GET'],
  ['SET', 'fresh', 'v', 'NX', 'GET'],
  ['SET', 'k', 'v5', 'nx', 'GET'],
  ['SET', 'k', 'v', 'NX', 'XX'],
  ['SET', 'k', 'v', 'nx', 'nx'],
  ['SET', 'k', 'v', 'EX', '0'],
  ['SET', 'k', 'v', 'EX', '-5'],
  ['SET', 'k', 'v', 'PX', '0'],
  ['SET', 'k', 'v', 'EX', 'abc'],
  ['SET', 'k', 'v', 'EX', '10', 'PX', '10'],
  ['SET', 'k', 'v', 'EX', '10', 'EX', '10'],
  ['SET', 'k', 'v', 'EX', '10', 'PX', '10', 'EX', '10'],
  ['SET', 'k', 'v', 'KEEPTTL', 'KEEPTTL'],
  ['SET', 'k', 'v', 'KEEPTTL', 'EX', '1'],
  ['SET', 'k', 'v', 'PX'],
  ['SET', 'k', 'v', 'FOO'],
  ['SET', 'k', 'v', 'EX', '9223372036854775'],
  ['SET', 'k', 'v', 'PX', '9223372036854775807'],
  ['SET', 'k', 'v', 'EX', '100'],
  ['TTL', 'k'],
  ['SET', 'k', 'v2', 'KEEPTTL'],
  ['TTL', 'k'],
  ['SET', 'k', 'v3'],
  ['TTL', 'k'],
  ['SET', 'k', 'v', 'Ex', '100', 'GET'],
  ['TTL', 'k'],
  ['SET', 'k', 'v', 'EXAT', '1'],
  ['EXISTS', 'k'],
  ['SET', 'k', 'v', 'PXAT', '99999999999999'],
  ['DEL', 'k', 'k2', 'k'],
  ['DEL'],
  ['SET', 'k', 'v'],
  ['EXISTS', 'k', 'k', 'missing'],
  ['EXISTS'],
  ['INCR', 'n'],
  ['INCR', 'n'],
  ['DECR', 'n'],
  ['INCRBY', 'n', '10'],
  ['INCRBY', 'n', 'x'],
  ['INCRBY', 'n', '1.5'],
  ['DECRBY', 'n', '5'],
  ['DECRBY', 'n', '-9223372036854775808'],
  ['INCR'],
  ['INCR', 'a', 'b'],
  ['SET', 'n', '9223372036854775807'],
  ['INCR', 'n'],
  ['DECR', 'n'],
  ['INCRBY', 'n', '-9223372036854775807'],
  ['SET', 'n', '-9223372036854775808'],
  ['DECR', 'n'],
  ['INCR', 'n'],
  ['SET', 's', 'abc'],
  ['INCR', 's'],
  ['SET', 'z', '007'],
  ['INCR', 'z'],
  ['SET', 'z', ' 1'],
  ['INCR', 'z'],
  ['SET', 'z', '-0'],
  ['INCR', 'z'],
  ['SET', 'z', '+1'],
  ['INCR', 'z'],
  ['SET', 'z', '12345678901234567890'],
  ['INCR', 'z'],
  ['INCRBY', 'fresh-counter', '99999999999999999999'],
  ['INCRBY', 'fresh-counter', '1234567890123456789'],
  ['MSET', 'a', '1', 'b', '2'],
  ['MGET', 'a', 'b', 'missing'],
  ['MGET'],
  ['MSET', 'a'],
  ['MSET', 'a', '1', 'b'],
  ['EXPIRE', 'a', '100'],
  ['TTL', 'a'],
  ['EXPIRE', 'a', '100', 'NX'],
  ['EXPIRE', 'a', '200', 'XX'],
  ['TTL', 'a'],
  ['EXPIRE', 'a', '50', 'GT'],
  ['EXPIRE', 'a', '50', 'LT'],
  ['TTL', 'a'],
  ['EXPIRE', 'b', '50', 'GT'],
  ['EXPIRE', 'b', '50', 'LT'],
  ['EXPIRE', 'a', '10', 'NX', 'XX'],
  ['EXPIRE', 'a', '10', 'GT', 'LT'],
  ['EXPIRE', 'a', '10', 'FOO'],
  ['EXPIRE', 'a', 'abc'],
  ['EXPIRE', 'a', '9223372036854775807'],
  ['PEXPIRE', 'a', '9223372036854775807'],
  ['EXPIRE', 'missing', '10'],
  ['EXPIRE', 'a'],
  ['PERSIST', 'a'],
  ['PERSIST', 'a'],
  ['TTL', 'a'],
  ['TTL', 'missing'],
  ['PTTL', 'missing'],
  ['PTTL', 'k'],
  ['TTL'],
  ['EXPIRE', 'b', '0'],
  ['EXISTS', 'b'],
  ['SET', 'b', '1'],
  ['PEXPIRE', 'b', '-1'],
  ['EXISTS', 'b'],
  ['PEXPIRE', 'a', '100000'],
  ['TTL', 'a'],
  ['EXPIREAT', 'a', '1'],
  ['EXISTS', 'a'],
  ['SET', 'a', '1'],
  ['PEXPIREAT', 'a', '99999999999999'],
  ['TYPE', 'a'],
  ['TYPE', 'missing'],
  ['STRLEN', 'a'],
  ['APPEND', 'a', 'xyz'],
  ['GET', 'a'],
  ['APPEND', 'nn', 'abc'],
  ['SELECT', '0'],
  ['SELECT', 'x'],
  ['SELECT', '99'],
  ['SELECT'],
  ['CONFIG', 'GET', 'appendonly'],
  ['CONFIG', 'GET', 'save'],
  ['CONFIG', 'GET', 'appendonl?'],
  ['CONFIG', 'GET', 'nothing-like-it'],
  ['CONFIG'],
  ['CONFIG', 'FOO'],
  ['CONFIG', 'GET'],
  ['CLIENT', 'SETNAME', 'foo'],
  ['CLIENT', 'GETNAME'],
  ['CLIENT', 'SETNAME', 'a b'],
  ['CLIENT', 'SETNAME', 'a', 'b'],
  ['CLIENT', 'FOO'],
  ['CLIENT'],
  ['COMMAND', 'FOO'],
  ['HELLO', 'x'],
  ['HELLO', '4'],
  ['FOO'],
  ['foo', 'bar', 'baz'],
  ['FOO', LONG, 'second'],
  ['FOO', 'a\r\nb'],
  ['PUBLISH', 'ch', 'msg'],
  ['PUBLISH', 'ch'],
  ['SUBSCRIBE'],
  ['DBSIZE'],
  ['FLUSHALL'],
  ['DBSIZE'],
  ['GET', 'a'],
];

/** In pub/sub mode (RESP2): what may run, and Redis's error for the rest. */
const PUBSUB_COMMANDS: string[][] = [
  ['UNSUBSCRIBE'],
  ['SUBSCRIBE', 'a', 'b', 'a'],
  ['GET', 'k'],
  ['CONFIG', 'GET', 'save'],
  ['GET'],
  ['PING'],
  ['PING', 'x'],
  ['PSUBSCRIBE', 'h*'],
  ['UNSUBSCRIBE', 'a', 'zzz'],
  ['PUNSUBSCRIBE'],
  ['UNSUBSCRIBE'],
  ['UNSUBSCRIBE'],
  ['PUNSUBSCRIBE'],
  ['PING'],
  ['GET', 'k'],
];

/** Raw streams, each on its own connection: everything received until the server closes (or 300 ms pass). */
const RAW_STREAMS: string[] = [
  'PING\r\nECHO "a b"\r\nSET k \'v w\'\r\nGET k\r\n\r\nPING\n',
  '*1\r\nx\r\nPING\r\n',
  '*x\r\n',
  '*1\r\n$-1\r\n',
  '*2\r\n$3\r\nGET\r\n$999999999999\r\n',
  "SET k 'a\r\nPING\r\n",
  '*-1\r\n*0\r\nPING\r\n',
];

async function replies(port: number, commands: string[][]): Promise<string[]> {
  const connection = await RespConnection.open(port);
  try {
    const out: string[] = [];
    for (const command of commands) out.push(await connection.command(...command));
    return out;
  } finally {
    connection.close();
  }
}

async function rawExchange(port: number, stream: string): Promise<{ received: string; closed: boolean }> {
  const connection = await RespConnection.open(port);
  await connection.send(stream);
  const deadline = Date.now() + 300;
  while (!connection.closed && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  const closed = connection.closed;
  const received = closed ? await connection.closedByPeer() : await drain(connection);
  connection.close();
  return { received, closed };
}

async function drain(connection: RespConnection): Promise<string> {
  const out: string[] = [];
  try {
    for (;;) out.push(...(await connection.read(1, 50)));
  } catch {
    return out.join('');
  }
}

function mismatches(commands: string[][], ours: string[], theirs: string[]): string[] {
  const wrong: string[] = [];
  commands.forEach((command, i) => {
    if (ours[i] !== theirs[i]) wrong.push(`${JSON.stringify(command)}: ours ${JSON.stringify(ours[i])}, redis ${JSON.stringify(theirs[i])}`);
  });
  return wrong;
}

describe('redis: the same commands to redis-server (differential)', function () {
  this.timeout(20_000);
  let ours: InProcessServer;
  let real: RealRedis;

  before(async function () {
    if (!hasRedisServer()) {
      if (process.env.PERCORE_REQUIRE_REDIS === '1') throw new Error('redis-server is required (PERCORE_REQUIRE_REDIS=1)');
      console.log('      skipped: /usr/bin/redis-server is not installed (apt-get install redis-server)');
      this.skip();
    }
    ours = await startInProcess();
    real = await startRealRedis();
  });

  after(async () => {
    await ours?.close();
    await real?.stop();
  });

  it(`answers ${COMMANDS.length} commands (data, options, integers, expiry, errors) byte for byte as Redis does`, async () => {
    const [a, b] = await Promise.all([replies(ours.port, COMMANDS), replies(real.port, COMMANDS)]);
    expect(mismatches(COMMANDS, a, b)).to.deep.equal([]);
  });

  it('answers in pub/sub mode as Redis does (RESP2 confirmations, PING, the context error)', async () => {
    const [a, b] = await Promise.all([replies(ours.port, PUBSUB_COMMANDS), replies(real.port, PUBSUB_COMMANDS)]);
    expect(mismatches(PUBSUB_COMMANDS, a, b)).to.deep.equal([]);
  });

  it('answers inline commands and malformed streams as Redis does, closing where it closes', async () => {
    for (const stream of RAW_STREAMS) {
      const [a, b] = await Promise.all([rawExchange(ours.port, stream), rawExchange(real.port, stream)]);
      expect(a, JSON.stringify(stream)).to.deep.equal(b);
    }
  });

  it('delivers a published message as Redis does: [message, channel, payload], and PUBLISH counts receivers', async () => {
    const run = async (port: number) => {
      const subscriber = await RespConnection.open(port);
      const publisher = await RespConnection.open(port);
      try {
        await subscriber.send('SUBSCRIBE news\r\nPSUBSCRIBE n*\r\n');
        const confirmations = await subscriber.read(2);
        const count = await publisher.command('PUBLISH', 'news', 'hello\r\nworld');
        const messages = await subscriber.read(2);
        return [...confirmations, count, ...messages];
      } finally {
        subscriber.close();
        publisher.close();
      }
    };
    const [a, b] = await Promise.all([run(ours.port), run(real.port)]);
    expect(a).to.deep.equal(b);
    expect(a[2]).to.equal(':2\r\n');
  });
});
