import { expect } from 'chai';
import type { Socket } from 'node:net';
import { reapExamples, startExample } from './run-example.js';
import { connectTo, readUntil } from '../../packages/server/test/support/sockets.js';

describe('examples/line-echo-task', function () {
  const sockets: Socket[] = [];

  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.destroy();
    reapExamples();
  });

  async function open(url: string): Promise<Socket> {
    const port = Number(/^tcp:\/\/127\.0\.0\.1:(\d+)$/.exec(url)![1]);
    const socket = await connectTo(port);
    sockets.push(socket);
    return socket;
  }

  it('echoes each line, fed whole and byte by byte, and exits 0 on SIGTERM', async function () {
    const example = await startExample('line-echo-task');
    expect(example.url).to.match(/^tcp:\/\/127\.0\.0\.1:\d+$/);

    const whole = await open(example.url);
    whole.write('one\ntwo\nthr');
    whole.write('ee\n');
    const echoed = await readUntil(whole, (data) => data.toString() === 'one\ntwo\nthree\n');
    expect(echoed.data.toString()).to.equal('one\ntwo\nthree\n');

    const split = await open(example.url);
    const text = 'split\nacross writes\n';
    for (const byte of Buffer.from(text)) {
      split.write(Buffer.from([byte]));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const dribbled = await readUntil(split, (data) => data.length >= text.length);
    expect(dribbled.data.toString()).to.equal(text);

    expect(await example.stop()).to.equal(0);
  });

  it('closes a connection whose line outgrows the limit without an LF', async function () {
    const example = await startExample('line-echo-task');
    const socket = await open(example.url);
    socket.write(Buffer.alloc(9 * 1024, 0x78));
    const { data, closed } = await readUntil(socket, () => false);
    expect(closed).to.equal(true);
    expect(data.length).to.equal(0);
  });
});
