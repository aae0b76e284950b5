import { expect } from 'chai';
import { multibulk, startInProcess, type InProcessServer } from './support.js';

/** One scripted session: each command and its exact reply, in order. */
const SCRIPT: Array<[string[], string]> = [
  [['PING'], '+PONG\r\n'],
  [['ECHO', 'bin\r\n\x00'], '$6\r\nbin\r\n\x00\r\n'],
  [['SET', 'k', 'v'], '+OK\r\n'],
  [['GET', 'k'], '$1\r\nv\r\n'],
  [['SET', 'k', 'w', 'NX'], '$-1\r\n'],
  [['SET', 'k', 'w', 'XX', 'GET'], '$1\r\nv\r\n'],
  [['MSET', 'a', '1', 'b', '2'], '+OK\r\n'],
  [['MGET', 'a', 'nope', 'b'], '*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n'],
  [['INCR', 'a'], ':2\r\n'],
  [['DECR', 'a'], ':1\r\n'],
  [['INCRBY', 'a', '-11'], ':-10\r\n'],
  [['DECRBY', 'a', '5'], ':-15\r\n'],
  [['EXISTS', 'a', 'b', 'nope'], ':2\r\n'],
  [['DEL', 'a', 'nope'], ':1\r\n'],
  [['EXPIRE', 'b', '100'], ':1\r\n'],
  [['TTL', 'b'], ':100\r\n'],
  [['PERSIST', 'b'], ':1\r\n'],
  [['TTL', 'b'], ':-1\r\n'],
  [['TTL', 'a'], ':-2\r\n'],
  [['SELECT', '0'], '+OK\r\n'],
  [['SELECT', '1'], '-ERR DB index is out of range\r\n'],
  [['CLIENT', 'SETNAME', 'tester'], '+OK\r\n'],
  [['CLIENT', 'GETNAME'], '$6\r\ntester\r\n'],
  [['CONFIG', 'GET', 'save'], '*2\r\n$4\r\nsave\r\n$0\r\n\r\n'],
  [['CONFIG', 'GET', 'appendonly'], '*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n'],
  [['COMMAND', 'DOCS'], '*0\r\n'],
  [['DBSIZE'], ':2\r\n'],
  [['get'], "-ERR wrong number of arguments for 'get' command\r\n"],
  [['FOO', 'x'], "-ERR unknown command 'FOO', with args beginning with: 'x' \r\n"],
  [['INCR', 'k'], '-ERR value is not an integer or out of range\r\n'],
  [['SET', 'k', 'v', 'EX'], '-ERR syntax error\r\n'],
];

describe('redis commands over a socket', () => {
  let server: InProcessServer;
  beforeEach(async () => (server = await startInProcess()));
  afterEach(() => server.close());

  for (const byteByByte of [false, true]) {
    it(`answers every command in order, fed ${byteByByte ? 'byte by byte' : 'whole'} and pipelined`, async function () {
      this.timeout(20_000);
      const connection = await server.connect();
      await connection.send(Buffer.concat(SCRIPT.map(([command]) => multibulk(...command))), byteByByte);
      const replies = await connection.read(SCRIPT.length, 15_000);
      SCRIPT.forEach(([command, expected], i) => expect(replies[i], JSON.stringify(command)).to.equal(expected));
    });
  }

  it('answers inline commands (telnet style), with quotes', async () => {
    const connection = await server.connect();
    await connection.send('SET greeting "hello world"\r\nGET greeting\nINCR n\r\n');
    expect(await connection.read(3)).to.deep.equal(['+OK\r\n', '$11\r\nhello world\r\n', ':1\r\n']);
  });

  it('answers a reply bigger than the shared slab, and a value stored from a big bulk', async () => {
    const connection = await server.connect();
    const big = Buffer.alloc(200_000, 0x62);
    expect(await connection.command('SET', 'big', big)).to.equal('+OK\r\n');
    const reply = await connection.command('GET', 'big');
    expect(reply).to.equal(`$200000\r\n${big.toString('latin1')}\r\n`);
    // Many small replies in one batch overflow the 64 KiB slab into a new one.
    await connection.send(Buffer.concat(Array.from({ length: 5000 }, () => multibulk('ECHO', 'x'.repeat(20)))));
    const replies = await connection.read(5000);
    expect(new Set(replies)).to.deep.equal(new Set([`$20\r\n${'x'.repeat(20)}\r\n`]));
  });

  it('QUIT answers +OK and closes; nothing after it runs', async () => {
    const connection = await server.connect();
    await connection.send(Buffer.concat([multibulk('SET', 'q', '1'), multibulk('QUIT'), multibulk('SET', 'q', '2')]));
    expect(await connection.closedByPeer()).to.equal('+OK\r\n+OK\r\n');
    const other = await server.connect();
    expect(await other.command('GET', 'q')).to.equal('$1\r\n1\r\n');
  });

  it('INFO reports the fields redis-cli and redis-benchmark read, and the keyspace', async () => {
    const connection = await server.connect();
    await connection.command('SET', 'x', '1', 'EX', '100');
    const info = await connection.command('INFO');
    for (const field of ['redis_version:7.0.15', 'redis_mode:standalone', 'arch_bits:', 'os:', 'role:master', 'connected_clients:1']) {
      expect(info).to.include(`\r\n${field}`);
    }
    expect(info).to.include('db0:keys=1,expires=1,avg_ttl=0');
    const server_only = await connection.command('INFO', 'server');
    expect(server_only).to.include('# Server').and.not.include('# Keyspace');
  });

  it('COMMAND COUNT and COMMAND INFO describe the table', async () => {
    const connection = await server.connect();
    const count = Number((await connection.command('COMMAND', 'COUNT')).slice(1, -2));
    expect(count).to.be.greaterThan(30);
    expect(await connection.command('COMMAND', 'INFO', 'get', 'nope')).to.match(/^\*2\r\n\*10\r\n\$3\r\nget\r\n:2\r\n/);
  });

  it('PUBLISH reaches every subscriber in the process, and a closed subscriber is forgotten', async () => {
    const one = await server.connect();
    const two = await server.connect();
    const publisher = await server.connect();
    expect(await one.command('SUBSCRIBE', 'c')).to.equal('*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n');
    expect(await two.command('PSUBSCRIBE', '?')).to.equal('*3\r\n$10\r\npsubscribe\r\n$1\r\n?\r\n:1\r\n');
    expect(await publisher.command('PUBLISH', 'c', 'hi')).to.equal(':2\r\n');
    expect(await one.read(1)).to.deep.equal(['*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$2\r\nhi\r\n']);
    expect(await two.read(1)).to.deep.equal(['*4\r\n$8\r\npmessage\r\n$1\r\n?\r\n$1\r\nc\r\n$2\r\nhi\r\n']);
    one.close();
    two.close();
    const deadline = Date.now() + 2000;
    while (server.redis.pubsub.channelCount + server.redis.pubsub.patternCount > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await publisher.command('PUBLISH', 'c', 'hi')).to.equal(':0\r\n');
  });

  // WRONGTYPE: every value is a string, so no command can meet another kind yet. The hook is in
  // commands/strings.ts (isString); the differential test checks the other errors word for word.
});
