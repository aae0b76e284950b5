import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import type { Socket } from 'node:net';
import { Listener, Scheduler } from '@percore/server';
import { respProtocol } from '../src/resp-server.js';
import { reapExamples, startExample } from './run-example.js';
import { collectingLogger, connectTo, readUntil } from '../../packages/server/test/support/sockets.js';

describe('RESP protocol (a second protocol on the Task contract)', () => {
  const scheduler = new Scheduler({ timerResolutionMs: 5, logger: collectingLogger() });
  let listener: Listener;
  const sockets: Socket[] = [];

  beforeEach(async () => {
    listener = new Listener(scheduler, { ...respProtocol({ idleTimeout: 200 }) });
    await listener.listen({ port: 0, host: '127.0.0.1' });
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await listener.close({ graceMs: 0 });
  });

  async function exchange(
    request: string | Buffer,
    expected: string,
    options: { byteByByte?: boolean } = {},
  ): Promise<{ data: string; closed: boolean }> {
    const socket = await connectTo(listener.address!.port);
    sockets.push(socket);
    const bytes = Buffer.from(request as string, 'latin1');
    if (options.byteByByte) {
      for (const byte of bytes) {
        socket.write(Buffer.from([byte]));
        await new Promise((resolve) => setImmediate(resolve));
      }
    } else {
      socket.write(bytes);
    }
    const { data, closed } = await readUntil(socket, (received) => received.length >= Buffer.byteLength(expected, 'latin1'));
    return { data: data.toString('latin1'), closed };
  }

  const multibulk = (...args: string[]) => `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;

  for (const byteByByte of [false, true]) {
    const feeding = byteByByte ? 'byte by byte' : 'whole';
    describe(`fed ${feeding}`, () => {
      it('answers PING, as multibulk and inline', async () => {
        expect((await exchange(multibulk('PING'), '+PONG\r\n', { byteByByte })).data).to.equal('+PONG\r\n');
        expect((await exchange('PING\r\n', '+PONG\r\n', { byteByByte })).data).to.equal('+PONG\r\n');
      });

      it('answers PING with a message and ECHO with a binary-safe bulk string', async () => {
        const binary = 'a\r\nb\x00c';
        const expected = `$${binary.length}\r\n${binary}\r\n$2\r\nhi\r\n`;
        const { data } = await exchange(multibulk('ECHO', binary) + multibulk('ping', 'hi'), expected, { byteByByte });
        expect(data).to.equal(expected);
      });

      it('answers pipelined commands in order', async () => {
        const expected = '+PONG\r\n$3\r\none\r\n+PONG\r\n$3\r\ntwo\r\n';
        const request = multibulk('PING') + multibulk('ECHO', 'one') + 'PING\r\n' + multibulk('ECHO', 'two');
        expect((await exchange(request, expected, { byteByByte })).data).to.equal(expected);
      });
    });
  }

  it('reports unknown commands and wrong arities without closing', async () => {
    const expected = "-ERR unknown command 'FLY'\r\n-ERR wrong number of arguments for 'echo' command\r\n+PONG\r\n";
    const { data, closed } = await exchange(multibulk('FLY') + multibulk('ECHO') + multibulk('PING'), expected);
    expect(data).to.equal(expected);
    expect(closed).to.equal(false);
  });

  it('answers QUIT with +OK, then closes', async () => {
    const socket = await connectTo(listener.address!.port);
    sockets.push(socket);
    socket.write(multibulk('QUIT'));
    const { data, closed } = await readUntil(socket, () => false);
    expect(data.toString()).to.equal('+OK\r\n');
    expect(closed).to.equal(true);
  });

  it('closes with a protocol error on a malformed stream', async () => {
    for (const malformed of ['*1\r\n!4\r\nPING\r\n', '*1\r\n$4\r\nPINGxx', '*x\r\n', 'PING\n']) {
      const socket = await connectTo(listener.address!.port);
      sockets.push(socket);
      socket.write(malformed);
      const { data, closed } = await readUntil(socket, () => false);
      expect(data.toString(), JSON.stringify(malformed)).to.match(/^-ERR Protocol error: /);
      expect(closed).to.equal(true);
    }
  });

  it('closes an idle connection through the scheduler wheel', async () => {
    const socket = await connectTo(listener.address!.port);
    sockets.push(socket);
    const { closed } = await readUntil(socket, () => false, 2000);
    expect(closed).to.equal(true);
  });
});

describe('examples/resp-server (run as a program)', function () {
  afterEach(reapExamples);

  it('listens on PORT and answers RESP: PING, ECHO, then QUIT closes', async function () {
    const example = await startExample('resp-server');
    const socket = await connectTo(Number(new URL(example.url).port));
    socket.write('*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\nQUIT\r\n');
    const { data, closed } = await readUntil(socket, () => false);
    expect(data.toString()).to.equal('+PONG\r\n$5\r\nhello\r\n+OK\r\n');
    expect(closed).to.equal(true);
    expect(await example.stop()).to.equal(0);
  });

  it('answers redis-cli PING with PONG', async function () {
    const redisCli = spawnSync('sh', ['-c', 'command -v redis-cli'], { encoding: 'utf8' }).stdout.trim();
    if (redisCli === '') {
      console.log('      skipped: redis-cli is not on PATH (apt-get install redis-tools)');
      this.skip();
    }
    const example = await startExample('resp-server');
    const reply = spawnSync(redisCli, ['-p', new URL(example.url).port, 'PING'], { encoding: 'utf8', timeout: 5000 });
    expect(reply.stdout.trim()).to.equal('PONG');
    expect(await example.stop()).to.equal(0);
  });
});
