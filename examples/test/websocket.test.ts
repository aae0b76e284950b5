import { expect } from 'chai';
import { loadUws } from '@percore/server/uws';
import WebSocket from 'ws';
import { reapExamples, startExample, type StartedExample } from './run-example.js';

/** A `ws` client that queues what it receives, so no message is missed between awaits. */
class Peer {
  readonly received: Array<{ data: Buffer; isBinary: boolean }> = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => this.received.push({ data, isBinary }));
    ws.on('error', () => {});
  }

  static connect(url: string): Promise<Peer> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      peers.push(ws);
      const peer = new Peer(ws);
      ws.once('open', () => resolve(peer));
      ws.once('error', reject);
    });
  }

  async next(): Promise<{ data: Buffer; isBinary: boolean }> {
    const deadline = Date.now() + 3000;
    while (this.received.length === 0) {
      if (Date.now() > deadline) throw new Error('no message within 3 s');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return this.received.shift()!;
  }
}

const peers: WebSocket[] = [];
const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

describe('examples/websocket', function () {
  let example: StartedExample;
  let ws: string;

  before(function () {
    try {
      loadUws();
    } catch (error) {
      // PERCORE_ERR_UWS_UNAVAILABLE: no uWebSockets.js binary for this Node or glibc. Where CI
      // requires uWS (the machine's own Node), that fails instead.
      if (process.env.PERCORE_REQUIRE_UWS === '1') throw error;
      console.log(`      skipped: ${(error as Error).message}`);
      this.skip();
    }
  });
  beforeEach(async () => {
    example = await startExample('websocket');
    ws = example.url.replace(/^http/, 'ws');
  });
  afterEach(() => {
    for (const peer of peers.splice(0)) peer.terminate();
    reapExamples();
  });

  it('echoes text and binary messages on /echo, as sent', async () => {
    const peer = await Peer.connect(`${ws}/echo`);
    peer.ws.send('hello');
    peer.ws.send(Buffer.from([0, 1, 2, 255]));
    expect(await peer.next()).to.deep.equal({ data: Buffer.from('hello'), isBinary: false });
    expect(await peer.next()).to.deep.equal({ data: Buffer.from([0, 1, 2, 255]), isBinary: true });
  });

  it('relays a message to the rest of its room only, and POST /rooms/NAME announces to the whole room', async () => {
    const [alice, bob, carol] = await Promise.all([
      Peer.connect(`${ws}/rooms/a`),
      Peer.connect(`${ws}/rooms/a`),
      Peer.connect(`${ws}/rooms/b`),
    ]);
    alice.ws.send('hi room a');
    expect((await bob.next()).data.toString()).to.equal('hi room a');

    const announced = await fetch(`${example.url}/rooms/a`, { method: 'POST', body: 'closing soon' });
    expect(announced.status).to.equal(202);
    expect((await alice.next()).data.toString()).to.equal('closing soon');
    expect((await bob.next()).data.toString()).to.equal('closing soon');

    await settle();
    expect(alice.received, 'the sender does not get its own message').to.deep.equal([]);
    expect(carol.received, 'another room hears nothing').to.deep.equal([]);
    expect(await example.stop()).to.equal(0);
  });

  it('answers other HTTP requests with 404 and a hint', async () => {
    const response = await fetch(`${example.url}/`);
    expect(response.status).to.equal(404);
    expect(await response.text()).to.match(/\/echo/);
  });
});
